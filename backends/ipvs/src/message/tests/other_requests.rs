//! GET_SERVICE and GET_DEST dumps, FLUSH, GET_INFO.

use super::*;
use crate::wire::{FLAGS_ACKED, FLAGS_DUMP};

#[test]
fn get_services_dump() {
    // libipvs sends the dump without attributes; the kernel's dumpit ignores them anyway.
    let bytes = [
        20, 0, 0, 0, // nlmsg_len 20: header + genl header only
        0x1b, 0, // IPVS family
        1, 3, // NLM_F_REQUEST | NLM_F_DUMP (0x301); no ACK: dumps end in NLMSG_DONE
        7, 0, 0, 0, // seq 7
        0, 0, 0, 0, // port id
        4, 1, 0, 0, // IPVS_CMD_GET_SERVICE, version 1
    ];
    check_request(&bytes, IpvsMessage::get_services(), FLAGS_DUMP, 7);
}

#[test]
fn get_dests_dump_names_its_service() {
    // ip_vs_genl_dump_dests finds the service from IPVS_CMD_ATTR_SERVICE; without it the
    // dump is silently empty.
    let bytes = cat(&[
        &[68, 0, 0, 0, 0x1b, 0, 1, 3, 8, 0, 0, 0, 0, 0, 0, 0], // len 68, REQUEST|DUMP, seq 8
        &[8, 1, 0, 0],                                         // IPVS_CMD_GET_DEST
        &SVC_ID,
    ]);
    check_request(&bytes, IpvsMessage::get_dests(&svc()), FLAGS_DUMP, 8);
}

#[test]
fn flush() {
    let bytes = [
        20, 0, 0, 0, 0x1b, 0, // len 20, IPVS family
        5, 0, // NLM_F_REQUEST | NLM_F_ACK
        9, 0, 0, 0, 0, 0, 0, 0, // seq 9, port id 0
        17, 1, 0, 0, // IPVS_CMD_FLUSH, version 1
    ];
    check_request(&bytes, IpvsMessage::flush(), FLAGS_ACKED, 9);
}

#[test]
fn get_info() {
    // A doit: the reply (IPVS_CMD_SET_INFO) comes first, then the ACK we ask for.
    let bytes = [
        20, 0, 0, 0, 0x1b, 0, // len 20, IPVS family
        5, 0, // NLM_F_REQUEST | NLM_F_ACK
        10, 0, 0, 0, 0, 0, 0, 0, // seq 10, port id 0
        15, 1, 0, 0, // IPVS_CMD_GET_INFO, version 1
    ];
    check_request(&bytes, IpvsMessage::get_info(), FLAGS_ACKED, 10);
}
