//! The IPVS client: family resolution, one request + ACK, dumps, and batched requests.
//!
//! Generic over a [`Transport`] so all of it runs against a fake kernel in tests; the real
//! transport is `socket::NetlinkSocket`.

use crate::batch::{self, AckTracker, Limits};
use crate::error::IpvsError;
use crate::family;
use crate::message::{IpvsInfo, IpvsMessage, RealServer, VirtualService};
use crate::wire::{self, FLAGS_ACKED, FLAGS_DUMP};
use std::io;
use std::time::{Duration, Instant};
use svclab_backend::CancelFlag;

/// Moves datagrams to and from the kernel; nothing else.
pub trait Transport {
    /// Send one datagram holding one or more netlink messages.
    fn send(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// Receive one datagram into `buf` (replacing its contents). `WouldBlock` means nothing
    /// arrived within the poll interval; ENOBUFS means replies were dropped.
    fn recv(&mut self, buf: &mut Vec<u8>) -> io::Result<()>;
    /// Batch limits from the socket's buffer sizes.
    fn limits(&self) -> Limits;
}

/// An operation's deadline and the lab's cancel flag, checked between datagrams.
#[derive(Debug, Clone)]
pub struct Watch {
    started: Instant,
    timeout: Duration,
    cancel: CancelFlag,
}

impl Watch {
    pub fn new(timeout: Duration, cancel: &CancelFlag) -> Self {
        Self {
            started: Instant::now(),
            timeout,
            cancel: cancel.clone(),
        }
    }

    fn check(&self, doing: &str) -> Result<(), IpvsError> {
        if self.cancel.is_cancelled() {
            return Err(IpvsError::Cancelled {
                doing: doing.into(),
            });
        }
        if self.started.elapsed() >= self.timeout {
            return Err(IpvsError::Timeout {
                doing: doing.into(),
                after: self.timeout,
            });
        }
        Ok(())
    }
}

/// Requests encoded for sending, each beside the message it came from (for error reports).
#[derive(Debug, Clone)]
pub struct Encoded<'m> {
    msgs: &'m [IpvsMessage],
    bytes: Vec<Vec<u8>>,
}

impl Encoded<'_> {
    pub fn len(&self) -> usize {
        self.msgs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.msgs.is_empty()
    }
}

/// What a batched send took.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchReport {
    pub requests: usize,
    /// `sendmsg` calls made.
    pub sends: u32,
}

pub struct Client<T> {
    transport: T,
    family: Option<u16>,
    next_seq: u32,
    limits: Limits,
    buf: Vec<u8>,
}

impl<T: Transport> Client<T> {
    pub fn new(transport: T) -> Self {
        let limits = transport.limits();
        Self {
            transport,
            family: None,
            next_seq: 1,
            limits,
            buf: Vec::new(),
        }
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The IPVS family id, asked of the generic netlink controller once.
    pub fn family(&mut self, watch: &Watch) -> Result<u16, IpvsError> {
        if let Some(id) = self.family {
            return Ok(id);
        }
        let id = self.resolve_family(crate::message::IPVS_GENL_NAME, watch)?;
        self.family = Some(id);
        Ok(id)
    }

    /// Any generic netlink family's id (tests resolve "nlctrl" on kernels without IPVS).
    pub fn resolve_family(&mut self, name: &str, watch: &Watch) -> Result<u16, IpvsError> {
        let seq = self.take_seqs(1);
        let mut bytes = Vec::new();
        wire::encode_get_family(&mut bytes, name, seq);
        let doing = format!("resolving the {name} generic netlink family");
        self.send(&bytes, &doing)?;
        let mut tracker = AckTracker::new(seq, 1);
        let replies = self.receive(&mut tracker, watch, &doing, family::decode)?;
        family::family_id(name, tracker.failures().first().map(|f| f.1), &replies)
    }

    /// One request, returning once the kernel ACKed it (kube-proxy's way of doing everything).
    pub fn request(&mut self, msg: IpvsMessage, watch: &Watch) -> Result<(), IpvsError> {
        self.send_batch(std::slice::from_ref(&msg), watch)
            .map(|_| ())
    }

    /// A request answered by data and an ACK (GET_INFO, GET_SERVICE of one service).
    pub fn query(
        &mut self,
        msg: IpvsMessage,
        watch: &Watch,
    ) -> Result<Vec<IpvsMessage>, IpvsError> {
        self.exchange(&msg, FLAGS_ACKED, watch)
    }

    /// A dump: every data message until NLMSG_DONE.
    pub fn dump(&mut self, msg: IpvsMessage, watch: &Watch) -> Result<Vec<IpvsMessage>, IpvsError> {
        self.exchange(&msg, FLAGS_DUMP, watch)
    }

    pub fn info(&mut self, watch: &Watch) -> Result<IpvsInfo, IpvsError> {
        let replies = self.query(IpvsMessage::get_info(), watch)?;
        Ok(IpvsInfo::from_attrs(
            replies.first().map_or(&[], |m| &m.attrs),
        ))
    }

    pub fn services(&mut self, watch: &Watch) -> Result<Vec<VirtualService>, IpvsError> {
        let replies = self.dump(IpvsMessage::get_services(), watch)?;
        decode_each(&replies, "GET_SERVICE", |m| {
            VirtualService::from_attrs(m.service_attrs().unwrap_or_default())
        })
    }

    pub fn dests(
        &mut self,
        svc: &VirtualService,
        watch: &Watch,
    ) -> Result<Vec<RealServer>, IpvsError> {
        let replies = self.dump(IpvsMessage::get_dests(svc), watch)?;
        decode_each(&replies, "GET_DEST", |m| {
            RealServer::from_attrs(m.dest_attrs().unwrap_or_default())
        })
    }

    /// Send `msgs` in as few `sendmsg` calls as the limits allow, in order, and wait for every
    /// ACK. Stops after the first batch with a refusal; every refusal in it is reported with
    /// the request that caused it.
    pub fn send_batch(
        &mut self,
        msgs: &[IpvsMessage],
        watch: &Watch,
    ) -> Result<BatchReport, IpvsError> {
        let encoded = self.encode(msgs, watch)?;
        self.send_encoded(&encoded, watch)
    }

    /// Encode `msgs` for sending (sequence numbers are set when sent), so callers can keep
    /// this user-space work out of the time they measure around the kernel.
    pub fn encode<'m>(
        &mut self,
        msgs: &'m [IpvsMessage],
        watch: &Watch,
    ) -> Result<Encoded<'m>, IpvsError> {
        let family = self.family(watch)?;
        let bytes = msgs
            .iter()
            .map(|m| {
                let mut b = Vec::new();
                wire::encode_ipvs(&mut b, m, family, FLAGS_ACKED, 0);
                b
            })
            .collect();
        Ok(Encoded { msgs, bytes })
    }

    /// Send what [`Client::encode`] made, batched, waiting for every ACK (see `send_batch`).
    pub fn send_encoded(
        &mut self,
        encoded: &Encoded<'_>,
        watch: &Watch,
    ) -> Result<BatchReport, IpvsError> {
        let (msgs, encoded) = (encoded.msgs, &encoded.bytes);
        let sizes: Vec<usize> = encoded.iter().map(Vec::len).collect();
        let mut report = BatchReport::default();
        for range in batch::plan(&sizes, self.limits) {
            let first_seq = self.take_seqs(range.len());
            let mut bytes = Vec::with_capacity(sizes[range.clone()].iter().sum());
            for (i, one) in encoded[range.clone()].iter().enumerate() {
                let start = bytes.len();
                bytes.extend_from_slice(one);
                // The sequence number sits at bytes 8..12 of the netlink header.
                let seq = first_seq.wrapping_add(i as u32);
                bytes[start + 8..start + 12].copy_from_slice(&seq.to_ne_bytes());
            }
            let doing = format!("sending {} IPVS requests", range.len());
            self.send(&bytes, &doing)?;
            report.sends += 1;
            let mut tracker = AckTracker::new(first_seq, range.len());
            let sent = &msgs[range.clone()];
            match self.receive(&mut tracker, watch, &doing, wire::decode_ipvs) {
                Err(IpvsError::AcksLost { .. }) => {
                    // Next time, half as many ACKs in flight.
                    self.limits = self.limits.halved();
                    let first = tracker.first_pending().map_or(0, |i| i);
                    return Err(IpvsError::AcksLost {
                        unacked: tracker.pending(),
                        total: msgs.len(),
                        first_unacked: sent[first].describe(),
                    });
                }
                other => other?,
            };
            report.requests += range.len();
            let failures = tracker.failures();
            if !failures.is_empty() {
                return Err(failure_error(sent, &failures, msgs.len()));
            }
        }
        Ok(report)
    }

    fn exchange(
        &mut self,
        msg: &IpvsMessage,
        flags: u16,
        watch: &Watch,
    ) -> Result<Vec<IpvsMessage>, IpvsError> {
        let family = self.family(watch)?;
        let seq = self.take_seqs(1);
        let mut bytes = Vec::new();
        wire::encode_ipvs(&mut bytes, msg, family, flags, seq);
        let doing = format!("sending {}", msg.describe());
        self.send(&bytes, &doing)?;
        let mut tracker = AckTracker::new(seq, 1);
        let data = self
            .receive(&mut tracker, watch, &doing, wire::decode_ipvs)
            .map_err(|e| match e {
                // Replies of a dump or query were dropped: its answer is incomplete.
                IpvsError::AcksLost { .. } => IpvsError::AcksLost {
                    unacked: 1,
                    total: 1,
                    first_unacked: msg.describe(),
                },
                other => other,
            })?;
        match tracker.failures().first() {
            Some((_, errno)) => Err(failure_error(std::slice::from_ref(msg), &[(0, *errno)], 1)),
            None => Ok(data),
        }
    }

    fn take_seqs(&mut self, n: usize) -> u32 {
        let first = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(n as u32);
        first
    }

    fn send(&mut self, bytes: &[u8], doing: &str) -> Result<(), IpvsError> {
        self.transport.send(bytes).map_err(|source| IpvsError::Io {
            doing: doing.to_string(),
            source,
        })
    }
}

mod receive;
#[cfg(test)]
mod tests;

use receive::{decode_each, failure_error};
