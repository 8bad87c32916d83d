//! IPVS commands (`IPVS_CMD_*`) and the first level of attributes (`IPVS_CMD_ATTR_*`).

use super::{parse_nested, DestAttr, InfoAttr, SvcAttr};
use netlink_packet_core::{
    DecodeError, DefaultNla, Emitable, ErrorContext, Nla, NlaBuffer, Parseable,
};

pub const IPVS_CMD_UNSPEC: u8 = 0;
pub const IPVS_CMD_NEW_SERVICE: u8 = 1;
pub const IPVS_CMD_SET_SERVICE: u8 = 2;
pub const IPVS_CMD_DEL_SERVICE: u8 = 3;
pub const IPVS_CMD_GET_SERVICE: u8 = 4;
pub const IPVS_CMD_NEW_DEST: u8 = 5;
pub const IPVS_CMD_SET_DEST: u8 = 6;
pub const IPVS_CMD_DEL_DEST: u8 = 7;
pub const IPVS_CMD_GET_DEST: u8 = 8;
pub const IPVS_CMD_NEW_DAEMON: u8 = 9;
pub const IPVS_CMD_DEL_DAEMON: u8 = 10;
pub const IPVS_CMD_GET_DAEMON: u8 = 11;
pub const IPVS_CMD_SET_CONFIG: u8 = 12;
pub const IPVS_CMD_GET_CONFIG: u8 = 13;
/// Only used as the command of a GET_INFO reply.
pub const IPVS_CMD_SET_INFO: u8 = 14;
pub const IPVS_CMD_GET_INFO: u8 = 15;
pub const IPVS_CMD_ZERO: u8 = 16;
pub const IPVS_CMD_FLUSH: u8 = 17;

pub const IPVS_CMD_ATTR_SERVICE: u16 = 1;
pub const IPVS_CMD_ATTR_DEST: u16 = 2;
pub const IPVS_CMD_ATTR_DAEMON: u16 = 3;
pub const IPVS_CMD_ATTR_TIMEOUT_TCP: u16 = 4;
pub const IPVS_CMD_ATTR_TIMEOUT_TCP_FIN: u16 = 5;
pub const IPVS_CMD_ATTR_TIMEOUT_UDP: u16 = 6;

/// The commands svclab sends or receives; the rest stay numeric in `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IpvsCmd {
    #[doc(alias = "IPVS_CMD_NEW_SERVICE")]
    NewService,
    #[doc(alias = "IPVS_CMD_SET_SERVICE")]
    SetService,
    #[doc(alias = "IPVS_CMD_DEL_SERVICE")]
    DelService,
    #[doc(alias = "IPVS_CMD_GET_SERVICE")]
    GetService,
    #[doc(alias = "IPVS_CMD_NEW_DEST")]
    NewDest,
    #[doc(alias = "IPVS_CMD_SET_DEST")]
    SetDest,
    #[doc(alias = "IPVS_CMD_DEL_DEST")]
    DelDest,
    #[doc(alias = "IPVS_CMD_GET_DEST")]
    GetDest,
    #[doc(alias = "IPVS_CMD_SET_INFO")]
    SetInfo,
    #[doc(alias = "IPVS_CMD_GET_INFO")]
    GetInfo,
    #[doc(alias = "IPVS_CMD_FLUSH")]
    Flush,
    Other(u8),
}

const CMDS: [(IpvsCmd, u8); 11] = [
    (IpvsCmd::NewService, IPVS_CMD_NEW_SERVICE),
    (IpvsCmd::SetService, IPVS_CMD_SET_SERVICE),
    (IpvsCmd::DelService, IPVS_CMD_DEL_SERVICE),
    (IpvsCmd::GetService, IPVS_CMD_GET_SERVICE),
    (IpvsCmd::NewDest, IPVS_CMD_NEW_DEST),
    (IpvsCmd::SetDest, IPVS_CMD_SET_DEST),
    (IpvsCmd::DelDest, IPVS_CMD_DEL_DEST),
    (IpvsCmd::GetDest, IPVS_CMD_GET_DEST),
    (IpvsCmd::SetInfo, IPVS_CMD_SET_INFO),
    (IpvsCmd::GetInfo, IPVS_CMD_GET_INFO),
    (IpvsCmd::Flush, IPVS_CMD_FLUSH),
];

impl From<IpvsCmd> for u8 {
    fn from(cmd: IpvsCmd) -> u8 {
        match cmd {
            IpvsCmd::Other(n) => n,
            known => CMDS
                .iter()
                .find(|(c, _)| *c == known)
                .map_or(IPVS_CMD_UNSPEC, |(_, n)| *n),
        }
    }
}

impl From<u8> for IpvsCmd {
    fn from(n: u8) -> IpvsCmd {
        CMDS.iter()
            .find(|(_, v)| *v == n)
            .map_or(IpvsCmd::Other(n), |(c, _)| *c)
    }
}

/// First-level attributes. `Info` only appears at the top of GET_INFO replies (its numbers
/// overlap these, see `IpvsMessage`'s parser).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IpvsAttr {
    #[doc(alias = "IPVS_CMD_ATTR_SERVICE")]
    Service(Vec<SvcAttr>),
    #[doc(alias = "IPVS_CMD_ATTR_DEST")]
    Dest(Vec<DestAttr>),
    Info(InfoAttr),
    Other(DefaultNla),
}

impl Nla for IpvsAttr {
    fn value_len(&self) -> usize {
        match self {
            IpvsAttr::Service(attrs) => attrs.as_slice().buffer_len(),
            IpvsAttr::Dest(attrs) => attrs.as_slice().buffer_len(),
            IpvsAttr::Info(attr) => attr.value_len(),
            IpvsAttr::Other(nla) => nla.value_len(),
        }
    }

    // Nested attributes go out without NLA_F_NESTED, as libipvs and the Go clients send them;
    // the IPVS ops do not ask for strict validation, and the parser accepts either form.
    fn kind(&self) -> u16 {
        match self {
            IpvsAttr::Service(_) => IPVS_CMD_ATTR_SERVICE,
            IpvsAttr::Dest(_) => IPVS_CMD_ATTR_DEST,
            IpvsAttr::Info(attr) => attr.kind(),
            IpvsAttr::Other(nla) => nla.kind(),
        }
    }

    fn emit_value(&self, buffer: &mut [u8]) {
        match self {
            IpvsAttr::Service(attrs) => attrs.as_slice().emit(buffer),
            IpvsAttr::Dest(attrs) => attrs.as_slice().emit(buffer),
            IpvsAttr::Info(attr) => attr.emit_value(buffer),
            IpvsAttr::Other(nla) => nla.emit_value(buffer),
        }
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Parseable<NlaBuffer<&'a T>> for IpvsAttr {
    fn parse(buf: &NlaBuffer<&'a T>) -> Result<Self, DecodeError> {
        let value = buf.value();
        Ok(match buf.kind() {
            IPVS_CMD_ATTR_SERVICE => IpvsAttr::Service(
                parse_nested(value, "IPVS_CMD_ATTR_SERVICE")
                    .context("invalid IPVS_CMD_ATTR_SERVICE")?,
            ),
            IPVS_CMD_ATTR_DEST => IpvsAttr::Dest(
                parse_nested(value, "IPVS_CMD_ATTR_DEST").context("invalid IPVS_CMD_ATTR_DEST")?,
            ),
            _ => IpvsAttr::Other(DefaultNla::parse(buf)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_numbers_round_trip() {
        for n in 0..=20u8 {
            assert_eq!(u8::from(IpvsCmd::from(n)), n);
        }
        assert_eq!(IpvsCmd::from(IPVS_CMD_FLUSH), IpvsCmd::Flush);
        assert_eq!(IpvsCmd::from(IPVS_CMD_ZERO), IpvsCmd::Other(16));
    }
}
