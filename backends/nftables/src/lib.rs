//! svclab's nftables backends: Services as kube-proxy's nftables layouts, committed as one
//! `nft -f -` transaction each, the way kube-proxy's knftables library does.
//!
//! Two layouts, two named backends: `nftables` (kube-proxy 1.33-1.35: a Service chain that picks
//! an endpoint chain with `numgen ... vmap`, one chain per endpoint doing the DNAT) and
//! `nftables-1.36` (the Service chain DNATs itself through `numgen ... map`, no endpoint chains, a
//! `hairpin-connections` set instead of per-endpoint masquerade rules). Only the ClusterIP part of
//! kube-proxy's table is written: the lab's Services are ClusterIP Services.

mod backend;
mod error;
mod fixed;
mod formula;
mod layout;
mod names;
mod nft;
mod profile;
pub mod readback;
pub mod render;
mod tx;

pub use backend::NftablesBackend;
pub use error::NftError;
pub use formula::expected;
pub use layout::ServiceLayout;
pub use names::{endpoint_chain, service_chain};
pub use profile::Profile;
pub use render::render_full_sync;
