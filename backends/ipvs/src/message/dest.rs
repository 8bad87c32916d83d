//! Real server attributes (`IPVS_DEST_ATTR_*`), nested in `IPVS_CMD_ATTR_DEST`.
//!
//! Types per `ip_vs_dest_policy`: ADDR a 16-byte `union nf_inet_addr`, PORT a big-endian u16,
//! FWD_METHOD, WEIGHT, U_THRESH, L_THRESH and the connection counters host-order u32,
//! ADDR_FAMILY (kernel 3.18+) a host-order u16.

use super::{put_ne, IpvsAddr};
use netlink_packet_core::{
    parse_u16, parse_u16_be, parse_u32, DecodeError, DefaultNla, ErrorContext, Nla, NlaBuffer,
    Parseable,
};

pub const IPVS_DEST_ATTR_ADDR: u16 = 1;
pub const IPVS_DEST_ATTR_PORT: u16 = 2;
pub const IPVS_DEST_ATTR_FWD_METHOD: u16 = 3;
pub const IPVS_DEST_ATTR_WEIGHT: u16 = 4;
pub const IPVS_DEST_ATTR_U_THRESH: u16 = 5;
pub const IPVS_DEST_ATTR_L_THRESH: u16 = 6;
pub const IPVS_DEST_ATTR_ACTIVE_CONNS: u16 = 7;
pub const IPVS_DEST_ATTR_INACT_CONNS: u16 = 8;
pub const IPVS_DEST_ATTR_PERSIST_CONNS: u16 = 9;
pub const IPVS_DEST_ATTR_STATS: u16 = 10;
pub const IPVS_DEST_ATTR_ADDR_FAMILY: u16 = 11;
pub const IPVS_DEST_ATTR_STATS64: u16 = 12;
pub const IPVS_DEST_ATTR_TUN_TYPE: u16 = 13;
pub const IPVS_DEST_ATTR_TUN_PORT: u16 = 14;
pub const IPVS_DEST_ATTR_TUN_FLAGS: u16 = 15;

/// Masquerading (NAT), the forwarding method kube-proxy uses.
pub const IP_VS_CONN_F_MASQ: u32 = 0x0000;
pub const IP_VS_CONN_F_LOCALNODE: u32 = 0x0001;
pub const IP_VS_CONN_F_TUNNEL: u32 = 0x0002;
pub const IP_VS_CONN_F_DROUTE: u32 = 0x0003;
/// The kernel keeps only these bits of `IPVS_DEST_ATTR_FWD_METHOD`.
pub const IP_VS_CONN_F_FWD_MASK: u32 = 0x0007;

#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DestAttr {
    #[doc(alias = "IPVS_DEST_ATTR_ADDR")]
    Addr(IpvsAddr),
    /// Host-order value here; big-endian on the wire.
    #[doc(alias = "IPVS_DEST_ATTR_PORT")]
    Port(u16),
    #[doc(alias = "IPVS_DEST_ATTR_FWD_METHOD")]
    FwdMethod(u32),
    #[doc(alias = "IPVS_DEST_ATTR_WEIGHT")]
    Weight(u32),
    #[doc(alias = "IPVS_DEST_ATTR_U_THRESH")]
    UThresh(u32),
    #[doc(alias = "IPVS_DEST_ATTR_L_THRESH")]
    LThresh(u32),
    #[doc(alias = "IPVS_DEST_ATTR_ACTIVE_CONNS")]
    ActiveConns(u32),
    #[doc(alias = "IPVS_DEST_ATTR_INACT_CONNS")]
    InactConns(u32),
    #[doc(alias = "IPVS_DEST_ATTR_PERSIST_CONNS")]
    PersistConns(u32),
    #[doc(alias = "IPVS_DEST_ATTR_ADDR_FAMILY")]
    AddrFamily(u16),
    /// Anything else, kept raw: `STATS`, `STATS64` (nested) and the tunnel attributes.
    Other(DefaultNla),
}

impl Nla for DestAttr {
    fn value_len(&self) -> usize {
        match self {
            DestAttr::Addr(_) => IpvsAddr::LEN,
            DestAttr::Port(_) | DestAttr::AddrFamily(_) => 2,
            DestAttr::Other(nla) => nla.value_len(),
            _ => 4,
        }
    }

    fn kind(&self) -> u16 {
        match self {
            DestAttr::Addr(_) => IPVS_DEST_ATTR_ADDR,
            DestAttr::Port(_) => IPVS_DEST_ATTR_PORT,
            DestAttr::FwdMethod(_) => IPVS_DEST_ATTR_FWD_METHOD,
            DestAttr::Weight(_) => IPVS_DEST_ATTR_WEIGHT,
            DestAttr::UThresh(_) => IPVS_DEST_ATTR_U_THRESH,
            DestAttr::LThresh(_) => IPVS_DEST_ATTR_L_THRESH,
            DestAttr::ActiveConns(_) => IPVS_DEST_ATTR_ACTIVE_CONNS,
            DestAttr::InactConns(_) => IPVS_DEST_ATTR_INACT_CONNS,
            DestAttr::PersistConns(_) => IPVS_DEST_ATTR_PERSIST_CONNS,
            DestAttr::AddrFamily(_) => IPVS_DEST_ATTR_ADDR_FAMILY,
            DestAttr::Other(nla) => nla.kind(),
        }
    }

    fn emit_value(&self, buffer: &mut [u8]) {
        match self {
            DestAttr::Addr(a) => put_ne(buffer, &a.0),
            DestAttr::Port(v) => put_ne(buffer, &v.to_be_bytes()),
            DestAttr::AddrFamily(v) => put_ne(buffer, &v.to_ne_bytes()),
            DestAttr::FwdMethod(v)
            | DestAttr::Weight(v)
            | DestAttr::UThresh(v)
            | DestAttr::LThresh(v)
            | DestAttr::ActiveConns(v)
            | DestAttr::InactConns(v)
            | DestAttr::PersistConns(v) => put_ne(buffer, &v.to_ne_bytes()),
            DestAttr::Other(nla) => nla.emit_value(buffer),
        }
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Parseable<NlaBuffer<&'a T>> for DestAttr {
    fn parse(buf: &NlaBuffer<&'a T>) -> Result<Self, DecodeError> {
        let v = buf.value();
        let u32_attr = |name: &str| parse_u32(v).with_context(|| format!("invalid {name}"));
        Ok(match buf.kind() {
            IPVS_DEST_ATTR_ADDR => {
                DestAttr::Addr(IpvsAddr::parse(v).context("invalid IPVS_DEST_ATTR_ADDR")?)
            }
            IPVS_DEST_ATTR_PORT => {
                DestAttr::Port(parse_u16_be(v).context("invalid IPVS_DEST_ATTR_PORT")?)
            }
            IPVS_DEST_ATTR_FWD_METHOD => {
                DestAttr::FwdMethod(u32_attr("IPVS_DEST_ATTR_FWD_METHOD")?)
            }
            IPVS_DEST_ATTR_WEIGHT => DestAttr::Weight(u32_attr("IPVS_DEST_ATTR_WEIGHT")?),
            IPVS_DEST_ATTR_U_THRESH => DestAttr::UThresh(u32_attr("IPVS_DEST_ATTR_U_THRESH")?),
            IPVS_DEST_ATTR_L_THRESH => DestAttr::LThresh(u32_attr("IPVS_DEST_ATTR_L_THRESH")?),
            IPVS_DEST_ATTR_ACTIVE_CONNS => {
                DestAttr::ActiveConns(u32_attr("IPVS_DEST_ATTR_ACTIVE_CONNS")?)
            }
            IPVS_DEST_ATTR_INACT_CONNS => {
                DestAttr::InactConns(u32_attr("IPVS_DEST_ATTR_INACT_CONNS")?)
            }
            IPVS_DEST_ATTR_PERSIST_CONNS => {
                DestAttr::PersistConns(u32_attr("IPVS_DEST_ATTR_PERSIST_CONNS")?)
            }
            IPVS_DEST_ATTR_ADDR_FAMILY => {
                DestAttr::AddrFamily(parse_u16(v).context("invalid IPVS_DEST_ATTR_ADDR_FAMILY")?)
            }
            _ => DestAttr::Other(DefaultNla::parse(buf)?),
        })
    }
}
