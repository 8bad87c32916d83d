//! Netlink framing: IPVS requests to bytes, and a receive buffer to classified replies. Pure.

use crate::message::IpvsMessage;
use netlink_packet_core::{
    DecodeError, Emitable, NetlinkBuffer, NetlinkDeserializable, NetlinkMessage, NetlinkPayload,
    NLM_F_ACK, NLM_F_DUMP, NLM_F_MULTIPART, NLM_F_REQUEST,
};
use netlink_packet_generic::ctrl::nlas::GenlCtrlAttrs;
use netlink_packet_generic::ctrl::{GenlCtrl, GenlCtrlCmd};
use netlink_packet_generic::{GenlFamily, GenlMessage};

/// A request that changes state: the kernel answers with an ACK (NLMSG_ERROR, error 0) or an
/// NLMSG_ERROR carrying the errno.
pub const FLAGS_ACKED: u16 = NLM_F_REQUEST | NLM_F_ACK;
/// A dump: data messages flagged NLM_F_MULTI, then NLMSG_DONE. No ACK is asked for: the kernel
/// skips it for dumps anyway.
pub const FLAGS_DUMP: u16 = NLM_F_REQUEST | NLM_F_DUMP;

/// Append one IPVS request, framed for `family_id` with `flags` and `seq`, to `out`.
/// The port id stays 0: the kernel fills in the sender's.
pub fn encode_ipvs(out: &mut Vec<u8>, msg: &IpvsMessage, family_id: u16, flags: u16, seq: u32) {
    let mut genl = GenlMessage::from_payload(Borrowed(msg));
    genl.set_resolved_family_id(family_id);
    encode(out, genl, flags, seq);
}

/// A request borrowed for encoding: `GenlMessage` owns its payload, and a full sync would
/// otherwise clone every request's attributes only to serialise them.
#[derive(Debug)]
struct Borrowed<'a>(&'a IpvsMessage);

impl GenlFamily for Borrowed<'_> {
    fn family_name() -> &'static str {
        IpvsMessage::family_name()
    }

    fn command(&self) -> u8 {
        self.0.command()
    }

    fn version(&self) -> u8 {
        self.0.version()
    }
}

impl Emitable for Borrowed<'_> {
    fn buffer_len(&self) -> usize {
        self.0.buffer_len()
    }

    fn emit(&self, buffer: &mut [u8]) {
        self.0.emit(buffer)
    }
}

/// CTRL_CMD_GETFAMILY for `name`, the controller request that resolves a family id.
pub fn encode_get_family(out: &mut Vec<u8>, name: &str, seq: u32) {
    let genl = GenlMessage::from_payload(GenlCtrl {
        cmd: GenlCtrlCmd::GetFamily,
        nlas: vec![GenlCtrlAttrs::FamilyName(name.to_string())],
    });
    encode(out, genl, FLAGS_ACKED, seq);
}

fn encode<F>(out: &mut Vec<u8>, genl: GenlMessage<F>, flags: u16, seq: u32)
where
    F: GenlFamily + Emitable + std::fmt::Debug,
{
    let mut nl = NetlinkMessage::from(genl);
    nl.header.flags = flags;
    nl.header.sequence_number = seq;
    nl.finalize();
    let start = out.len();
    out.resize(start + nl.buffer_len(), 0);
    nl.serialize(&mut out[start..]);
}

/// One received netlink message, reduced to what the client acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply<T> {
    /// A data message (`multi`: part of a dump, NLM_F_MULTI).
    Data { seq: u32, multi: bool, msg: T },
    /// NLMSG_ERROR with error 0.
    Ack { seq: u32 },
    /// NLMSG_ERROR with a negative errno, kept here as the positive errno.
    Error { seq: u32, errno: i32 },
    /// NLMSG_DONE: the end of a dump.
    Done { seq: u32 },
}

impl<T> Reply<T> {
    pub fn seq(&self) -> u32 {
        match self {
            Reply::Data { seq, .. }
            | Reply::Ack { seq }
            | Reply::Error { seq, .. }
            | Reply::Done { seq } => *seq,
        }
    }
}

/// Data messages of the IPVS family.
pub type IpvsReply = Reply<IpvsMessage>;

/// Every netlink message in one datagram whose sequence number `want`s it, in order. Others
/// (late answers to abandoned requests) are skipped before their payload is parsed.
pub fn decode<I>(buf: &[u8], want: &dyn Fn(u32) -> bool) -> Result<Vec<Reply<I>>, DecodeError>
where
    I: NetlinkDeserializable,
{
    let mut replies = Vec::new();
    let mut offset = 0;
    while offset + 16 <= buf.len() {
        let header = NetlinkBuffer::new_checked(&buf[offset..])?;
        let len = header.length() as usize;
        if !want(header.sequence_number()) {
            offset += (len + 3) & !3;
            continue;
        }
        let msg = NetlinkMessage::<I>::deserialize(&buf[offset..offset + len])?;
        let seq = msg.header.sequence_number;
        let multi = msg.header.flags & NLM_F_MULTIPART != 0;
        match msg.payload {
            NetlinkPayload::InnerMessage(msg) => replies.push(Reply::Data { seq, multi, msg }),
            NetlinkPayload::Error(e) => replies.push(match e.code {
                None => Reply::Ack { seq },
                Some(code) => Reply::Error {
                    seq,
                    errno: -code.get(),
                },
            }),
            // A dump that failed part-way ends in NLMSG_DONE carrying the errno.
            NetlinkPayload::Done(d) if d.code != 0 => replies.push(Reply::Error {
                seq,
                errno: -d.code,
            }),
            NetlinkPayload::Done(_) => replies.push(Reply::Done { seq }),
            // NOOP and OVERRUN carry nothing the client uses.
            _ => {}
        }
        offset += (len + 3) & !3;
    }
    Ok(replies)
}

/// Decode generic netlink replies, keeping each data message's family payload.
pub fn decode_genl<F>(buf: &[u8], want: &dyn Fn(u32) -> bool) -> Result<Vec<Reply<F>>, DecodeError>
where
    GenlMessage<F>: NetlinkDeserializable,
{
    Ok(decode::<GenlMessage<F>>(buf, want)?
        .into_iter()
        .map(|r| match r {
            Reply::Data { seq, multi, msg } => Reply::Data {
                seq,
                multi,
                msg: msg.payload,
            },
            Reply::Ack { seq } => Reply::Ack { seq },
            Reply::Error { seq, errno } => Reply::Error { seq, errno },
            Reply::Done { seq } => Reply::Done { seq },
        })
        .collect())
}

/// Decode IPVS replies: generic netlink data messages carry an `IpvsMessage`.
pub fn decode_ipvs(buf: &[u8], want: &dyn Fn(u32) -> bool) -> Result<Vec<IpvsReply>, DecodeError> {
    decode_genl(buf, want)
}
