//! The shared behaviour suite: the same contract checks against every registered backend, each in
//! a fresh sandbox namespace. Needs root; an unavailable backend is a failure here (CI has every
//! prerequisite), with the backend's own reason and fix in the message.

use svclab::{registry, sandbox, synth};
use svclab_backend::{BackendConfig, BackendError, ServiceBackend, ServiceId};

/// The backends that must work on this kernel. IPVS is checked here only where the kernel has it
/// (this project's hosts do not: CONFIG_IP_VS is unset); elsewhere the suite asserts that the
/// backend says exactly that, and the lab VM test runs it on a kernel that has IPVS.
fn host_backends() -> Vec<&'static str> {
    let has_ipvs = std::path::Path::new("/proc/net/ip_vs").exists();
    registry::names()
        .into_iter()
        .filter(|name| has_ipvs || !name.starts_with("ipvs"))
        .collect()
}

#[test]
fn ipvs_backends_say_why_when_the_kernel_lacks_ipvs() {
    if std::path::Path::new("/proc/net/ip_vs").exists() {
        return; // the kernel has IPVS: the other tests of this suite cover both IPVS backends
    }
    for name in ["ipvs", "ipvsadm"] {
        let availability = sandbox::run_in_fresh_netns(|| {
            registry::create(name, BackendConfig::default())
                .expect("create")
                .probe()
        })
        .expect("sandbox");
        match availability {
            svclab_backend::Availability::Unavailable { reason, fix } => {
                assert!(reason.contains("kernel has no IPVS"), "{name}: {reason}");
                assert!(fix.contains("svclab vm"), "{name}: {fix}");
            }
            other => panic!("{name}: /proc/net/ip_vs is absent but the probe says {other:?}"),
        }
    }
}

fn with_backend<T: Send>(name: &str, f: impl FnOnce(&mut dyn ServiceBackend) -> T + Send) -> T {
    sandbox::run_in_fresh_netns(|| {
        let mut backend = registry::create(name, BackendConfig::default())
            .unwrap_or_else(|e| panic!("{name}: cannot create: {e}"));
        let availability = backend.probe();
        assert!(
            availability.is_available(),
            "{name} is unavailable here: {availability:?}"
        );
        f(backend.as_mut())
    })
    .unwrap_or_else(|e| panic!("sandbox for {name}: {e}"))
}

#[test]
fn sync_then_read_back_matches_the_layout_formula() {
    for name in host_backends() {
        for endpoints in [1, 2, 4] {
            let set = synth::generate(11, 50, endpoints);
            with_backend(name, |b| {
                b.sync(&set.services).expect("sync");
                let kernel = b.kernel_objects().expect("read back");
                assert_eq!(
                    kernel,
                    b.expected_objects(&set.services),
                    "{name}, {endpoints} endpoints"
                );
                // Syncing a smaller set replaces, not merges.
                b.sync(&set.services[..10]).expect("second sync");
                let kernel = b.kernel_objects().expect("read back");
                assert_eq!(
                    kernel,
                    b.expected_objects(&set.services[..10]),
                    "{name} after shrinking"
                );
            });
        }
    }
}

#[test]
fn add_remove_update_track_the_formula() {
    for name in host_backends() {
        let set = synth::generate(12, 21, 2);
        let base = &set.services[..20];
        with_backend(name, |b| {
            b.sync(base).expect("sync");
            let report = b.add(&set.services[20]).expect("add");
            assert!(
                report.commit > std::time::Duration::ZERO,
                "{name}: commit time measured"
            );
            assert_eq!(
                b.kernel_objects().expect("read"),
                b.expected_objects(&set.services),
                "{name} after add"
            );
            b.remove(ServiceId(20)).expect("remove");
            assert_eq!(
                b.kernel_objects().expect("read"),
                b.expected_objects(base),
                "{name} after remove"
            );
            let mut changed = base.to_vec();
            changed[3].endpoints = set.spare_endpoints[..3].to_vec();
            b.update_endpoints(ServiceId(3), &changed[3].endpoints)
                .expect("update");
            assert_eq!(
                b.kernel_objects().expect("read"),
                b.expected_objects(&changed),
                "{name} after update"
            );
        });
    }
}

#[test]
fn duplicate_and_missing_services_are_typed_errors() {
    for name in host_backends() {
        let set = synth::generate(13, 3, 2);
        with_backend(name, |b| {
            b.sync(&set.services[..2]).expect("sync");
            assert!(
                matches!(
                    b.add(&set.services[1]),
                    Err(BackendError::DuplicateService { .. })
                ),
                "{name}"
            );
            assert!(
                matches!(
                    b.remove(ServiceId(2)),
                    Err(BackendError::UnknownService { .. })
                ),
                "{name}"
            );
            let dup = [set.services[0].clone(), set.services[0].clone()];
            assert!(
                matches!(b.sync(&dup), Err(BackendError::DuplicateService { .. })),
                "{name}"
            );
            assert_eq!(
                b.kernel_objects().expect("read"),
                b.expected_objects(&set.services[..2]),
                "{name}: errors changed nothing"
            );
        });
    }
}

#[test]
fn a_step_past_its_timeout_is_a_timeout_error() {
    for name in host_backends() {
        let set = synth::generate(14, 20_000, 2);
        let result = sandbox::run_in_fresh_netns(|| {
            let config = BackendConfig {
                step_timeout: std::time::Duration::from_millis(1),
                ..BackendConfig::default()
            };
            let mut backend = registry::create(name, config).expect("create");
            backend.sync(&set.services).map(|_| ())
        })
        .expect("sandbox");
        match result {
            Err(e) => assert!(e.is_timeout(), "{name}: expected a timeout, got {e}"),
            Ok(()) => panic!("{name}: 20,000 services synced within 1 ms"),
        }
    }
}
