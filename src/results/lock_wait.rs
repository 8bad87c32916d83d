//! The lock-wait record: an add-1 issued while a full restore of N Services runs in the same
//! sandbox, and how long it waited for the lock the restore held.

use super::Outcome;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LockWait {
    pub backend: String,
    pub services: usize,
    /// The lock the two writers meet at, e.g. `xtables lock file (flock, user space)`.
    pub lock: String,
    /// Each round: the full sync's own time, the add-1 alone (nothing else running), the add-1
    /// issued during the full sync, and how long after the full sync started it was issued. A
    /// round that failed (see `outcome`) may leave its add-1 alone without the others.
    pub sync_ns: Vec<u64>,
    pub add_alone_ns: Vec<u64>,
    pub add_during_ns: Vec<u64>,
    pub issued_after_ns: Vec<u64>,
    pub outcome: Outcome,
}

impl LockWait {
    /// Per complete round, how much longer the add-1 took during the full sync than alone.
    pub fn waits_ns(&self) -> Vec<i64> {
        self.add_during_ns
            .iter()
            .zip(&self.add_alone_ns)
            .map(|(&during, &alone)| during as i64 - alone as i64)
            .collect()
    }
}
