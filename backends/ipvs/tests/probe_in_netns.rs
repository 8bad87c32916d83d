//! Kernel tests, in network namespaces the tests create: the probe and the client tell the
//! truth about IPVS on this kernel.
//!
//! On a kernel without IPVS (the development host: 6.18, CONFIG_IP_VS unset) the probe must
//! say exactly why and what to do, and the client's first request must fail with the typed
//! "kernel has no IPVS" error. On a kernel with IPVS (the lab VM) the probe must say it is
//! available. Which case applies is read independently of the probe: after it ran (and so
//! after the kernel's module autoload attempt), /proc/thread-self/net/ip_vs exists exactly
//! when IPVS is there.

mod common;

use common::{has_ipvs, in_new_netns};
use std::net::Ipv4Addr;
use svclab_backend::{Availability, BackendConfig, BackendError, Endpoint, Protocol, Service};
use svclab_backend::{CancelFlag, ServiceBackend, ServiceId};
use svclab_ipvs::client::{Client, Watch};
use svclab_ipvs::message::IpvsMessage;
use svclab_ipvs::socket::NetlinkSocket;
use svclab_ipvs::{probe, IpvsBackend, Variant, NO_IPVS_PROBE_FIX, NO_IPVS_REASON};

fn service() -> Service {
    Service {
        id: ServiceId(0),
        namespace: "default".into(),
        name: "web".into(),
        port_name: "http".into(),
        vip: Ipv4Addr::new(10, 96, 0, 1),
        port: 80,
        protocol: Protocol::Tcp,
        endpoints: vec![Endpoint {
            addr: Ipv4Addr::new(10, 244, 0, 2),
            port: 8080,
        }],
    }
}

#[test]
fn probe_matches_the_kernel() {
    for variant in Variant::ALL {
        let (availability, has_ipvs) = in_new_netns(move || {
            let availability = probe(variant, &BackendConfig::default());
            (availability, has_ipvs())
        });
        println!(
            "{}: has_ipvs={has_ipvs} probe={availability:?}",
            variant.name()
        );
        if has_ipvs {
            assert!(availability.is_available(), "{availability:?}");
            continue;
        }
        assert_eq!(
            availability,
            Availability::Unavailable {
                reason: "kernel has no IPVS (CONFIG_IP_VS unset or module ip_vs not loadable)"
                    .into(),
                fix: "run it in the lab VM: svclab vm -- ...".into(),
            }
        );
        assert_eq!(
            (NO_IPVS_REASON, NO_IPVS_PROBE_FIX),
            match &availability {
                Availability::Unavailable { reason, fix } => (reason.as_str(), fix.as_str()),
                Availability::Available { .. } => unreachable!(),
            }
        );
    }
}

#[test]
fn client_says_the_kernel_lacks_ipvs() {
    let (result, has_ipvs) = in_new_netns(|| {
        let socket = NetlinkSocket::open().expect("a generic netlink socket opens in any netns");
        let mut client = Client::new(socket);
        let watch = Watch::new(std::time::Duration::from_secs(10), &CancelFlag::new());
        let result = client.request(IpvsMessage::flush(), &watch);
        (result, has_ipvs())
    });
    if has_ipvs {
        result.expect("FLUSH on an empty IPVS table succeeds");
        return;
    }
    let err = result.expect_err("no IPVS on this kernel");
    assert!(err.is_family_missing(), "{err:?}");
    assert_eq!(
        err.to_string(),
        "kernel has no IPVS (CONFIG_IP_VS); run in the lab VM with `svclab vm`"
    );
    match BackendError::from(err) {
        BackendError::KernelFeatureMissing { feature, fix } => {
            assert_eq!(feature, "IPVS (CONFIG_IP_VS)");
            assert_eq!(fix, "run in the lab VM with `svclab vm`");
        }
        other => panic!("expected KernelFeatureMissing, got {other:?}"),
    }
}

/// The success path of family resolution, on real kernel bytes: the controller always knows
/// itself ("nlctrl", GENL_ID_CTRL = 16), and its reply carries the full attribute set
/// (version, hdrsize, maxattr, ops, multicast groups, ...) an IPVS reply would.
#[test]
fn resolves_a_family_the_kernel_has() {
    let id = in_new_netns(|| {
        let socket = NetlinkSocket::open().expect("a generic netlink socket opens in any netns");
        let watch = Watch::new(std::time::Duration::from_secs(10), &CancelFlag::new());
        Client::new(socket).resolve_family("nlctrl", &watch)
    });
    assert_eq!(id.expect("nlctrl resolves"), 16);
}

/// The backend in a sandbox namespace: available and syncing where the kernel has IPVS, a
/// typed "kernel lacks IPVS" error where it does not (this host's 6.18 kernel).
#[test]
fn backend_in_a_sandbox_namespace() {
    let (availability, sync, cleanup, has_ipvs) = in_new_netns(|| {
        let mut backend = IpvsBackend::new(Variant::Netlink, BackendConfig::default())
            .expect("a backend in a namespace the test made");
        let availability = backend.probe();
        let sync = backend.sync(&[service()]);
        let cleanup = backend.cleanup();
        (
            availability,
            sync.map(|r| r.kernel_calls),
            cleanup.map_err(|e| e.to_string()),
            has_ipvs(),
        )
    });
    cleanup.expect("cleanup removes kube-ipvs0");
    if has_ipvs {
        assert!(availability.is_available());
        assert!(sync.is_ok(), "{sync:?}");
    } else {
        assert!(!availability.is_available());
        assert!(
            matches!(sync, Err(BackendError::KernelFeatureMissing { .. })),
            "{sync:?}"
        );
    }
}

#[test]
fn refuses_the_host_namespace() {
    // The test thread is still in the process's own namespace: refused.
    assert!(IpvsBackend::new(Variant::Netlink, BackendConfig::default()).is_err());
}
