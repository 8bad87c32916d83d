//! The disruption stream follows the operation budget on the real kernel: with the budget already
//! spent, a backend full-syncs once and spends its second round on endpoint updates alone (at
//! least three updates where there is another Service to update), and the eBPF data plane's
//! record carries the lookups its program started over, which netfilter's records do not. Needs
//! root (the run programs iptables-nft and BPF maps in namespaces and a cgroup it creates).

mod common;

use common::{results_lines, run};

#[test]
fn a_spent_budget_full_syncs_once_and_ebpf_counts_its_retries() {
    let dir = tempfile::tempdir().expect("tempdir");
    let scenario = common::scenario(
        dir.path(),
        "disruption.toml",
        "name = \"disruption-budget\"\nseed = 5\nbackends = [\"iptables-nft\", \"ebpf\"]\n\
         scale = [1, 20]\nrepetitions = 3\nwarmup = 0\nop_budget = \"1ns\"\nstep_timeout = \"1m\"\n\
         [datapath]\nsample = 4\nlatency_samples = 5\nfirst_packet = 0\n\
         [disruption]\nrounds = 5\nduration = \"1s\"\ninterval = \"5ms\"\nlong_lived = 2\n",
    );
    let out_dir = dir.path().join("out");
    let out = run(&[
        "run",
        "--where",
        "host",
        "--scenario",
        scenario.to_str().expect("utf-8"),
        "--out",
        out_dir.to_str().expect("utf-8"),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let lines = results_lines(&out_dir.join("results.jsonl"));
    let disruptions: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|r| r["record"] == "disruption")
        .collect();
    assert_eq!(disruptions.len(), 2 * 2, "{disruptions:?}");
    for d in disruptions {
        let at = d["services"].as_u64().expect("services");
        assert_eq!(d["outcome"]["status"], "ok", "{d}");
        assert_eq!(d["syncs"], 1, "one full sync once the budget is spent: {d}");
        // Two rounds; each updates another Service and puts it back, when there is one.
        let updates = if at == 1 { 0 } else { 4 };
        assert_eq!(d["updates"], updates, "{d}");
        match d["backend"].as_str() {
            Some("ebpf") => assert!(d["lookup_retries"].is_u64(), "{d}"),
            _ => assert!(d.get("lookup_retries").is_none(), "{d}"),
        }
    }
}
