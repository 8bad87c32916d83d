//! Kernel replies: a GET_SERVICE dump, a GET_DEST dump, a GET_INFO reply, ACKs and errors.

use super::*;
use crate::message::{IpvsCmd, IpvsInfo, RealServer};
use crate::wire::{decode_ipvs, Reply};
use netlink_packet_core::Emitable;

/// A stats nest as `ip_vs_genl_fill_stats` (wide = false) or `_fill_stats64` (wide = true)
/// writes it on x86-64: `nla_nest_start_noflag`, ten counters in IPVS_STATS_ATTR_* order,
/// u64s without IPVS_STATS_ATTR_PAD (x86 has efficient unaligned access). `conns` = 3.
fn stats(kind: u16, wide: bool) -> Vec<u8> {
    let mut inner = Vec::new();
    for attr in 1u16..=10 {
        let value: u64 = if attr == 1 { 3 } else { 0 };
        let is_u64 = wide || attr == 4 || attr == 5; // INBYTES, OUTBYTES are always u64
        let len: u16 = if is_u64 { 12 } else { 8 };
        inner.extend_from_slice(&len.to_le_bytes());
        inner.extend_from_slice(&attr.to_le_bytes());
        if is_u64 {
            inner.extend_from_slice(&value.to_le_bytes());
        } else {
            inner.extend_from_slice(&(value as u32).to_le_bytes());
        }
    }
    let len = (inner.len() + 4) as u16;
    cat(&[&len.to_le_bytes(), &kind.to_le_bytes(), &inner])
}

/// One GET_SERVICE dump datagram: a service, then NLMSG_DONE in the same skb (netlink_dump
/// appends DONE when it fits).
fn service_dump() -> Vec<u8> {
    let svc_stats = stats(10, false); // IPVS_SVC_ATTR_STATS: 92 bytes
    let svc_stats64 = stats(12, true); // IPVS_SVC_ATTR_STATS64: 124 bytes
    assert_eq!((svc_stats.len(), svc_stats64.len()), (92, 124));
    cat(&[
        &[64, 1, 0, 0],                                 // nlmsg_len 320
        &[0x1b, 0],                                     // IPVS family
        &[2, 0],                                        // NLM_F_MULTI
        &[7, 0, 0, 0],                                  // seq 7: our dump request's
        &[0x39, 0x30, 0, 0],                            // port id 12345: ours
        &[1, 1, 0, 0],  // IPVS_CMD_NEW_SERVICE (dumps reuse it), version 1
        &[44, 1, 1, 0], // IPVS_CMD_ATTR_SERVICE, 300 bytes, noflag nest
        &SVC_ID[4..],   // AF, PROTOCOL, ADDR (all 16 bytes), PORT
        &[7, 0, 6, 0, b'r', b'r', 0, 0], // SCHED_NAME "rr"
        &[12, 0, 7, 0, 2, 0, 0, 0, 255, 255, 255, 255], // FLAGS {IP_VS_SVC_F_HASHED, ~0}
        &[8, 0, 8, 0, 0, 0, 0, 0], // TIMEOUT 0
        &[8, 0, 9, 0, 255, 255, 255, 255], // NETMASK (be32)
        &svc_stats,
        &svc_stats64,
        // NLMSG_DONE: len 20, type 3, NLM_F_MULTI, seq 7, port id, error 0
        &[
            20, 0, 0, 0, 3, 0, 2, 0, 7, 0, 0, 0, 0x39, 0x30, 0, 0, 0, 0, 0, 0,
        ],
    ])
}

#[test]
fn get_service_dump_reply() {
    let datagram = service_dump();
    let replies = decode_ipvs(&datagram, &|_| true).expect("the dump datagram decodes");
    assert_eq!(replies.len(), 2);
    let Reply::Data {
        seq: 7,
        multi: true,
        msg,
    } = &replies[0]
    else {
        panic!("expected a multipart data message, got {:?}", replies[0]);
    };
    assert_eq!(msg.cmd, IpvsCmd::NewService);
    let parsed = VirtualService::from_attrs(msg.service_attrs().unwrap_or_default());
    let mut expected = svc();
    expected.flags = 0x0002; // the kernel marks every listed service IP_VS_SVC_F_HASHED
    assert_eq!(parsed.ok(), Some(expected));
    assert_eq!(replies[1], Reply::Done { seq: 7 });
    // Emit what was parsed: the stats nests kept raw must come back byte for byte.
    let first = parse(&datagram[..320]);
    let mut out = vec![0; first.buffer_len()];
    first.emit(&mut out);
    assert_eq!(out, &datagram[..320]);
}

#[test]
fn get_dest_dump_reply() {
    let datagram = cat(&[
        &[100, 1, 0, 0, 0x1b, 0, 2, 0, 8, 0, 0, 0, 0x39, 0x30, 0, 0], // len 356, MULTI, seq 8
        &[5, 1, 0, 0],  // IPVS_CMD_NEW_DEST, version 1
        &[80, 1, 2, 0], // IPVS_CMD_ATTR_DEST, 336 bytes
        &[
            20, 0, 1, 0, 10, 244, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ], // ADDR
        &[6, 0, 2, 0, 0x1f, 0x90, 0, 0], // PORT 8080 (be16)
        &[8, 0, 3, 0, 0, 0, 0, 0], // FWD_METHOD masq
        &[8, 0, 4, 0, 1, 0, 0, 0], // WEIGHT 1
        &[5, 0, 13, 0, 0, 0, 0, 0], // TUN_TYPE (u8) 0 + pad, kernel 5.3+
        &[6, 0, 14, 0, 0, 0, 0, 0], // TUN_PORT (be16) 0 + pad
        &[6, 0, 15, 0, 0, 0, 0, 0], // TUN_FLAGS (u16) 0 + pad
        &[8, 0, 5, 0, 0, 0, 0, 0], // U_THRESH
        &[8, 0, 6, 0, 0, 0, 0, 0], // L_THRESH
        &[8, 0, 7, 0, 1, 0, 0, 0], // ACTIVE_CONNS 1
        &[8, 0, 8, 0, 2, 0, 0, 0], // INACT_CONNS 2
        &[8, 0, 9, 0, 0, 0, 0, 0], // PERSIST_CONNS
        &[6, 0, 11, 0, 2, 0, 0, 0], // ADDR_FAMILY AF_INET
        &stats(10, false),
        &stats(12, true),
    ]);
    let replies = decode_ipvs(&datagram, &|_| true).expect("the dest dump decodes");
    let [Reply::Data { seq: 8, msg, .. }] = replies.as_slice() else {
        panic!("expected one data message, got {replies:?}");
    };
    let dest = RealServer::from_attrs(msg.dest_attrs().unwrap_or_default());
    assert_eq!(
        dest.ok(),
        Some(RealServer::masq_ipv4(Ipv4Addr::new(10, 244, 1, 2), 8080))
    );
}

#[test]
fn get_info_reply() {
    let datagram = [
        36, 0, 0, 0, 0x1b, 0, 0, 0, // len 36, IPVS family, no flags (genlmsg_reply)
        10, 0, 0, 0, 0x39, 0x30, 0, 0, // seq 10, our port id
        14, 1, 0, 0, // IPVS_CMD_SET_INFO ("only used in GET_INFO reply"), version 1
        8, 0, 1, 0, 1, 2, 1, 0, // IPVS_INFO_ATTR_VERSION IP_VS_VERSION_CODE 0x010201
        8, 0, 2, 0, 0, 0x10, 0, 0, // IPVS_INFO_ATTR_CONN_TAB_SIZE 4096 (the default 2^12)
    ];
    let replies = decode_ipvs(&datagram, &|_| true).expect("the info reply decodes");
    let [Reply::Data {
        seq: 10,
        multi: false,
        msg,
    }] = replies.as_slice()
    else {
        panic!("expected one data message, got {replies:?}");
    };
    let info = IpvsInfo::from_attrs(&msg.attrs);
    assert_eq!(
        info,
        IpvsInfo {
            version: 0x010201,
            conn_tab_size: 4096
        }
    );
    assert_eq!(info.version_string(), "1.2.1");
}

#[test]
fn ack_and_errno() {
    // With NETLINK_CAP_ACK both echo only the request's 16-byte header (NLM_F_CAPPED).
    let datagram = [
        36, 0, 0, 0, 2, 0, 0, 1, // len 36, NLMSG_ERROR, NLM_F_CAPPED (0x100)
        1, 0, 0, 0, 0x39, 0x30, 0, 0, // seq 1, our port id
        0xef, 0xff, 0xff, 0xff, // error -17: EEXIST
        104, 0, 0, 0, 0x1b, 0, 5, 0, 1, 0, 0, 0, 0x39, 0x30, 0, 0, // the NEW_SERVICE header
        36, 0, 0, 0, 2, 0, 0, 1, // second message: len 36, NLMSG_ERROR, CAPPED
        2, 0, 0, 0, 0x39, 0x30, 0, 0, // seq 2
        0, 0, 0, 0, // error 0: an ACK
        68, 0, 0, 0, 0x1b, 0, 5, 0, 2, 0, 0, 0, 0x39, 0x30, 0,
        0, // the acked request's header
    ];
    let replies = decode_ipvs(&datagram, &|_| true).expect("error and ack decode");
    assert_eq!(
        replies,
        vec![
            Reply::Error {
                seq: 1,
                errno: libc::EEXIST
            },
            Reply::Ack { seq: 2 }
        ]
    );
}

#[test]
fn failed_dump_ends_in_done_with_errno() {
    // netlink_dump_done() carries the dumpit's error in NLMSG_DONE's payload.
    let datagram = [
        20, 0, 0, 0, 3, 0, 2, 0, 7, 0, 0, 0, 0x39, 0x30, 0, 0, // NLMSG_DONE, MULTI, seq 7
        0xf9, 0xff, 0xff, 0xff, // -7: E2BIG
    ];
    let replies = decode_ipvs(&datagram, &|_| true).expect("done decodes");
    assert_eq!(
        replies,
        vec![Reply::Error {
            seq: 7,
            errno: libc::E2BIG
        }]
    );
}

#[test]
fn truncated_datagram_is_an_error_not_a_panic() {
    let datagram = service_dump();
    for cut in [3, 17, 40, 200, 319] {
        assert!(
            decode_ipvs(&datagram[..cut], &|_| true).is_err() || cut < 16,
            "cut at {cut}"
        );
    }
}
