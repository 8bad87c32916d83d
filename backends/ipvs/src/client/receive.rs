//! The receiving half of the client: matching replies to requests, and turning refusals
//! into errors that name the request.

use super::{Client, Transport, Watch};
use crate::batch::AckTracker;
use crate::error::IpvsError;
use crate::message::{IpvsMessage, SvcAttr};
use crate::wire::Reply;
use netlink_packet_core::DecodeError;
use std::io;

impl<T: Transport> Client<T> {
    /// Receive until every request of `tracker` is answered (ACK, errno, or NLMSG_DONE);
    /// return the data messages that belong to it. Replies to older requests (left over from
    /// an operation abandoned at its deadline) are skipped.
    pub(super) fn receive<D>(
        &mut self,
        tracker: &mut AckTracker,
        watch: &Watch,
        doing: &str,
        decode: impl Fn(&[u8], &dyn Fn(u32) -> bool) -> Result<Vec<Reply<D>>, DecodeError>,
    ) -> Result<Vec<D>, IpvsError> {
        let mut data = Vec::new();
        while !tracker.is_complete() {
            watch.check(doing)?;
            match self.transport.recv(&mut self.buf) {
                Ok(()) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    continue
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => {
                    return Err(IpvsError::AcksLost {
                        unacked: tracker.pending(),
                        total: tracker.pending(),
                        first_unacked: String::new(),
                    })
                }
                Err(source) => {
                    return Err(IpvsError::Io {
                        doing: doing.into(),
                        source,
                    })
                }
            }
            let fresh = |seq: u32| !tracker.is_stale(seq);
            let replies = decode(&self.buf, &fresh).map_err(|e| IpvsError::Decode {
                doing: doing.into(),
                detail: e.to_string(),
            })?;
            for reply in replies {
                let recorded = match reply {
                    Reply::Data { msg, .. } => {
                        data.push(msg);
                        Ok(())
                    }
                    Reply::Ack { seq } | Reply::Done { seq } => tracker.record(seq, 0),
                    Reply::Error { seq, errno } => tracker.record(seq, errno),
                };
                recorded.map_err(|e| IpvsError::Protocol {
                    doing: doing.into(),
                    detail: e.to_string(),
                })?;
            }
        }
        Ok(data)
    }
}

pub(super) fn decode_each<X>(
    replies: &[IpvsMessage],
    what: &str,
    f: impl Fn(&IpvsMessage) -> Result<X, DecodeError>,
) -> Result<Vec<X>, IpvsError> {
    replies
        .iter()
        .map(|m| {
            f(m).map_err(|e| IpvsError::Decode {
                doing: format!("reading the {what} dump"),
                detail: e.to_string(),
            })
        })
        .collect()
}

/// The error for the refused requests of one batch: the typed error of the first, the others
/// listed (up to ten).
pub(super) fn failure_error(
    sent: &[IpvsMessage],
    failures: &[(usize, i32)],
    total: usize,
) -> IpvsError {
    let typed = |(i, errno): (usize, i32)| {
        let msg = &sent[i];
        let sched = msg
            .service_attrs()
            .and_then(|a| {
                a.iter().find_map(|x| match x {
                    SvcAttr::SchedName(s) => Some(s.clone()),
                    _ => None,
                })
            })
            .unwrap_or_default();
        IpvsError::from_errno(msg.cmd, errno, msg.describe(), &sched)
    };
    let first = typed(failures[0]);
    if failures.len() == 1 && total == 1 {
        return first;
    }
    IpvsError::Batch {
        failed: failures.len(),
        total,
        first: Box::new(first),
        others: failures[1..]
            .iter()
            .take(10)
            .map(|f| typed(*f).to_string())
            .collect(),
    }
}
