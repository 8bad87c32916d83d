//! Kernel test of the batch bound, without IPVS: the generic netlink controller answers a
//! CTRL_CMD_GETFAMILY that names no family with an error ACK (EINVAL) of exactly the shape an
//! IPVS refusal or ACK has (36 bytes with NETLINK_CAP_ACK). So this measures, on the running
//! kernel, how many ACKs a receive buffer holds before ENOBUFS, and checks that a batch of
//! `Limits::max_messages` requests never overflows it.

use nix::sched::{unshare, CloneFlags};
use std::io;
use svclab_ipvs::batch::ACK_TRUESIZE_BOUND;
use svclab_ipvs::client::Transport;
use svclab_ipvs::socket::NetlinkSocket;

/// CTRL_CMD_GETFAMILY without attributes: ctrl_getfamily() refuses it with EINVAL.
fn bad_request(seq: u32) -> [u8; 20] {
    let mut m = [0u8; 20];
    m[0..4].copy_from_slice(&20u32.to_ne_bytes()); // nlmsg_len
    m[4..6].copy_from_slice(&16u16.to_ne_bytes()); // GENL_ID_CTRL
    m[6..8].copy_from_slice(&5u16.to_ne_bytes()); // NLM_F_REQUEST | NLM_F_ACK
    m[8..12].copy_from_slice(&seq.to_ne_bytes());
    m[16] = 3; // CTRL_CMD_GETFAMILY
    m[17] = 1; // version
    m
}

/// Send `n` requests in one sendmsg; count the ACKs that arrive and whether ENOBUFS came.
fn burst(socket: &mut NetlinkSocket, n: u32) -> (u32, bool) {
    let bytes: Vec<u8> = (1..=n).flat_map(bad_request).collect();
    socket.send(&bytes).expect("sendmsg to the controller");
    let (mut acks, mut overflow, mut buf) = (0, false, Vec::new());
    loop {
        match socket.recv(&mut buf) {
            Ok(()) => acks += buf.chunks(36).filter(|m| m.len() >= 6 && m[4] == 2).count() as u32,
            Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => overflow = true,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return (acks, overflow),
            Err(e) => panic!("recv: {e}"),
        }
    }
}

#[test]
fn a_full_batch_of_acks_fits_the_receive_buffer() {
    let report = std::thread::spawn(|| {
        unshare(CloneFlags::CLONE_NEWNET)
            .unwrap_or_else(|e| panic!("unshare(CLONE_NEWNET) failed ({e}): needs root"));
        let mut socket = NetlinkSocket::open_with_buffers(64 << 10).expect("netlink socket");
        let limit = socket.limits().max_messages as u32;
        let (acks, overflow) = burst(&mut socket, limit);
        assert_eq!(
            (acks, overflow),
            (limit, false),
            "a batch at the limit lost ACKs"
        );
        // Now overfill on purpose to see what one ACK really costs here.
        let (held, overflow) = burst(&mut socket, limit * 4);
        assert!(
            overflow,
            "{} ACKs fitted; the buffer should have overflowed",
            limit * 4
        );
        (limit, held)
    })
    .join()
    .unwrap_or_else(|_| panic!("the namespace thread panicked"));
    let (limit, held) = report;
    let rcvbuf = limit as usize * ACK_TRUESIZE_BOUND;
    println!(
        "receive buffer ~{rcvbuf} B: limit {limit} ACKs, kernel held {held} before ENOBUFS \
         (~{} B truesize per ACK; bound {ACK_TRUESIZE_BOUND})",
        rcvbuf / held.max(1) as usize
    );
    assert!(
        held >= limit,
        "the kernel held fewer ACKs ({held}) than the limit ({limit})"
    );
}
