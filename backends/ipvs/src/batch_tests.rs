use super::*;

#[test]
fn limits_follow_the_socket_buffers() {
    // 212992 is Linux's default rmem_default/wmem_default.
    let l = Limits::from_buffers(212_992, 212_992);
    assert_eq!(l.max_messages, 104);
    assert_eq!(l.max_bytes, 212_960);
    // A tiny buffer still allows one request at a time.
    assert_eq!(Limits::from_buffers(10, 10).max_messages, 1);
    assert_eq!(l.halved().max_messages, 52);
    assert_eq!(Limits::from_buffers(2048, 100).halved().max_messages, 1);
    // What the socket asks for: 8 MiB, reported doubled by getsockopt.
    assert_eq!(Limits::from_buffers(16 << 20, 16 << 20).max_messages, 8192);
}

#[test]
fn plan_bounds_messages_per_batch() {
    let limits = Limits {
        max_messages: 3,
        max_bytes: 1 << 20,
    };
    assert_eq!(plan(&[100; 7], limits), vec![0..3, 3..6, 6..7]);
    assert_eq!(plan(&[100; 6], limits), vec![0..3, 3..6]);
    assert!(plan(&[], limits).is_empty());
}

#[test]
fn plan_bounds_bytes_per_batch() {
    let limits = Limits {
        max_messages: 100,
        max_bytes: 250,
    };
    assert_eq!(plan(&[100, 100, 100, 50, 50], limits), vec![0..2, 2..5]);
    // An oversized request goes alone rather than blocking the rest.
    assert_eq!(plan(&[100, 400, 100], limits), vec![0..1, 1..2, 2..3]);
}

#[test]
fn plan_covers_every_request_once_in_order() {
    let sizes: Vec<usize> = (0..1000).map(|i| 60 + (i * 37) % 90).collect();
    for max_messages in [1, 2, 7, 208, 5000] {
        for max_bytes in [150, 1000, 20_000, 1 << 22] {
            let limits = Limits {
                max_messages,
                max_bytes,
            };
            let batches = plan(&sizes, limits);
            let mut next = 0;
            for b in &batches {
                assert_eq!(b.start, next);
                assert!(b.end > b.start);
                assert!(b.len() <= max_messages);
                let bytes: usize = sizes[b.clone()].iter().sum();
                assert!(bytes <= max_bytes || b.len() == 1);
                next = b.end;
            }
            assert_eq!(next, sizes.len());
        }
    }
}

#[test]
fn tracker_matches_acks_in_any_order() {
    let mut t = AckTracker::new(41, 3);
    assert_eq!(t.pending(), 3);
    t.record(43, 0).expect("seq 43 is in the batch");
    t.record(41, 0).expect("seq 41 is in the batch");
    assert_eq!(t.first_pending(), Some(1));
    t.record(42, libc::EEXIST).expect("seq 42 is in the batch");
    assert!(t.is_complete());
    assert_eq!(t.failures(), vec![(1, libc::EEXIST)]);
}

#[test]
fn tracker_rejects_foreign_and_repeated_replies() {
    let mut t = AckTracker::new(10, 2);
    assert_eq!(t.record(9, 0), Err(MatchError::UnknownSeq { seq: 9 }));
    assert_eq!(t.record(12, 0), Err(MatchError::UnknownSeq { seq: 12 }));
    t.record(10, 0).expect("seq 10 is in the batch");
    assert_eq!(t.record(10, 0), Err(MatchError::Duplicate { seq: 10 }));
}

#[test]
fn tracker_handles_sequence_wraparound() {
    let mut t = AckTracker::new(u32::MAX - 1, 4);
    for seq in [u32::MAX - 1, u32::MAX, 0, 1] {
        t.record(seq, 0).expect("wrapped seq is in the batch");
    }
    assert!(t.is_complete());
    assert_eq!(t.record(2, 0), Err(MatchError::UnknownSeq { seq: 2 }));
}
