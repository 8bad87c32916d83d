//! The first-packet record: connection set-up cost through a Service at a known place in the data
//! plane's lookup order, timed in the probe client.

use serde::{Deserialize, Serialize};

/// What was timed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FirstPacketMeasure {
    /// `connect(2)` alone: the SYN's way through the data plane and the SYN-ACK from the
    /// listener's kernel backlog, no user-space wake-up.
    Connect,
    /// Connect plus the listener's first byte (adds the listener's accept and write).
    ConnectFirstByte,
}

impl FirstPacketMeasure {
    pub fn label(self) -> &'static str {
        match self {
            FirstPacketMeasure::Connect => "connect",
            FirstPacketMeasure::ConnectFirstByte => "connect + first byte",
        }
    }
}

/// Where the target sits in the data plane's lookup order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LookupPosition {
    /// The first Service handed to the sync: the first rule of KUBE-SERVICES in kube-proxy's
    /// iptables layout as svclab renders it (the same Service on every data plane).
    First,
    /// The Service in the middle of that order.
    Middle,
    /// The last Service: an iptables connection walks every Service rule before matching.
    Last,
    /// An address no Service rule matches (an endpoint, reached directly): iptables walks the
    /// whole chain and matches nothing.
    NonService,
}

impl LookupPosition {
    pub const ALL: [LookupPosition; 4] = [
        LookupPosition::First,
        LookupPosition::Middle,
        LookupPosition::Last,
        LookupPosition::NonService,
    ];

    pub fn label(self) -> &'static str {
        match self {
            LookupPosition::First => "first",
            LookupPosition::Middle => "middle",
            LookupPosition::Last => "last",
            LookupPosition::NonService => "non-service",
        }
    }
}

/// Connection set-up times to one target at one scale point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FirstPacket {
    pub backend: String,
    pub services: usize,
    pub measure: FirstPacketMeasure,
    pub position: LookupPosition,
    /// The Service's index in the list handed to the sync (its KUBE-SERVICES rule's index for
    /// the iptables layouts); none for the non-Service address.
    pub index: Option<usize>,
    pub target: String,
    pub samples_ns: Vec<u64>,
    pub failed: usize,
    pub errors: Vec<String>,
}
