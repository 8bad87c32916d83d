//! The iptables backends against the real kernel, each test in a network namespace it creates.
//! Needs root; a missing privilege or tool is a failure, never a skip.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;
use std::process::Command;
use svclab_backend::testing::{in_fresh_netns, numbered_services};
use svclab_backend::{BackendConfig, BackendError, Endpoint, ServiceBackend, ServiceId};
use svclab_iptables::{IptablesBackend, Variant};

fn backend(variant: Variant) -> IptablesBackend {
    IptablesBackend::new(variant, BackendConfig::default()).expect("backend in a sandbox")
}

fn rules(backend: &mut IptablesBackend) -> u64 {
    backend
        .kernel_objects()
        .expect("read back")
        .get("rules")
        .expect("rules count")
}

/// The nat table as the kernel reports it, order-free: chain names and rule lines.
fn nat_table(variant: Variant) -> BTreeSet<String> {
    let out = Command::new(variant.save_program())
        .args(["-t", "nat"])
        .output()
        .expect("iptables-save runs (Debian package iptables)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            if l.starts_with(':') {
                l.split(' ').next().unwrap_or(l).to_string()
            } else {
                l.to_string()
            }
        })
        .collect()
}

#[test]
fn rule_counts_read_back_match_3e_plus_2_for_several_e() {
    for variant in Variant::ALL {
        for (e, per_service) in [(1u8, 5u64), (2, 8), (3, 11), (5, 17)] {
            let count = in_fresh_netns(|| {
                let mut b = backend(variant);
                b.sync(&numbered_services(20, e)).expect("sync");
                rules(&mut b)
            });
            // 8 fixed rules (3 jumps, 3 KUBE-POSTROUTING, 1 KUBE-MARK-MASQ, 1 nodeports).
            assert_eq!(
                count,
                8 + 20 * per_service,
                "{} with {e} endpoints",
                variant.name()
            );
        }
    }
}

#[test]
fn incremental_ops_leave_exactly_what_a_full_sync_writes() {
    for variant in Variant::ALL {
        let mut set = numbered_services(12, 2);
        let (incremental, objects) = in_fresh_netns(|| {
            let mut b = backend(variant);
            b.sync(&set[..10]).expect("sync 10");
            b.add(&set[10]).expect("add 11th");
            b.add(&set[11]).expect("add 12th");
            b.remove(ServiceId(3)).expect("remove 4th");
            let new_eps = [
                set[5].endpoints[0],
                Endpoint {
                    addr: Ipv4Addr::new(10, 244, 99, 9),
                    port: 8080,
                },
                Endpoint {
                    addr: Ipv4Addr::new(10, 244, 99, 10),
                    port: 9090,
                },
            ];
            b.update_endpoints(ServiceId(5), &new_eps)
                .expect("update 6th");
            (nat_table(variant), b.kernel_objects().expect("read back"))
        });
        set[5].endpoints = vec![
            set[5].endpoints[0],
            Endpoint {
                addr: Ipv4Addr::new(10, 244, 99, 9),
                port: 8080,
            },
            Endpoint {
                addr: Ipv4Addr::new(10, 244, 99, 10),
                port: 9090,
            },
        ];
        set.remove(3);
        let (full, expected) = in_fresh_netns(|| {
            let mut b = backend(variant);
            b.sync(&set).expect("sync final set");
            (nat_table(variant), b.expected_objects(&set))
        });
        assert_eq!(
            incremental,
            full,
            "{}: incremental state differs from a full sync",
            variant.name()
        );
        assert_eq!(objects, expected, "{}", variant.name());
    }
}

#[test]
fn duplicate_and_unknown_services_are_typed_errors() {
    for variant in Variant::ALL {
        in_fresh_netns(|| {
            let set = numbered_services(3, 2);
            let mut b = backend(variant);
            b.sync(&set[..2]).expect("sync");
            assert!(matches!(
                b.add(&set[0]),
                Err(BackendError::DuplicateService { .. })
            ));
            assert!(matches!(
                b.remove(ServiceId(2)),
                Err(BackendError::UnknownService { .. })
            ));
            assert!(matches!(
                b.update_endpoints(ServiceId(9), &[]),
                Err(BackendError::UnknownService { .. })
            ));
            assert_eq!(
                rules(&mut b),
                8 + 2 * 8,
                "{}: failed calls changed nothing",
                variant.name()
            );
        });
    }
}

#[test]
fn cleanup_empties_the_nat_table() {
    for variant in Variant::ALL {
        in_fresh_netns(|| {
            let mut b = backend(variant);
            b.sync(&numbered_services(5, 2)).expect("sync");
            b.cleanup().expect("cleanup");
            let objects = b.kernel_objects().expect("read back");
            assert_eq!(objects.get("rules"), Some(0), "{}", variant.name());
            assert_eq!(
                objects.get("chains"),
                Some(4),
                "{}: only built-in chains",
                variant.name()
            );
        });
    }
}

#[test]
fn probe_says_available_in_a_sandbox() {
    for variant in Variant::ALL {
        let availability = in_fresh_netns(|| backend(variant).probe());
        assert!(
            availability.is_available(),
            "{}: {availability:?}",
            variant.name()
        );
    }
}

#[test]
fn refuses_the_processs_own_namespace() {
    let result = IptablesBackend::new(Variant::Legacy, BackendConfig::default());
    // Test threads run in the process's namespace: the constructor must refuse.
    let in_thread = std::thread::spawn(move || result.is_err())
        .join()
        .expect("join");
    assert!(in_thread);
}

#[test]
fn legacy_kernel_memory_is_the_nat_blob_and_grows_with_the_rules() {
    let (small, large, entries, objects) = in_fresh_netns(|| {
        let mut b = backend(Variant::Legacy);
        b.sync(&numbered_services(10, 2)).expect("sync 10");
        let small = b.kernel_memory().expect("read").expect("legacy reports");
        b.sync(&numbered_services(100, 2)).expect("sync 100");
        let large = b.kernel_memory().expect("read").expect("legacy reports");
        let entries = svclab_iptables::table_info::table_info("nat").expect("info");
        let objects = b.kernel_objects().expect("read back");
        (small, large, entries, objects)
    });
    assert!(large.source.contains("IPT_SO_GET_INFO"), "{}", large.source);
    // 90 more Services are 720 more rules; a nat rule's kernel entry is well over 100 bytes.
    assert!(
        large.bytes > small.bytes + 720 * 100,
        "{small:?} -> {large:?}"
    );
    // Entries: the 808 rules, a policy entry for each of the 4 built-in chains, a head and a
    // return entry for each user chain, and the table's closing error entry.
    let user_chains = objects.get("chains").expect("chains counted") - 4;
    assert_eq!(
        u64::from(entries.num_entries),
        808 + 4 + 2 * user_chains + 1
    );
    let nft = in_fresh_netns(|| {
        let mut b = backend(Variant::Nft);
        b.sync(&numbered_services(10, 2)).expect("sync");
        b.kernel_memory().expect("read")
    });
    assert_eq!(nft, None, "iptables-nft has no x_tables blob to report");
}
