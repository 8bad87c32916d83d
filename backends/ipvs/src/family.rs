//! Resolving the "IPVS" generic netlink family through the controller (CTRL_CMD_GETFAMILY). Pure.

use crate::error::IpvsError;
use crate::message::IPVS_GENL_NAME;
use crate::wire::{self, Reply};
use netlink_packet_core::{parse_u16, DecodeError, NlasIterator, ParseableParametrized};
#[cfg(test)]
use netlink_packet_generic::ctrl::{nlas::GenlCtrlAttrs, GenlCtrl};
use netlink_packet_generic::GenlHeader;

/// `CTRL_ATTR_FAMILY_ID` (linux/genetlink.h).
const CTRL_ATTR_FAMILY_ID: u16 = 1;

/// What svclab needs of the controller's CTRL_CMD_NEWFAMILY answer: the id. Parsed leniently
/// (netlink-packet-generic's `GenlCtrl` refuses attributes it does not know, and newer kernels
/// keep adding some), every other attribute is skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FamilyReply {
    pub id: Option<u16>,
}

impl ParseableParametrized<[u8], GenlHeader> for FamilyReply {
    fn parse_with_param(buf: &[u8], _header: GenlHeader) -> Result<Self, DecodeError> {
        for nla in NlasIterator::new(buf) {
            let nla = nla?;
            if nla.kind() == CTRL_ATTR_FAMILY_ID {
                return Ok(Self {
                    id: Some(parse_u16(nla.value())?),
                });
            }
        }
        Ok(Self { id: None })
    }
}

/// Decode the controller's replies.
pub fn decode(
    buf: &[u8],
    want: &dyn Fn(u32) -> bool,
) -> Result<Vec<Reply<FamilyReply>>, DecodeError> {
    wire::decode_genl(buf, want)
}

/// The id of family `name` from the controller's answer: its errno (if it refused) and its
/// data replies. ENOENT is what a kernel without the family answers (for IPVS it first tries
/// to load `net-pf-16-proto-16-family-IPVS`, i.e. `ip_vs`, and fails).
pub fn family_id(
    name: &str,
    errno: Option<i32>,
    replies: &[FamilyReply],
) -> Result<u16, IpvsError> {
    match errno {
        Some(libc::ENOENT) if name == IPVS_GENL_NAME => return Err(IpvsError::FamilyMissing),
        Some(errno) => {
            return Err(IpvsError::Kernel {
                request: format!("CTRL_CMD_GETFAMILY {name}"),
                source: std::io::Error::from_raw_os_error(errno),
            })
        }
        None => {}
    }
    replies
        .iter()
        .find_map(|r| r.id)
        .ok_or_else(|| IpvsError::Protocol {
            doing: format!("resolving the {name} generic netlink family"),
            detail: "the controller's reply has no CTRL_ATTR_FAMILY_ID".into(),
        })
}

/// The controller's CTRL_CMD_NEWFAMILY answer carrying `id`, for the fake kernel.
#[cfg(test)]
pub fn new_family_reply(seq: u32, id: u16) -> Vec<u8> {
    use netlink_packet_core::NetlinkMessage;
    use netlink_packet_generic::ctrl::GenlCtrlCmd;
    use netlink_packet_generic::GenlMessage;
    let mut nl = NetlinkMessage::from(GenlMessage::from_payload(GenlCtrl {
        cmd: GenlCtrlCmd::NewFamily,
        nlas: vec![
            GenlCtrlAttrs::FamilyId(id),
            GenlCtrlAttrs::FamilyName("IPVS".into()),
        ],
    }));
    nl.header.sequence_number = seq;
    nl.finalize();
    let mut out = vec![0; nl.buffer_len()];
    nl.serialize(&mut out);
    out
}

#[cfg(all(test, target_endian = "little"))]
mod tests {
    use super::*;

    // Bytes derived by hand from linux/netlink.h, linux/genetlink.h and the controller's
    // ctrl_fill_info(); not a kernel capture (this host's kernel has no IPVS to ask about).

    /// CTRL_CMD_GETFAMILY "IPVS", as `wire::encode_get_family` must write it.
    const GET_FAMILY_IPVS: [u8; 32] = [
        32, 0, 0, 0, // nlmsg_len 32
        16, 0, // nlmsg_type GENL_ID_CTRL
        5, 0, // NLM_F_REQUEST | NLM_F_ACK
        7, 0, 0, 0, // seq 7
        0, 0, 0, 0, // port id: the kernel fills it in
        3, 2, 0, 0, // genl: CTRL_CMD_GETFAMILY, version 2, reserved
        9, 0, 2, 0, // nla len 9, CTRL_ATTR_FAMILY_NAME
        b'I', b'P', b'V', b'S', 0, 0, 0, 0, // "IPVS\0" + 3 bytes padding
    ];

    /// The start of the controller's answer: CTRL_CMD_NEWFAMILY with the id (here 0x1b) and
    /// name; the kernel adds version, hdrsize, maxattr and the op list, left out here.
    const NEW_FAMILY_IPVS: [u8; 40] = [
        40, 0, 0, 0, // nlmsg_len 40
        16, 0, // GENL_ID_CTRL
        0, 0, // no flags
        7, 0, 0, 0, // seq 7
        0x39, 0x30, 0, 0, // our port id (12345)
        1, 2, 0, 0, // CTRL_CMD_NEWFAMILY, version 2
        6, 0, 1, 0, // nla len 6, CTRL_ATTR_FAMILY_ID
        0x1b, 0, 0, 0, // id 27 + 2 bytes padding
        9, 0, 2, 0, // nla len 9, CTRL_ATTR_FAMILY_NAME
        b'I', b'P', b'V', b'S', 0, 0, 0, 0, // "IPVS\0" + padding
    ];

    #[test]
    fn get_family_request_bytes() {
        let mut out = Vec::new();
        wire::encode_get_family(&mut out, "IPVS", 7);
        assert_eq!(out, GET_FAMILY_IPVS);
    }

    #[test]
    fn new_family_reply_gives_the_id() {
        let replies = decode(&NEW_FAMILY_IPVS, &|_| true).expect("a well-formed controller reply");
        let data: Vec<FamilyReply> = replies
            .into_iter()
            .filter_map(|r| match r {
                Reply::Data { seq: 7, msg, .. } => Some(msg),
                _ => None,
            })
            .collect();
        assert_eq!(family_id("IPVS", None, &data).ok(), Some(0x1b));
    }

    #[test]
    fn missing_family_is_typed() {
        let missing = family_id("IPVS", Some(libc::ENOENT), &[]);
        assert!(missing.is_err_and(|e| e.is_family_missing()));
        let other = family_id("nope", Some(libc::ENOENT), &[]);
        assert!(matches!(other, Err(IpvsError::Kernel { .. })));
        let denied = family_id("IPVS", Some(libc::EPERM), &[]);
        assert!(matches!(denied, Err(IpvsError::Kernel { .. })));
        let empty = family_id("IPVS", None, &[]);
        assert!(matches!(empty, Err(IpvsError::Protocol { .. })));
    }
}
