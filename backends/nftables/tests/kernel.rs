//! The nftables backends against the real kernel, each test in a network namespace it creates.
//! Needs root; a missing privilege, tool or kernel feature is a failure, never a skip.

use serde_json::Value;
use std::collections::BTreeMap;
use std::process::Command;
use svclab_backend::testing::{in_fresh_netns, numbered_services};
use svclab_backend::{BackendConfig, BackendError, Service, ServiceBackend, ServiceId};
use svclab_nftables::{NftablesBackend, Profile};

fn backend(profile: Profile) -> NftablesBackend {
    let b = NftablesBackend::new(profile, BackendConfig::default()).expect("backend in a sandbox");
    let availability = b.probe();
    assert!(availability.is_available(), "{profile:?}: {availability:?}");
    b
}

/// The table as the kernel lists it, order-free where the kernel's order is an accident of
/// history (chain creation order, hash set iteration): each chain's rules in order, each set's
/// elements sorted, handles dropped.
fn table() -> BTreeMap<String, Vec<String>> {
    let out = Command::new("nft")
        .args(["--json", "list", "table", "ip", "kube-proxy"])
        .output()
        .expect("nft runs (Debian package nftables)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).expect("nft prints JSON");
    let mut table: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for object in doc["nftables"].as_array().expect("nftables array") {
        if let Some(chain) = object.get("chain") {
            table.entry(format!("chain {}", chain["name"])).or_default();
        } else if let Some(rule) = object.get("rule") {
            table
                .entry(format!("chain {}", rule["chain"]))
                .or_default()
                .push(rule["expr"].to_string());
        } else if let Some(set) = object.get("set").or_else(|| object.get("map")) {
            let mut elems: Vec<String> = set["elem"]
                .as_array()
                .map(|a| a.iter().map(Value::to_string).collect())
                .unwrap_or_default();
            elems.sort();
            table.insert(format!("set {}", set["name"]), elems);
        }
    }
    table
}

fn full_sync_listing(profile: Profile, set: &[Service]) -> BTreeMap<String, Vec<String>> {
    in_fresh_netns(|| {
        let mut b = backend(profile);
        b.sync(set).expect("full sync");
        table()
    })
}

#[test]
fn incremental_operations_end_where_a_full_sync_of_the_same_set_does() {
    for profile in Profile::ALL {
        let all = numbered_services(30, 2);
        let (listing, last) = in_fresh_netns(|| {
            let mut b = backend(profile);
            let mut now: Vec<Service> = all[..20].to_vec();
            b.sync(&now).expect("sync");
            for svc in &all[20..25] {
                b.add(svc).expect("add");
                now.push(svc.clone());
            }
            for id in [3, 21, 7] {
                b.remove(ServiceId(id)).expect("remove");
                now.retain(|s| s.id != ServiceId(id));
            }
            for (id, eps) in [(4u32, 3u8), (22, 1), (5, 0), (4, 5)] {
                let endpoints = numbered_services(40, eps)[39].endpoints.clone();
                b.update_endpoints(ServiceId(id), &endpoints)
                    .expect("update");
                let svc = now
                    .iter_mut()
                    .find(|s| s.id == ServiceId(id))
                    .expect("present");
                svc.endpoints = endpoints;
            }
            b.add(&all[3]).expect("re-add a removed service");
            now.push(all[3].clone());
            b.finish_deferred().expect("deferred deletes");
            assert_eq!(
                b.kernel_objects().expect("read"),
                b.expected_objects(&now),
                "{profile:?}"
            );
            (table(), now)
        });
        assert_eq!(listing, full_sync_listing(profile, &last), "{profile:?}");
    }
}

#[test]
fn counts_follow_the_formula() {
    for profile in Profile::ALL {
        for e in [1u64, 2, 3, 5] {
            let set = numbered_services(10, e as u8);
            let counts = in_fresh_netns(|| {
                let mut b = backend(profile);
                b.sync(&set).expect("sync");
                b.kernel_objects().expect("read back")
            });
            // Written out here rather than taken from the crate, so a wrong formula fails.
            let (chains, rules, elements) = match profile {
                Profile::V133 => (12 + 10 * (1 + e), 16 + 10 * (2 + 2 * e), 10 * 2),
                Profile::V136 => (11 + 10, 15 + 10, 10 * (2 + e)),
            };
            assert_eq!(counts.get("chains"), Some(chains), "{profile:?} E={e}");
            assert_eq!(counts.get("rules"), Some(rules), "{profile:?} E={e}");
            assert_eq!(counts.get("elements"), Some(elements), "{profile:?} E={e}");
        }
    }
}

#[test]
fn a_removed_service_leaves_no_chain_once_its_deferred_delete_ran() {
    for profile in Profile::ALL {
        let set = numbered_services(5, 2);
        in_fresh_netns(|| {
            let mut b = backend(profile);
            b.sync(&set).expect("sync");
            let mine = |t: &BTreeMap<String, Vec<String>>| {
                t.keys()
                    .filter(|k| k.contains("/svc-2/"))
                    .cloned()
                    .collect::<Vec<_>>()
            };
            assert!(!mine(&table()).is_empty(), "{profile:?}: svc-2 has chains");
            b.remove(ServiceId(2)).expect("remove");
            let after = table();
            for chain in mine(&after) {
                assert!(
                    after[&chain].is_empty(),
                    "{profile:?}: {chain} flushed, not deleted yet"
                );
            }
            // The next transaction starts with the delete.
            b.add(&numbered_services(6, 2)[5]).expect("add");
            assert_eq!(mine(&table()), Vec::<String>::new(), "{profile:?}");
        });
    }
}

#[test]
fn a_rejected_transaction_is_a_typed_error_with_nft_s_message_and_changes_nothing() {
    for profile in Profile::ALL {
        in_fresh_netns(|| {
            let mut b = backend(profile);
            let set = numbered_services(3, 2);
            b.sync(&set).expect("sync");
            let before = table();
            let mut bad = numbered_services(4, 2)[3].clone();
            bad.namespace = "no spaces allowed".into();
            match b.add(&bad) {
                Err(BackendError::ToolFailed { tool, stderr, .. }) => {
                    assert_eq!(tool, "nft");
                    assert!(stderr.starts_with("line "), "{stderr}");
                    assert!(stderr.contains("syntax error"), "{stderr}");
                    assert!(stderr.contains("no spaces allowed"), "{stderr}");
                }
                other => panic!("{profile:?}: expected nft's rejection, got {other:?}"),
            }
            assert_eq!(
                table(),
                before,
                "{profile:?}: one transaction, all or nothing"
            );
            // The record was not changed either: the same Service id can still be added.
            let mut good = bad.clone();
            good.namespace = "fine".into();
            b.add(&good).expect("add after a rejected one");
        });
    }
}

#[test]
fn cleanup_removes_the_table() {
    in_fresh_netns(|| {
        let mut b = backend(Profile::V136);
        b.sync(&numbered_services(3, 2)).expect("sync");
        b.cleanup().expect("cleanup");
        let out = Command::new("nft")
            .args(["list", "tables"])
            .output()
            .expect("nft runs");
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "");
    });
}

/// The kernel's own text of every Service DNAT rule in the table (not the hairpin rule, which
/// matches `ct status dnat`).
fn dnat_rules() -> Vec<String> {
    let out = Command::new("nft")
        .args(["list", "table", "ip", "kube-proxy"])
        .output()
        .expect("nft runs (Debian package nftables)");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("meta l4proto") && l.contains(" dnat "))
        .map(String::from)
        .collect()
}

#[test]
fn the_1_36_line_dnats_a_single_endpoint_without_a_map() {
    for (e, plain) in [(1u8, true), (2, false)] {
        let set = numbered_services(4, e);
        let rules = in_fresh_netns(|| {
            let mut b = backend(Profile::V136);
            b.sync(&set).expect("sync");
            dnat_rules()
        });
        assert_eq!(rules.len(), 4, "E={e}: {rules:?}");
        for rule in &rules {
            // One endpoint: the kernel holds a plain `dnat to A:P` (1.37, #140723); more: the
            // numgen map of 1.36.
            assert_eq!(!rule.contains("numgen"), plain, "E={e}: {rule}");
            if plain {
                let ep = set
                    .iter()
                    .flat_map(|s| &s.endpoints)
                    .find(|ep| rule.ends_with(&format!("dnat to {}:{}", ep.addr, ep.port)));
                assert!(ep.is_some(), "E={e}: {rule}");
            }
        }
    }
}
