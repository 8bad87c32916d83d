//! svclab: a benchmark lab for Kubernetes service proxies.
//!
//! The pipeline is one-way: a scenario ([`scenario`]) becomes a plan; the [`runner`] measures
//! each backend in a [`sandbox`] and streams [`results`]; [`analysis`] turns records into numbers
//! for the [`summary`] (and reports). Backends are reached only through [`registry`]. The lab VM
//! ([`vm`]) runs any command on a stock distribution kernel under QEMU.

pub mod analysis;
pub mod cli;
pub mod datapath;
pub mod environment;
pub mod privilege;
pub mod progress;
pub mod registry;
pub mod report;
pub mod results;
pub mod runner;
pub mod sandbox;
pub mod scenario;
pub mod services_file;
pub mod stats;
pub mod summary;
pub mod synth;
pub mod vm;
