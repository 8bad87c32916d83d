//! Byte fixtures for every request svclab sends and for the kernel replies it reads.
//!
//! Where the bytes come from: derived by hand from `include/uapi/linux/ip_vs.h` (attribute
//! numbers, `struct ip_vs_flags`), `net/netfilter/ipvs/ip_vs_ctl.c` (policy types, byte order
//! of PORT/NETMASK, what `ip_vs_genl_fill_service`/`_fill_dest`/`_get_cmd` put in replies and
//! in what order), `include/uapi/linux/netlink.h` and `genetlink.h` (headers, NLMSG_ERROR,
//! NLMSG_DONE). They are NOT kernel captures: this host's kernel has no IPVS. Capturing the
//! same exchanges in the lab VM (e.g. with `nlmon`) and replacing these is listed as open
//! work in IPVS_NOTES.md. Little-endian hosts only (host-order fields are written as x86).

mod dest_requests;
mod other_requests;
mod replies;
mod service_requests;

use crate::message::{IpvsMessage, VirtualService};
use crate::wire;
use netlink_packet_core::{NetlinkMessage, NetlinkPayload};
use netlink_packet_generic::GenlMessage;
use std::net::Ipv4Addr;

/// The IPVS family id used in the fixtures. The real one is assigned when the module loads
/// and resolved through the controller at run time.
const FAMILY: u16 = 0x1b;

/// The service most fixtures name: 10.96.0.1:80/tcp, round robin.
fn svc() -> VirtualService {
    VirtualService::ipv4(6, Ipv4Addr::new(10, 96, 0, 1), 80, "rr")
}

/// The identifying part of `svc()` as `IPVS_CMD_ATTR_SERVICE`: 48 bytes.
const SVC_ID: [u8; 48] = [
    48, 0, 1, 0, // nla len 48, IPVS_CMD_ATTR_SERVICE (no NLA_F_NESTED, as libipvs sends)
    6, 0, 1, 0, 2, 0, 0, 0, // IPVS_SVC_ATTR_AF: AF_INET (u16, host order) + pad
    6, 0, 2, 0, 6, 0, 0, 0, // IPVS_SVC_ATTR_PROTOCOL: IPPROTO_TCP (u16, host order) + pad
    20, 0, 3, 0, // IPVS_SVC_ATTR_ADDR, 16 bytes: union nf_inet_addr
    10, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 10.96.0.1 in the first 4 bytes
    6, 0, 4, 0, 0, 80, 0, 0, // IPVS_SVC_ATTR_PORT: 80 big-endian + pad
];

/// Assert that `msg`, framed with `flags` and `seq`, is exactly `bytes`, and that `bytes`
/// parse back to the same header fields and message.
fn check_request(bytes: &[u8], msg: IpvsMessage, flags: u16, seq: u32) {
    let mut out = Vec::new();
    wire::encode_ipvs(&mut out, &msg, FAMILY, flags, seq);
    assert_eq!(
        out,
        bytes,
        "emit({}) differs from the fixture",
        msg.describe()
    );
    let parsed = parse(bytes);
    assert_eq!(parsed.header.message_type, FAMILY);
    assert_eq!(parsed.header.flags, flags);
    assert_eq!(parsed.header.sequence_number, seq);
    assert_eq!(parsed.header.length as usize, bytes.len());
    match parsed.payload {
        NetlinkPayload::InnerMessage(genl) => {
            assert_eq!(genl.header.version, 1, "IPVS_GENL_VERSION");
            assert_eq!(genl.payload, msg);
        }
        other => panic!("expected an IPVS message, parsed {other:?}"),
    }
}

fn parse(bytes: &[u8]) -> NetlinkMessage<GenlMessage<IpvsMessage>> {
    NetlinkMessage::deserialize(bytes).expect("fixture parses as an IPVS netlink message")
}

/// Concatenate byte pieces (fixtures are easier to comment in parts).
fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}
