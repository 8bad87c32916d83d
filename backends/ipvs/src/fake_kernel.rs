//! A fake kernel behind the `Transport` trait, for testing the client without IPVS.
//!
//! It answers the way `ip_vs_ctl.c` does for the commands svclab sends (EEXIST, ESRCH,
//! ENOENT for an unknown scheduler or real server, EINVAL for a missing attribute), queues one
//! datagram per ACK like the kernel queues one skb per ACK, and drops ACKs past `ack_room`
//! reporting ENOBUFS, as a full receive buffer does.

use crate::batch::Limits;
use crate::client::Transport;
use crate::message::{InfoAttr, IpvsAttr};
use crate::message::{IpvsCmd, IpvsMessage, RealServer, VirtualService};
use crate::wire;
use netlink_packet_core::{
    DoneMessage, ErrorMessage, NetlinkHeader, NetlinkMessage, NetlinkPayload, NLM_F_MULTIPART,
};
use netlink_packet_generic::GenlMessage;
use std::collections::{BTreeMap, VecDeque};
use std::io;
use std::num::NonZeroI32;

pub const FAMILY: u16 = 0x1b;
type Key = (u16, [u8; 16], u16);

pub struct FakeKernel {
    pub has_ipvs: bool,
    pub services: BTreeMap<Key, (VirtualService, Vec<RealServer>)>,
    /// Datagrams the socket may hold before ACKs are dropped.
    pub ack_room: usize,
    pub limits: Limits,
    pub sends: usize,
    queue: VecDeque<Vec<u8>>,
    overflowed: bool,
}

impl FakeKernel {
    pub fn new(limits: Limits) -> Self {
        Self {
            has_ipvs: true,
            services: BTreeMap::new(),
            ack_room: usize::MAX,
            limits,
            sends: 0,
            queue: VecDeque::new(),
            overflowed: false,
        }
    }

    /// Queue a datagram as if the kernel had sent it (e.g. a stale ACK).
    pub fn inject(&mut self, datagram: Vec<u8>) {
        self.queue.push_back(datagram);
    }

    fn push(&mut self, datagram: Vec<u8>) {
        if self.queue.len() >= self.ack_room {
            self.overflowed = true;
        } else {
            self.queue.push_back(datagram);
        }
    }

    fn handle(&mut self, header: NetlinkHeader, msg: &IpvsMessage) {
        let seq = header.sequence_number;
        let errno = match msg.cmd {
            IpvsCmd::GetService => return self.dump_services(seq),
            IpvsCmd::GetDest => return self.dump_dests(seq, msg),
            IpvsCmd::GetInfo => {
                let info = IpvsMessage::new(
                    IpvsCmd::SetInfo,
                    vec![
                        IpvsAttr::Info(InfoAttr::Version(0x010201)),
                        IpvsAttr::Info(InfoAttr::ConnTabSize(4096)),
                    ],
                );
                let mut out = Vec::new();
                wire::encode_ipvs(&mut out, &info, FAMILY, 0, seq);
                self.push(out);
                0
            }
            _ => self.apply(msg),
        };
        self.push(ack(header, errno));
    }

    fn apply(&mut self, msg: &IpvsMessage) -> i32 {
        let Some(svc_attrs) = msg.service_attrs() else {
            return if msg.cmd == IpvsCmd::Flush {
                self.services.clear();
                0
            } else {
                libc::EINVAL
            };
        };
        let Ok(svc) = VirtualService::from_attrs(svc_attrs) else {
            return libc::EINVAL;
        };
        let key = (svc.protocol, svc.addr.0, svc.port);
        let full = [6u16, 7, 8, 9].iter().all(|k| {
            svc_attrs
                .iter()
                .any(|a| netlink_packet_core::Nla::kind(a) == *k)
        });
        match msg.cmd {
            IpvsCmd::NewService if !full => libc::EINVAL,
            IpvsCmd::NewService if self.services.contains_key(&key) => libc::EEXIST,
            IpvsCmd::NewService if !["rr", "wrr"].contains(&svc.sched_name.as_str()) => {
                libc::ENOENT
            }
            IpvsCmd::NewService => {
                self.services.insert(key, (svc, Vec::new()));
                0
            }
            _ if !self.services.contains_key(&key) => libc::ESRCH,
            IpvsCmd::DelService => {
                self.services.remove(&key);
                0
            }
            IpvsCmd::NewDest | IpvsCmd::DelDest => {
                let Some(Ok(dest)) = msg.dest_attrs().map(RealServer::from_attrs) else {
                    return libc::EINVAL;
                };
                let Some((_, dests)) = self.services.get_mut(&key) else {
                    return libc::ESRCH;
                };
                let at = dests
                    .iter()
                    .position(|d| (d.addr, d.port) == (dest.addr, dest.port));
                match (msg.cmd, at) {
                    (IpvsCmd::NewDest, Some(_)) => libc::EEXIST,
                    (IpvsCmd::NewDest, None) => {
                        dests.push(dest);
                        0
                    }
                    (_, Some(i)) => {
                        dests.remove(i);
                        0
                    }
                    (_, None) => libc::ENOENT,
                }
            }
            _ => libc::EINVAL,
        }
    }

    fn dump_services(&mut self, seq: u32) {
        let mut out = Vec::new();
        for (svc, _) in self.services.values() {
            let mut s = svc.clone();
            s.flags |= 0x0002; // IP_VS_SVC_F_HASHED, as the kernel reports it
            let mut attrs = IpvsMessage::new_service(&s).attrs;
            attrs.truncate(1);
            wire::encode_ipvs(
                &mut out,
                &IpvsMessage::new(IpvsCmd::NewService, attrs),
                FAMILY,
                NLM_F_MULTIPART,
                seq,
            );
        }
        out.extend(done(seq));
        self.push(out);
    }

    fn dump_dests(&mut self, seq: u32, msg: &IpvsMessage) {
        let mut out = Vec::new();
        let svc = msg
            .service_attrs()
            .and_then(|a| VirtualService::from_attrs(a).ok());
        if let Some((svc, dests)) =
            svc.and_then(|s| self.services.get(&(s.protocol, s.addr.0, s.port)))
        {
            for d in dests {
                let reply = IpvsMessage::new(
                    IpvsCmd::NewDest,
                    IpvsMessage::new_dest(svc, d).attrs[1..].to_vec(),
                );
                wire::encode_ipvs(&mut out, &reply, FAMILY, NLM_F_MULTIPART, seq);
            }
        }
        out.extend(done(seq));
        self.push(out);
    }
}

fn ack(request: NetlinkHeader, errno: i32) -> Vec<u8> {
    let mut e = ErrorMessage::default();
    e.code = NonZeroI32::new(-errno);
    let mut echoed = vec![0u8; 16];
    netlink_packet_core::Emitable::emit(&request, &mut echoed);
    e.header = echoed;
    frame(request.sequence_number, NetlinkPayload::Error(e))
}

fn done(seq: u32) -> Vec<u8> {
    frame(seq, NetlinkPayload::Done(DoneMessage::default()))
}

fn frame(seq: u32, payload: NetlinkPayload<GenlMessage<IpvsMessage>>) -> Vec<u8> {
    let mut header = NetlinkHeader::default();
    header.sequence_number = seq;
    let mut nl = NetlinkMessage::new(header, payload);
    nl.finalize();
    let mut out = vec![0u8; nl.buffer_len()];
    nl.serialize(&mut out);
    out
}

impl Transport for FakeKernel {
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.sends += 1;
        let mut offset = 0;
        while offset < bytes.len() {
            let len = u32::from_ne_bytes([
                bytes[offset],
                bytes[offset + 1],
                bytes[offset + 2],
                bytes[offset + 3],
            ]) as usize;
            let one = &bytes[offset..offset + len];
            offset += len;
            if u16::from_ne_bytes([one[4], one[5]]) == 16 {
                // The controller: GETFAMILY "IPVS".
                let mut header = NetlinkHeader::default();
                header.sequence_number = u32::from_ne_bytes([one[8], one[9], one[10], one[11]]);
                if self.has_ipvs {
                    self.push(crate::family::new_family_reply(
                        header.sequence_number,
                        FAMILY,
                    ));
                    self.push(ack(header, 0));
                } else {
                    self.push(ack(header, libc::ENOENT));
                }
                continue;
            }
            let nl = NetlinkMessage::<GenlMessage<IpvsMessage>>::deserialize(one)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
            if let NetlinkPayload::InnerMessage(genl) = nl.payload {
                self.handle(nl.header, &genl.payload);
            }
        }
        Ok(())
    }

    fn recv(&mut self, buf: &mut Vec<u8>) -> io::Result<()> {
        // What was queued is delivered; then the overrun is reported once.
        if let Some(datagram) = self.queue.pop_front() {
            *buf = datagram;
            return Ok(());
        }
        if std::mem::take(&mut self.overflowed) {
            return Err(io::Error::from_raw_os_error(libc::ENOBUFS));
        }
        Err(io::ErrorKind::WouldBlock.into())
    }

    fn limits(&self) -> Limits {
        self.limits
    }
}
