//! What the lab hands a backend when it creates one: limits, and a way to stop it.

use crate::Ipv4Cidr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Set by the lab (on Ctrl-C, for instance); a backend stops what it is doing, kills any helper
/// process it started, and returns [`crate::BackendError::Cancelled`].
#[derive(Debug, Clone, Default)]
pub struct CancelFlag(Arc<AtomicBool>);

impl CancelFlag {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// The most a backend will be asked to hold at once, for data planes whose tables are sized when
/// they are created (BPF maps). Others ignore it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity {
    pub services: usize,
    pub endpoints_per_service: usize,
}

#[derive(Debug, Clone)]
pub struct BackendConfig {
    /// Longest time one operation (sync, add, ...) may take before it is abandoned with
    /// [`crate::BackendError::Timeout`]; the kernel state is then left as the last commit made it.
    pub step_timeout: Duration,
    pub cancel: CancelFlag,
    pub capacity: Capacity,
    /// kube-proxy's `--cluster-cidr`: traffic to a VIP from outside it is masqueraded.
    pub cluster_cidr: Ipv4Cidr,
}

impl Default for BackendConfig {
    fn default() -> Self {
        Self {
            step_timeout: Duration::from_secs(600),
            cancel: CancelFlag::new(),
            capacity: Capacity {
                services: 20_001,
                endpoints_per_service: 4,
            },
            cluster_cidr: Ipv4Cidr::DEFAULT_CLUSTER,
        }
    }
}
