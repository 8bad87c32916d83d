//! Virtual service attributes (`IPVS_SVC_ATTR_*`), nested in `IPVS_CMD_ATTR_SERVICE`.
//!
//! Types per `ip_vs_svc_policy`: AF and PROTOCOL are host-order u16, PORT is a big-endian u16
//! (`nla_get_be16`), ADDR a 16-byte `union nf_inet_addr`, FWMARK and TIMEOUT host-order u32,
//! NETMASK a big-endian u32 (`nla_get_be32`), SCHED_NAME a NUL-terminated string of at most
//! `IP_VS_SCHEDNAME_MAXLEN` bytes, FLAGS a `struct ip_vs_flags`.

use super::{put_cstr, put_ne, IpvsAddr};
use netlink_packet_core::{
    parse_string, parse_u16, parse_u16_be, parse_u32, parse_u32_be, DecodeError, DefaultNla,
    ErrorContext, Nla, NlaBuffer, Parseable,
};

pub const IPVS_SVC_ATTR_AF: u16 = 1;
pub const IPVS_SVC_ATTR_PROTOCOL: u16 = 2;
pub const IPVS_SVC_ATTR_ADDR: u16 = 3;
pub const IPVS_SVC_ATTR_PORT: u16 = 4;
pub const IPVS_SVC_ATTR_FWMARK: u16 = 5;
pub const IPVS_SVC_ATTR_SCHED_NAME: u16 = 6;
pub const IPVS_SVC_ATTR_FLAGS: u16 = 7;
pub const IPVS_SVC_ATTR_TIMEOUT: u16 = 8;
pub const IPVS_SVC_ATTR_NETMASK: u16 = 9;
pub const IPVS_SVC_ATTR_STATS: u16 = 10;
pub const IPVS_SVC_ATTR_PE_NAME: u16 = 11;
pub const IPVS_SVC_ATTR_STATS64: u16 = 12;

/// Scheduler names are `char[IP_VS_SCHEDNAME_MAXLEN]` in the kernel, NUL included.
pub const IP_VS_SCHEDNAME_MAXLEN: usize = 16;

/// Set by the kernel on every service in its hash table; listed in dumps, never requested.
pub const IP_VS_SVC_F_HASHED: u32 = 0x0002;

/// `struct ip_vs_flags`: the kernel sets `(old & ~mask) | (flags & mask)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IpvsFlags {
    pub flags: u32,
    pub mask: u32,
}

impl IpvsFlags {
    const LEN: usize = 8;

    /// Exactly these flags, every other bit cleared (what kube-proxy sends).
    pub fn exactly(flags: u32) -> Self {
        Self {
            flags,
            mask: u32::MAX,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SvcAttr {
    #[doc(alias = "IPVS_SVC_ATTR_AF")]
    Af(u16),
    /// An IP protocol number (`IPPROTO_TCP` = 6, `IPPROTO_UDP` = 17).
    #[doc(alias = "IPVS_SVC_ATTR_PROTOCOL")]
    Protocol(u16),
    #[doc(alias = "IPVS_SVC_ATTR_ADDR")]
    Addr(IpvsAddr),
    /// Host-order value here; big-endian on the wire.
    #[doc(alias = "IPVS_SVC_ATTR_PORT")]
    Port(u16),
    #[doc(alias = "IPVS_SVC_ATTR_FWMARK")]
    Fwmark(u32),
    #[doc(alias = "IPVS_SVC_ATTR_SCHED_NAME")]
    SchedName(String),
    #[doc(alias = "IPVS_SVC_ATTR_FLAGS")]
    Flags(IpvsFlags),
    /// Persistence timeout in seconds.
    #[doc(alias = "IPVS_SVC_ATTR_TIMEOUT")]
    Timeout(u32),
    /// Host-order value here (`0xffff_ffff` for an IPv4 /32); big-endian on the wire.
    #[doc(alias = "IPVS_SVC_ATTR_NETMASK")]
    Netmask(u32),
    #[doc(alias = "IPVS_SVC_ATTR_PE_NAME")]
    PeName(String),
    /// Anything else, kept raw: `IPVS_SVC_ATTR_STATS` and `STATS64` (nested) among them.
    Other(DefaultNla),
}

impl Nla for SvcAttr {
    fn value_len(&self) -> usize {
        match self {
            SvcAttr::Af(_) | SvcAttr::Protocol(_) | SvcAttr::Port(_) => 2,
            SvcAttr::Fwmark(_) | SvcAttr::Timeout(_) | SvcAttr::Netmask(_) => 4,
            SvcAttr::Addr(_) => IpvsAddr::LEN,
            SvcAttr::SchedName(s) | SvcAttr::PeName(s) => s.len() + 1,
            SvcAttr::Flags(_) => IpvsFlags::LEN,
            SvcAttr::Other(nla) => nla.value_len(),
        }
    }

    fn kind(&self) -> u16 {
        match self {
            SvcAttr::Af(_) => IPVS_SVC_ATTR_AF,
            SvcAttr::Protocol(_) => IPVS_SVC_ATTR_PROTOCOL,
            SvcAttr::Addr(_) => IPVS_SVC_ATTR_ADDR,
            SvcAttr::Port(_) => IPVS_SVC_ATTR_PORT,
            SvcAttr::Fwmark(_) => IPVS_SVC_ATTR_FWMARK,
            SvcAttr::SchedName(_) => IPVS_SVC_ATTR_SCHED_NAME,
            SvcAttr::Flags(_) => IPVS_SVC_ATTR_FLAGS,
            SvcAttr::Timeout(_) => IPVS_SVC_ATTR_TIMEOUT,
            SvcAttr::Netmask(_) => IPVS_SVC_ATTR_NETMASK,
            SvcAttr::PeName(_) => IPVS_SVC_ATTR_PE_NAME,
            SvcAttr::Other(nla) => nla.kind(),
        }
    }

    fn emit_value(&self, buffer: &mut [u8]) {
        match self {
            SvcAttr::Af(v) | SvcAttr::Protocol(v) => put_ne(buffer, &v.to_ne_bytes()),
            SvcAttr::Port(v) => put_ne(buffer, &v.to_be_bytes()),
            SvcAttr::Fwmark(v) | SvcAttr::Timeout(v) => put_ne(buffer, &v.to_ne_bytes()),
            SvcAttr::Netmask(v) => put_ne(buffer, &v.to_be_bytes()),
            SvcAttr::Addr(a) => put_ne(buffer, &a.0),
            SvcAttr::SchedName(s) | SvcAttr::PeName(s) => put_cstr(buffer, s),
            SvcAttr::Flags(f) => {
                put_ne(&mut buffer[..4], &f.flags.to_ne_bytes());
                put_ne(&mut buffer[4..], &f.mask.to_ne_bytes());
            }
            SvcAttr::Other(nla) => nla.emit_value(buffer),
        }
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Parseable<NlaBuffer<&'a T>> for SvcAttr {
    fn parse(buf: &NlaBuffer<&'a T>) -> Result<Self, DecodeError> {
        let v = buf.value();
        Ok(match buf.kind() {
            IPVS_SVC_ATTR_AF => SvcAttr::Af(parse_u16(v).context("invalid IPVS_SVC_ATTR_AF")?),
            IPVS_SVC_ATTR_PROTOCOL => {
                SvcAttr::Protocol(parse_u16(v).context("invalid IPVS_SVC_ATTR_PROTOCOL")?)
            }
            IPVS_SVC_ATTR_ADDR => {
                SvcAttr::Addr(IpvsAddr::parse(v).context("invalid IPVS_SVC_ATTR_ADDR")?)
            }
            IPVS_SVC_ATTR_PORT => {
                SvcAttr::Port(parse_u16_be(v).context("invalid IPVS_SVC_ATTR_PORT")?)
            }
            IPVS_SVC_ATTR_FWMARK => {
                SvcAttr::Fwmark(parse_u32(v).context("invalid IPVS_SVC_ATTR_FWMARK")?)
            }
            IPVS_SVC_ATTR_SCHED_NAME => {
                SvcAttr::SchedName(parse_string(v).context("invalid IPVS_SVC_ATTR_SCHED_NAME")?)
            }
            IPVS_SVC_ATTR_FLAGS => SvcAttr::Flags(parse_flags(v)?),
            IPVS_SVC_ATTR_TIMEOUT => {
                SvcAttr::Timeout(parse_u32(v).context("invalid IPVS_SVC_ATTR_TIMEOUT")?)
            }
            IPVS_SVC_ATTR_NETMASK => {
                SvcAttr::Netmask(parse_u32_be(v).context("invalid IPVS_SVC_ATTR_NETMASK")?)
            }
            IPVS_SVC_ATTR_PE_NAME => {
                SvcAttr::PeName(parse_string(v).context("invalid IPVS_SVC_ATTR_PE_NAME")?)
            }
            _ => SvcAttr::Other(DefaultNla::parse(buf)?),
        })
    }
}

fn parse_flags(v: &[u8]) -> Result<IpvsFlags, DecodeError> {
    if v.len() != IpvsFlags::LEN {
        return Err(DecodeError::from(format!(
            "invalid IPVS_SVC_ATTR_FLAGS: {} bytes, expected {} (struct ip_vs_flags)",
            v.len(),
            IpvsFlags::LEN
        )));
    }
    Ok(IpvsFlags {
        flags: parse_u32(&v[..4])?,
        mask: parse_u32(&v[4..])?,
    })
}
