//! IPVS generic netlink messages, encoded and decoded on rust-netlink's traits.
//!
//! Pure: no socket here. Names follow the kernel's `include/uapi/linux/ip_vs.h`; byte layout and
//! the attributes each command requires follow `net/netfilter/ipvs/ip_vs_ctl.c`
//! (`ip_vs_genl_parse_service`, `ip_vs_genl_parse_dest`, `ip_vs_genl_fill_*`).

mod addr;
mod cmd;
mod describe;
mod dest;
mod info;
mod request;
mod service;
#[cfg(all(test, target_endian = "little"))]
mod tests;

pub use addr::IpvsAddr;
pub use cmd::*;
pub use describe::{cmd_name, service_text};
pub use dest::*;
pub use info::*;
pub use request::{RealServer, VirtualService};
pub use service::*;

use netlink_packet_core::{
    DecodeError, Emitable, ErrorContext, NlaBuffer, NlasIterator, Parseable, ParseableParametrized,
};
use netlink_packet_generic::{GenlFamily, GenlHeader};

/// The family name the generic netlink controller knows IPVS by.
pub const IPVS_GENL_NAME: &str = "IPVS";
pub const IPVS_GENL_VERSION: u8 = 0x1;

/// `AF_INET`, as `IPVS_SVC_ATTR_AF` and `IPVS_DEST_ATTR_ADDR_FAMILY` carry it.
pub const AF_INET: u16 = 2;
/// `AF_INET6`.
pub const AF_INET6: u16 = 10;

/// One IPVS generic netlink message: a command and its top-level attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpvsMessage {
    pub cmd: IpvsCmd,
    pub attrs: Vec<IpvsAttr>,
}

impl IpvsMessage {
    pub fn new(cmd: IpvsCmd, attrs: Vec<IpvsAttr>) -> Self {
        Self { cmd, attrs }
    }

    /// The nested service attributes, if the message carries `IPVS_CMD_ATTR_SERVICE`.
    pub fn service_attrs(&self) -> Option<&[SvcAttr]> {
        self.attrs.iter().find_map(|a| match a {
            IpvsAttr::Service(s) => Some(s.as_slice()),
            _ => None,
        })
    }

    /// The nested destination attributes, if the message carries `IPVS_CMD_ATTR_DEST`.
    pub fn dest_attrs(&self) -> Option<&[DestAttr]> {
        self.attrs.iter().find_map(|a| match a {
            IpvsAttr::Dest(d) => Some(d.as_slice()),
            _ => None,
        })
    }
}

impl GenlFamily for IpvsMessage {
    fn family_name() -> &'static str {
        IPVS_GENL_NAME
    }

    // The id is assigned at registration; it is resolved through the controller at run time
    // (see `GenlMessage::set_resolved_family_id`), so the static id stays 0.

    fn command(&self) -> u8 {
        self.cmd.into()
    }

    fn version(&self) -> u8 {
        IPVS_GENL_VERSION
    }
}

impl Emitable for IpvsMessage {
    fn buffer_len(&self) -> usize {
        self.attrs.as_slice().buffer_len()
    }

    fn emit(&self, buffer: &mut [u8]) {
        self.attrs.as_slice().emit(buffer)
    }
}

impl ParseableParametrized<[u8], GenlHeader> for IpvsMessage {
    fn parse_with_param(buf: &[u8], header: GenlHeader) -> Result<Self, DecodeError> {
        let cmd = IpvsCmd::from(header.cmd);
        let attrs = NlasIterator::new(buf)
            .map(|nla| nla.and_then(|nla| parse_top_level(cmd, &nla)))
            .collect::<Result<Vec<_>, _>>()
            .with_context(|| format!("failed to parse the attributes of {cmd:?}"))?;
        Ok(Self { cmd, attrs })
    }
}

/// GET_INFO replies put `IPVS_INFO_ATTR_*` at the top level, where their numbers collide with
/// `IPVS_CMD_ATTR_*`; the command says which set applies.
fn parse_top_level(cmd: IpvsCmd, nla: &NlaBuffer<&[u8]>) -> Result<IpvsAttr, DecodeError> {
    match cmd {
        IpvsCmd::GetInfo | IpvsCmd::SetInfo => Ok(IpvsAttr::Info(InfoAttr::parse(nla)?)),
        _ => IpvsAttr::parse(nla),
    }
}

/// Parse a nested attribute list, naming the container in the error.
fn parse_nested<A>(value: &[u8], container: &str) -> Result<Vec<A>, DecodeError>
where
    A: for<'a> Parseable<NlaBuffer<&'a [u8]>>,
{
    NlasIterator::new(value)
        .map(|nla| nla.and_then(|nla| A::parse(&nla)))
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("failed to parse nested {container}"))
}

/// Write a host-order integer attribute value (the kernel's `nla_get_u16/u32`).
fn put_ne(buffer: &mut [u8], bytes: &[u8]) {
    buffer[..bytes.len()].copy_from_slice(bytes);
}

/// Write a NUL-terminated string (`NLA_NUL_STRING`).
fn put_cstr(buffer: &mut [u8], s: &str) {
    buffer[..s.len()].copy_from_slice(s.as_bytes());
    buffer[s.len()] = 0;
}
