//! The backends the lab knows, by name. The only place the lab names a backend crate.

use svclab_backend::{
    Availability, BackendConfig, BackendError, Ipv4Cidr, Service, ServiceBackend,
};
use svclab_ebpf::{EbpfBackend, MapCapacity};
use svclab_iptables::{IptablesBackend, Layout, Variant};
use svclab_ipvs::IpvsBackend;
use svclab_nftables::{NftablesBackend, Profile};

const EBPF: &str = "ebpf";

/// Every registered backend name, in the order runs use them.
pub fn names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Variant::ALL.iter().map(|v| v.name()).collect();
    names.extend(Profile::ALL.iter().map(|p| p.name()));
    names.extend(svclab_ipvs::Variant::ALL.iter().map(|v| v.name()));
    names.push(EBPF);
    names
}

/// One line on what a backend is.
pub fn describe(name: &str) -> Option<&'static str> {
    if name == EBPF {
        return Some(
            "Cilium-shaped BPF hash maps, cgroup/connect4 load balancer (aya); full sync = batched difference from the maps; unlike Cilium, connect4 retries (up to 4x) a lookup that raced a map update instead of failing it",
        );
    }
    if let Some(profile) = Profile::from_name(name) {
        return Some(profile.describe());
    }
    match svclab_ipvs::Variant::from_name(name) {
        Some(svclab_ipvs::Variant::Netlink) => Some(
            "IPVS over svclab's generic netlink client: kube-proxy layout (rr, masquerade); full sync = dump + batched difference",
        ),
        Some(svclab_ipvs::Variant::Ipvsadm) => {
            Some("IPVS through one ipvsadm process per rule, ipvsadm -C + -R for a full sync (the source document's method)")
        }
        None => Variant::from_name(name).map(Variant::describe),
    }
}

/// Create a backend in the calling thread's network namespace (a sandbox's).
pub fn create(name: &str, config: BackendConfig) -> Result<Box<dyn ServiceBackend>, BackendError> {
    if let Some(variant) = Variant::from_name(name) {
        return Ok(Box::new(IptablesBackend::new(variant, config)?));
    }
    if let Some(profile) = Profile::from_name(name) {
        return Ok(Box::new(NftablesBackend::new(profile, config)?));
    }
    if let Some(variant) = svclab_ipvs::Variant::from_name(name) {
        return Ok(Box::new(IpvsBackend::new(variant, config)?));
    }
    if name == EBPF {
        // Room for two full sets: a replacing sync writes the new entries before deleting the old.
        let cap = config.capacity;
        let capacity =
            MapCapacity::for_services((cap.services * 2) as u32, cap.endpoints_per_service as u32);
        return Ok(Box::new(EbpfBackend::new(config, capacity)?));
    }
    Err(unknown(name))
}

/// Can `name` run here? Creates and probes it in the calling thread's namespace (a sandbox's);
/// a backend that cannot even be created is unavailable for that reason.
pub fn probe(name: &str, config: BackendConfig) -> Availability {
    match create(name, config) {
        Ok(backend) => backend.probe(),
        Err(e) => Availability::Unavailable {
            reason: e.to_string(),
            fix: "see svclab doctor".into(),
        },
    }
}

/// What `name` hands the kernel for a full sync of `services` into an empty table, as text: the
/// iptables-restore input, the IPVS requests one a line, the eBPF map entries. Pure: nothing is
/// created, so it works without root.
pub fn render(
    name: &str,
    services: &[Service],
    cluster_cidr: Ipv4Cidr,
) -> Result<String, BackendError> {
    if Variant::from_name(name).is_some() {
        let layouts: Vec<Layout> = services.iter().map(Layout::new).collect();
        return Ok(svclab_iptables::render::full_restore(
            &layouts,
            cluster_cidr,
        ));
    }
    if let Some(variant) = svclab_ipvs::Variant::from_name(name) {
        return Ok(svclab_ipvs::render::full_sync_text(variant, services));
    }
    if let Some(profile) = Profile::from_name(name) {
        return Ok(svclab_nftables::render_full_sync(
            profile,
            services,
            cluster_cidr,
        ));
    }
    if name == EBPF {
        return Ok(svclab_ebpf::render::full_sync_text(services)?);
    }
    Err(unknown(name))
}

fn unknown(name: &str) -> BackendError {
    BackendError::Other(format!(
        "unknown backend {name:?}; known: {}",
        names().join(", ")
    ))
}

/// Remove what runs killed before their cleanup left behind (the eBPF backend's lab cgroups of
/// processes that are gone); one line per thing removed or not removable, to show the user.
pub fn remove_leftovers() -> Vec<String> {
    svclab_ebpf::remove_stale_cgroups()
}
