//! Adaptive repetitions on the real kernel: with a budget already spent, every repeated operation
//! stops at the floor of 3 timed samples; with time to spare it gets every repetition. Needs root
//! (the run programs iptables-nft in namespaces it creates). The warm-up follows the budget too:
//! none once the initial sync alone outlasted it.

mod common;

use common::{results_lines, run};

/// (op@N, timed samples, warm-up calls recorded) for every repeated operation.
fn samples_per_op(budget: &str) -> Vec<(String, usize, u64)> {
    let dir = tempfile::tempdir().expect("tempdir");
    let scenario = common::scenario(
        dir.path(),
        "adaptive.toml",
        &format!(
            "name = \"adaptive\"\nseed = 3\nbackends = [\"iptables-nft\"]\nscale = [1, 50]\n\
             repetitions = 8\nwarmup = 1\nop_budget = \"{budget}\"\nstep_timeout = \"1m\"\n\
             [datapath]\nenabled = false\n"
        ),
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
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    results_lines(&out_dir.join("results.jsonl"))
        .iter()
        .filter(|r| r["record"] == "measurement" && r["op"] != "initial_sync")
        .map(|r| {
            (
                format!("{}@{}", r["op"], r["services"]),
                r["samples"].as_array().map_or(0, Vec::len),
                r["warmup"].as_u64().unwrap_or(u64::MAX),
            )
        })
        .collect()
}

#[test]
fn a_spent_budget_stops_each_operation_at_three_samples() {
    let ops = samples_per_op("1ns");
    assert_eq!(ops.len(), 2 * 4, "{ops:?}");
    assert!(ops.iter().all(|(_, n, _)| *n == 3), "{ops:?}");
    // The initial sync alone outlasted the budget: no warm-up, and the records say 0.
    assert!(ops.iter().all(|(_, _, w)| *w == 0), "{ops:?}");
}

#[test]
fn with_time_to_spare_every_repetition_is_taken() {
    let ops = samples_per_op("10m");
    assert_eq!(ops.len(), 2 * 4, "{ops:?}");
    assert!(ops.iter().all(|(_, n, _)| *n == 8), "{ops:?}");
    assert!(ops.iter().all(|(_, _, w)| *w == 1), "{ops:?}");
}
