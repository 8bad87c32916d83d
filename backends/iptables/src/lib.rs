//! svclab's iptables backends: Services as kube-proxy's nat-table layout.
//!
//! `iptables-legacy` and `iptables-nft` write it as kube-proxy does (one restore for a full sync,
//! `--noflush` restores of only the changed chains for incremental changes); `iptables-cmd` writes
//! it one `iptables` process per rule, the way the source document measured it.

mod backend;
mod chain_name;
mod commands;
mod layout;
pub mod lock;
pub mod render;
mod rule_args;
pub mod save_count;
pub mod table_info;
mod text;
mod variant;

pub use backend::IptablesBackend;
pub use chain_name::{endpoint_chain, service_chain};
pub use layout::Layout;
pub use variant::Variant;
