//! NEW_SERVICE, SET_SERVICE, DEL_SERVICE.

use super::*;
use crate::message::{IpvsAttr, IpvsCmd, IpvsFlags, SvcAttr};
use crate::wire::FLAGS_ACKED;

/// The four options NEW/SET_SERVICE must carry for `svc()`: rr, no flags, no timeout, /32.
const SVC_OPTIONS_RR: [u8; 36] = [
    7, 0, 6, 0, b'r', b'r', 0, 0, // IPVS_SVC_ATTR_SCHED_NAME "rr\0" (len 7) + pad
    12, 0, 7, 0, // IPVS_SVC_ATTR_FLAGS: struct ip_vs_flags
    0, 0, 0, 0, // .flags 0
    255, 255, 255, 255, // .mask ~0: every flag is set to .flags
    8, 0, 8, 0, 0, 0, 0, 0, // IPVS_SVC_ATTR_TIMEOUT 0 (u32)
    8, 0, 9, 0, 255, 255, 255, 255, // IPVS_SVC_ATTR_NETMASK 255.255.255.255 (be32)
];

#[test]
fn new_service() {
    let bytes = cat(&[
        &[104, 0, 0, 0], // nlmsg_len 104
        &[0x1b, 0],      // nlmsg_type: the IPVS family id
        &[5, 0],         // NLM_F_REQUEST | NLM_F_ACK
        &[1, 0, 0, 0],   // seq 1
        &[0, 0, 0, 0],   // port id 0: the kernel fills it in
        &[1, 1, 0, 0],   // genl: IPVS_CMD_NEW_SERVICE, IPVS_GENL_VERSION 1, reserved
        &[84, 0, 1, 0],  // IPVS_CMD_ATTR_SERVICE, 84 bytes: identity + options
        &SVC_ID[4..],
        &SVC_OPTIONS_RR,
    ]);
    check_request(&bytes, IpvsMessage::new_service(&svc()), FLAGS_ACKED, 1);
}

#[test]
fn set_service_shows_host_and_network_order() {
    // wrr, persistent for 180 s per /24: the netmask goes big-endian, flags and timeout
    // host-order, so a byte-order slip shows here.
    let mut s = svc();
    s.sched_name = "wrr".into();
    s.flags = 0x0001; // IP_VS_SVC_F_PERSISTENT
    s.timeout = 180;
    s.netmask = 0xffff_ff00;
    let bytes = cat(&[
        &[104, 0, 0, 0, 0x1b, 0, 5, 0, 2, 0, 0, 0, 0, 0, 0, 0], // len 104, ACK, seq 2
        &[2, 1, 0, 0],                                          // IPVS_CMD_SET_SERVICE
        &[84, 0, 1, 0],                                         // IPVS_CMD_ATTR_SERVICE
        &SVC_ID[4..],
        &[8, 0, 6, 0, b'w', b'r', b'r', 0], // SCHED_NAME "wrr\0", no pad needed
        &[12, 0, 7, 0, 1, 0, 0, 0, 255, 255, 255, 255], // FLAGS {PERSISTENT, ~0}
        &[8, 0, 8, 0, 180, 0, 0, 0],        // TIMEOUT 180 (u32 host order)
        &[8, 0, 9, 0, 255, 255, 255, 0],    // NETMASK 255.255.255.0 (be32)
    ]);
    check_request(&bytes, IpvsMessage::set_service(&s), FLAGS_ACKED, 2);
}

#[test]
fn del_service_sends_only_the_identity() {
    let bytes = cat(&[
        &[68, 0, 0, 0, 0x1b, 0, 5, 0, 3, 0, 0, 0, 0, 0, 0, 0], // len 68, ACK, seq 3
        &[3, 1, 0, 0],                                         // IPVS_CMD_DEL_SERVICE
        &SVC_ID,
    ]);
    check_request(&bytes, IpvsMessage::del_service(&svc()), FLAGS_ACKED, 3);
}

#[test]
fn new_service_has_every_attribute_the_kernel_requires() {
    // ip_vs_genl_parse_service: AF and PROTOCOL+ADDR+PORT, and for a full entry
    // SCHED_NAME, FLAGS, TIMEOUT and NETMASK; anything missing is EINVAL.
    let msg = IpvsMessage::new_service(&svc());
    assert_eq!(msg.cmd, IpvsCmd::NewService);
    let attrs = msg.service_attrs().expect("IPVS_CMD_ATTR_SERVICE");
    let kinds: Vec<u16> = attrs.iter().map(netlink_packet_core::Nla::kind).collect();
    assert_eq!(kinds, vec![1, 2, 3, 4, 6, 7, 8, 9]);
    assert!(attrs.contains(&SvcAttr::Flags(IpvsFlags::exactly(0))));
    assert!(matches!(msg.attrs.as_slice(), [IpvsAttr::Service(_)]));
}

#[test]
fn nested_flag_and_unknown_attributes_are_accepted() {
    // Kernels may set NLA_F_NESTED (0x8000) on nests; unknown attributes survive as Other.
    let mut bytes = cat(&[
        &[40, 0, 0, 0, 0x1b, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0],
        &[1, 1, 0, 0],
        &[20, 0, 1, 0x80],          // IPVS_CMD_ATTR_SERVICE | NLA_F_NESTED
        &[6, 0, 1, 0, 2, 0, 0, 0],  // AF_INET
        &[8, 0, 99, 0, 1, 2, 3, 4], // attribute 99: not in ip_vs.h
    ]);
    let parsed = parse(&bytes);
    let NetlinkPayload::InnerMessage(genl) = parsed.payload else {
        panic!("expected an IPVS message");
    };
    let attrs = genl.payload.service_attrs().expect("the nest parses");
    assert_eq!(attrs[0], SvcAttr::Af(2));
    assert!(matches!(attrs[1], SvcAttr::Other(_)));
    // Truncate the AF attribute's value: the error names the attribute.
    bytes[24] = 5;
    let err = NetlinkMessage::<GenlMessage<IpvsMessage>>::deserialize(&bytes)
        .expect_err("a 1-byte AF is invalid");
    assert!(err.to_string().contains("IPVS_SVC_ATTR_AF"), "{err}");
}
