//! NEW_DEST, SET_DEST, DEL_DEST.

use super::*;
use crate::message::{DestAttr, RealServer};
use crate::wire::FLAGS_ACKED;

/// 10.244.1.2:8080, masquerade, weight 1: kube-proxy's real server.
fn dest() -> RealServer {
    RealServer::masq_ipv4(Ipv4Addr::new(10, 244, 1, 2), 8080)
}

/// The identifying attributes of `dest()`, in the order libipvs sends them.
const DEST_ID: [u8; 36] = [
    20, 0, 1, 0, // IPVS_DEST_ATTR_ADDR, 16 bytes
    10, 244, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 10.244.1.2 in the first 4 bytes
    6, 0, 11, 0, 2, 0, 0, 0, // IPVS_DEST_ATTR_ADDR_FAMILY: AF_INET (u16) + pad
    6, 0, 2, 0, 0x1f, 0x90, 0, 0, // IPVS_DEST_ATTR_PORT: 8080 = 0x1f90 big-endian + pad
];

#[test]
fn new_dest() {
    let bytes = cat(&[
        &[140, 0, 0, 0, 0x1b, 0, 5, 0, 4, 0, 0, 0, 0, 0, 0, 0], // len 140, ACK, seq 4
        &[5, 1, 0, 0],                                          // IPVS_CMD_NEW_DEST, version 1
        &SVC_ID,                                                // which service
        &[72, 0, 2, 0],                                         // IPVS_CMD_ATTR_DEST, 72 bytes
        &DEST_ID,
        &[8, 0, 3, 0, 0, 0, 0, 0], // IPVS_DEST_ATTR_FWD_METHOD: IP_VS_CONN_F_MASQ (u32)
        &[8, 0, 4, 0, 1, 0, 0, 0], // IPVS_DEST_ATTR_WEIGHT 1 (u32)
        &[8, 0, 5, 0, 0, 0, 0, 0], // IPVS_DEST_ATTR_U_THRESH 0: no limit
        &[8, 0, 6, 0, 0, 0, 0, 0], // IPVS_DEST_ATTR_L_THRESH 0
    ]);
    check_request(
        &bytes,
        IpvsMessage::new_dest(&svc(), &dest()),
        FLAGS_ACKED,
        4,
    );
}

#[test]
fn set_dest() {
    let mut d = dest();
    d.weight = 0x0102_0304; // distinct bytes: host order shows as 04 03 02 01
    d.fwd_method = 0x0003; // IP_VS_CONN_F_DROUTE
    d.u_thresh = 200;
    d.l_thresh = 100;
    let bytes = cat(&[
        &[140, 0, 0, 0, 0x1b, 0, 5, 0, 5, 0, 0, 0, 0, 0, 0, 0], // len 140, ACK, seq 5
        &[6, 1, 0, 0],                                          // IPVS_CMD_SET_DEST
        &SVC_ID,
        &[72, 0, 2, 0],
        &DEST_ID,
        &[8, 0, 3, 0, 3, 0, 0, 0],   // FWD_METHOD: IP_VS_CONN_F_DROUTE
        &[8, 0, 4, 0, 4, 3, 2, 1],   // WEIGHT 0x01020304, host order
        &[8, 0, 5, 0, 200, 0, 0, 0], // U_THRESH 200
        &[8, 0, 6, 0, 100, 0, 0, 0], // L_THRESH 100
    ]);
    check_request(&bytes, IpvsMessage::set_dest(&svc(), &d), FLAGS_ACKED, 5);
}

#[test]
fn del_dest_sends_only_the_identity() {
    let bytes = cat(&[
        &[108, 0, 0, 0, 0x1b, 0, 5, 0, 6, 0, 0, 0, 0, 0, 0, 0], // len 108, ACK, seq 6
        &[7, 1, 0, 0],                                          // IPVS_CMD_DEL_DEST
        &SVC_ID,
        &[40, 0, 2, 0], // IPVS_CMD_ATTR_DEST, 40 bytes: ADDR, ADDR_FAMILY, PORT
        &DEST_ID,
    ]);
    check_request(
        &bytes,
        IpvsMessage::del_dest(&svc(), &dest()),
        FLAGS_ACKED,
        6,
    );
}

#[test]
fn new_dest_has_every_attribute_the_kernel_requires() {
    // ip_vs_genl_parse_dest: ADDR and PORT, and for a full entry FWD_METHOD, WEIGHT,
    // U_THRESH and L_THRESH; the service must be named too (else EINVAL / ESRCH).
    let msg = IpvsMessage::new_dest(&svc(), &dest());
    assert!(msg.service_attrs().is_some());
    let kinds: Vec<u16> = msg
        .dest_attrs()
        .expect("IPVS_CMD_ATTR_DEST")
        .iter()
        .map(netlink_packet_core::Nla::kind)
        .collect();
    assert_eq!(kinds, vec![1, 11, 2, 3, 4, 5, 6]);
    assert_eq!(
        RealServer::from_attrs(msg.dest_attrs().unwrap_or_default()).ok(),
        Some(dest())
    );
    assert!(msg
        .dest_attrs()
        .is_some_and(|d| d.contains(&DestAttr::Port(8080))));
}
