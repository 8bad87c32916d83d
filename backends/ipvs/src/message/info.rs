//! GET_INFO reply attributes (`IPVS_INFO_ATTR_*`), at the top level of an `IPVS_CMD_SET_INFO`.

use super::put_ne;
use netlink_packet_core::{
    parse_u32, DecodeError, DefaultNla, ErrorContext, Nla, NlaBuffer, Parseable,
};

pub const IPVS_INFO_ATTR_VERSION: u16 = 1;
pub const IPVS_INFO_ATTR_CONN_TAB_SIZE: u16 = 2;

#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InfoAttr {
    /// `IP_VS_VERSION_CODE`, e.g. `0x010201` for 1.2.1.
    #[doc(alias = "IPVS_INFO_ATTR_VERSION")]
    Version(u32),
    /// Size of the connection hash table (`ip_vs_conn_tab_size`).
    #[doc(alias = "IPVS_INFO_ATTR_CONN_TAB_SIZE")]
    ConnTabSize(u32),
    Other(DefaultNla),
}

impl Nla for InfoAttr {
    fn value_len(&self) -> usize {
        match self {
            InfoAttr::Version(_) | InfoAttr::ConnTabSize(_) => 4,
            InfoAttr::Other(nla) => nla.value_len(),
        }
    }

    fn kind(&self) -> u16 {
        match self {
            InfoAttr::Version(_) => IPVS_INFO_ATTR_VERSION,
            InfoAttr::ConnTabSize(_) => IPVS_INFO_ATTR_CONN_TAB_SIZE,
            InfoAttr::Other(nla) => nla.kind(),
        }
    }

    fn emit_value(&self, buffer: &mut [u8]) {
        match self {
            InfoAttr::Version(v) | InfoAttr::ConnTabSize(v) => put_ne(buffer, &v.to_ne_bytes()),
            InfoAttr::Other(nla) => nla.emit_value(buffer),
        }
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Parseable<NlaBuffer<&'a T>> for InfoAttr {
    fn parse(buf: &NlaBuffer<&'a T>) -> Result<Self, DecodeError> {
        let v = buf.value();
        Ok(match buf.kind() {
            IPVS_INFO_ATTR_VERSION => {
                InfoAttr::Version(parse_u32(v).context("invalid IPVS_INFO_ATTR_VERSION")?)
            }
            IPVS_INFO_ATTR_CONN_TAB_SIZE => {
                InfoAttr::ConnTabSize(parse_u32(v).context("invalid IPVS_INFO_ATTR_CONN_TAB_SIZE")?)
            }
            _ => InfoAttr::Other(DefaultNla::parse(buf)?),
        })
    }
}

/// What GET_INFO reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IpvsInfo {
    pub version: u32,
    pub conn_tab_size: u32,
}

impl IpvsInfo {
    /// Read from the attributes of a GET_INFO reply; missing ones stay 0.
    pub fn from_attrs(attrs: &[super::IpvsAttr]) -> Self {
        let mut info = IpvsInfo::default();
        for attr in attrs {
            match attr {
                super::IpvsAttr::Info(InfoAttr::Version(v)) => info.version = *v,
                super::IpvsAttr::Info(InfoAttr::ConnTabSize(v)) => info.conn_tab_size = *v,
                _ => {}
            }
        }
        info
    }

    /// `major.minor.patch`, as `ipvsadm` prints it.
    pub fn version_string(&self) -> String {
        let v = self.version;
        format!("{}.{}.{}", (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff)
    }
}
