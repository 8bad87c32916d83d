//! Batching for full syncs, pure: how many requests fit in one `sendmsg`, and which ACK
//! answers which request.
//!
//! The kernel handles every message of a `sendmsg` before the call returns (generic netlink
//! runs in the sender's context) and queues one ACK skb per request on our socket. A queued skb
//! is charged its truesize against SO_RCVBUF; once the queue is over the limit further ACKs are
//! dropped and the socket reports ENOBUFS. So a batch may hold no more requests than ACKs fit
//! in the receive buffer, and no more bytes than the send buffer accepts (`netlink_sendmsg`
//! refuses a message longer than SO_SNDBUF - 32 with EMSGSIZE).

use std::ops::Range;

/// Upper bound of the truesize the kernel charges for one ACK skb. An ACK is 36 bytes of
/// netlink (header + `struct nlmsgerr`, echoing only the request's header with
/// NETLINK_CAP_ACK), but the skb costs far more: `tests/ack_bound.rs` measures about 834 bytes
/// on the development host's 6.18 kernel (x86-64), in line with the skb allocation code (a
/// 640-byte small-head buffer + `struct sk_buff`). 2048 leaves room for other builds; the same
/// test in the lab VM checks the 6.1 kernel.
pub const ACK_TRUESIZE_BOUND: usize = 2048;

/// Room `netlink_sendmsg` keeps out of SO_SNDBUF.
const SNDBUF_RESERVE: usize = 32;

/// How large one batch may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_messages: usize,
    pub max_bytes: usize,
}

impl Limits {
    /// Limits for a socket whose SO_RCVBUF and SO_SNDBUF (as `getsockopt` reports them) are
    /// these. Always at least one message, so progress is possible.
    pub fn from_buffers(rcvbuf: usize, sndbuf: usize) -> Self {
        Self {
            max_messages: (rcvbuf / ACK_TRUESIZE_BOUND).max(1),
            max_bytes: sndbuf.saturating_sub(SNDBUF_RESERVE).max(1),
        }
    }

    /// Half the messages: what to retry with after ENOBUFS.
    pub fn halved(self) -> Self {
        Self {
            max_messages: (self.max_messages / 2).max(1),
            ..self
        }
    }
}

/// Split requests of these encoded sizes into consecutive batches within `limits`, in order.
/// A request larger than `max_bytes` goes alone (the kernel will then say EMSGSIZE for it).
pub fn plan(sizes: &[usize], limits: Limits) -> Vec<Range<usize>> {
    let mut batches = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, size) in sizes.iter().enumerate() {
        let full = i - start == limits.max_messages || bytes + size > limits.max_bytes;
        if i > start && full {
            batches.push(start..i);
            (start, bytes) = (i, 0);
        }
        bytes += size;
    }
    if start < sizes.len() {
        batches.push(start..sizes.len());
    }
    batches
}

/// Why a reply could not be matched to a request of the batch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MatchError {
    #[error("reply for sequence number {seq}, which this batch did not send")]
    UnknownSeq { seq: u32 },
    #[error("second reply for sequence number {seq}")]
    Duplicate { seq: u32 },
}

/// The outcome of each request of one batch, by sequence number. Sequence numbers are
/// consecutive from `first_seq` and may wrap around.
#[derive(Debug, Clone)]
pub struct AckTracker {
    first_seq: u32,
    /// `None` while unanswered; `Some(0)` acked; `Some(errno)` refused.
    outcomes: Vec<Option<i32>>,
}

impl AckTracker {
    pub fn new(first_seq: u32, count: usize) -> Self {
        Self {
            first_seq,
            outcomes: vec![None; count],
        }
    }

    /// Record the answer to `seq`: errno 0 for an ACK, else the positive errno.
    pub fn record(&mut self, seq: u32, errno: i32) -> Result<(), MatchError> {
        let index = seq.wrapping_sub(self.first_seq) as usize;
        match self.outcomes.get_mut(index) {
            None => Err(MatchError::UnknownSeq { seq }),
            Some(Some(_)) => Err(MatchError::Duplicate { seq }),
            Some(slot) => {
                *slot = Some(errno);
                Ok(())
            }
        }
    }

    /// A reply to a request sent before this batch (left over from an abandoned operation).
    pub fn is_stale(&self, seq: u32) -> bool {
        (seq.wrapping_sub(self.first_seq) as i32) < 0
    }

    /// How many requests have no answer yet.
    pub fn pending(&self) -> usize {
        self.outcomes.iter().filter(|o| o.is_none()).count()
    }

    pub fn is_complete(&self) -> bool {
        self.pending() == 0
    }

    /// Index (within the batch) of the first request with no answer.
    pub fn first_pending(&self) -> Option<usize> {
        self.outcomes.iter().position(|o| o.is_none())
    }

    /// `(index within the batch, errno)` of every refused request, in sending order.
    pub fn failures(&self) -> Vec<(usize, i32)> {
        self.outcomes
            .iter()
            .enumerate()
            .filter_map(|(i, o)| match o {
                Some(errno) if *errno != 0 => Some((i, *errno)),
                _ => None,
            })
            .collect()
    }
}

#[cfg(test)]
#[path = "batch_tests.rs"]
mod tests;
