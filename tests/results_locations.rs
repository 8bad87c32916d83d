//! Results schema 2: one run, several locations. A mixed file (host part, then the lab VM part
//! appended) is written through the lab's own writer from committed records; every record reads
//! back with the location it was measured in, and schema-1 files (the committed reference runs)
//! still load, in the library and through `svclab report` and `svclab compare`. No root needed.

mod common;

use common::run;
use std::path::{Path, PathBuf};
use svclab::results::located::{backend_environments, environments};
use svclab::results::{read_located, read_records, Record, ResultsWriter, RunEnd, SCHEMA_VERSION};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn backend_of(record: &Record) -> Option<&str> {
    match record {
        Record::Backend(b) => Some(&b.backend),
        Record::Measurement(m) => Some(&m.backend),
        Record::ObjectCheck(c) => Some(&c.backend),
        Record::Cumulative(c) => Some(&c.backend),
        Record::Probe(p) => Some(&p.backend),
        Record::ConnectLatency(l) => Some(&l.backend),
        Record::Disruption(d) => Some(&d.backend),
        _ => None,
    }
}

/// A schema-2 run folder: the host fixture's iptables and eBPF records, then the lab VM reference
/// run's IPVS records as the lab VM part, with the VM part's own end record and the run's.
fn mixed_run() -> tempfile::TempDir {
    let host = read_records(&repo("tests/fixtures/report/complete.jsonl")).expect("host fixture");
    let vm = read_records(&repo("reports/reference-vm/results.jsonl")).expect("reference-vm");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("results.jsonl");
    let mut out = ResultsWriter::create(&path).expect("create");
    for record in &host {
        let keep = match record {
            Record::Environment(_) => true,
            Record::RunEnd(_) => false,
            r => backend_of(r).is_some_and(|b| !b.starts_with("ipvs")),
        };
        if keep {
            out.write(record.clone()).expect("write host record");
        }
    }
    // The lab VM part arrives through another writer (the guest's), appended to the same file.
    let mut guest = ResultsWriter::create(&dir.path().join("guest.jsonl")).expect("guest");
    for record in &vm {
        let keep = match record {
            Record::Environment(_) | Record::RunEnd(_) => true,
            r => backend_of(r).is_some_and(|b| b.starts_with("ipvs")),
        };
        if keep {
            guest.write(record.clone()).expect("write guest record");
        }
    }
    let guest_text = std::fs::read(dir.path().join("guest.jsonl")).expect("guest text");
    std::fs::remove_file(dir.path().join("guest.jsonl")).expect("remove guest");
    {
        use std::io::Write as _;
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .expect("open for append");
        file.write_all(&guest_text).expect("append guest part");
    }
    out.write(Record::RunEnd(RunEnd {
        finished_at: "2026-12-03T08:00:00Z".into(),
        status: "completed".into(),
        detail: None,
    }))
    .expect("write run end");
    dir
}

#[test]
fn every_record_of_a_mixed_run_names_its_location() {
    assert_eq!(SCHEMA_VERSION, 2);
    let dir = mixed_run();
    let path = dir.path().join("results.jsonl");
    // In the file itself, not only after reading: each non-environment line names its location.
    for line in std::fs::read_to_string(&path).expect("read").lines() {
        let value: serde_json::Value = serde_json::from_str(line).expect("json line");
        if value["record"] != "environment" {
            assert!(value["location"].is_string(), "no location in {line:.120}");
        }
    }
    let located = read_located(&path).expect("read located");
    for l in &located {
        match backend_of(&l.record) {
            Some(b) if b.starts_with("ipvs") => assert_eq!(l.location, "vm", "{b}"),
            Some(b) => assert_eq!(l.location, "host", "{b}"),
            None => {}
        }
    }
    let ends: Vec<&str> = located
        .iter()
        .filter(|l| matches!(l.record, Record::RunEnd(_)))
        .map(|l| l.location.as_str())
        .collect();
    assert_eq!(ends, ["vm", "host"], "the VM part's end, then the run's");

    // As one run: the VM part's own end record is not the run's.
    let records = read_records(&path).expect("read run");
    let ends = records
        .iter()
        .filter(|r| matches!(r, Record::RunEnd(_)))
        .count();
    assert_eq!(ends, 1);
    let envs = environments(&records);
    assert_eq!(
        envs.iter().map(|e| e.location.as_str()).collect::<Vec<_>>(),
        ["host", "vm"]
    );
    let by_backend = backend_environments(&records);
    let where_of = |name: &str| {
        by_backend
            .iter()
            .find(|(b, _)| b == name)
            .map(|(_, e)| e.location.as_str())
    };
    assert_eq!(where_of("iptables-nft"), Some("host"));
    assert_eq!(where_of("ebpf"), Some("host"));
    assert_eq!(where_of("ipvs"), Some("vm"));
    assert_eq!(where_of("ipvsadm"), Some("vm"));
}

/// The migration: schema-1 files name no location; each record gets its one environment's.
#[test]
fn schema_1_reference_runs_read_with_their_environment_location() {
    for (run, location) in [
        ("reports/reference-host", "host"),
        ("reports/reference-vm", "vm"),
        ("reports/reference-vm-ipvs", "vm"),
    ] {
        let path = repo(run).join("results.jsonl");
        let located = read_located(&path).unwrap_or_else(|e| panic!("{run}: {e}"));
        assert!(located.len() > 50, "{run}: only {} records", located.len());
        match &located[0].record {
            Record::Environment(env) => assert_eq!(env.schema_version, 1, "{run}"),
            other => panic!("{run}: first record is not the environment: {other:?}"),
        }
        for l in &located {
            assert_eq!(l.location, location, "{run}");
        }
    }
}

#[test]
fn report_and_compare_still_read_schema_1_runs() {
    for run in ["reference-host", "reference-vm", "reference-vm-ipvs"] {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::copy(
            repo("reports").join(run).join("results.jsonl"),
            dir.path().join("results.jsonl"),
        )
        .expect("copy");
        let out = run_svclab(&["report", dir.path().to_str().expect("utf-8")]);
        assert!(out.0, "svclab report {run}: {}", out.1);
        assert!(
            dir.path().join("index.html").is_file(),
            "{run}: no index.html"
        );
    }
    let a = repo("reports/reference-vm");
    let b = repo("reports/reference-vm-ipvs");
    let html = tempfile::tempdir().expect("tempdir");
    let page = html.path().join("compare.html");
    let out = run_svclab(&[
        "compare",
        a.to_str().expect("utf-8"),
        b.to_str().expect("utf-8"),
        "--html",
        page.to_str().expect("utf-8"),
    ]);
    // compare exits 1 when ratios pass the threshold; either way it must have read both runs.
    assert!(page.is_file(), "svclab compare wrote no page: {}", out.1);
}

fn run_svclab(args: &[&str]) -> (bool, String) {
    let out = run(args);
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// The report of a mixed run names each data plane's place, says times are compared only within
/// a place, puts the decision table first, gives the lab VM's backends a same-kernel ratio table,
/// and withholds absolute-time verdicts only from the emulated lab VM part.
#[test]
fn the_report_of_a_mixed_run_says_where_each_number_comes_from() {
    let dir = mixed_run();
    let out = run_svclab(&["report", dir.path().to_str().expect("utf-8")]);
    assert!(out.0, "{}", out.1);
    let md = std::fs::read_to_string(dir.path().join("summary.md")).expect("summary.md");
    let html = std::fs::read_to_string(dir.path().join("index.html")).expect("index.html");
    let host = "host kernel 6.18.44-fc-v595";
    let vm = "lab VM kernel 6.1.0-56-cloud-amd64, TCG (emulated)";
    for (backend, place) in [
        ("iptables-legacy", host),
        ("iptables-nft", host),
        ("iptables-cmd", host),
        ("ebpf", host),
        ("ipvs", vm),
        ("ipvsadm", vm),
    ] {
        assert!(
            md.contains(&format!("| {backend} | {place}")),
            "{backend} not badged {place}:\n{md}"
        );
    }
    assert!(md.contains("This run measured in 2 places"), "{md}");
    let decision = md.find("## Which data plane?").expect("decision table");
    let environment = md.find("## Environment").expect("environment");
    assert!(decision < environment);
    assert!(
        md.contains("## Same kernel, side by side: lab VM kernel"),
        "{md}"
    );
    assert!(
        html.contains("id=\"decision\""),
        "no decision table in the HTML"
    );
    // In the decision table, ebpf's add-1 (host) and ipvs's (lab VM) are never compared: each
    // place has its own best.
    let row = |name: &str| {
        md.lines()
            .find(|l| l.starts_with(&format!("| {name} | ")) && l.contains("(n="))
            .unwrap_or_else(|| panic!("no decision row for {name}:\n{md}"))
            .to_string()
    };
    assert!(
        row("ipvs").contains('★') || row("ipvsadm").contains('★'),
        "{md}"
    );
    // Absolute-time claims: graded for the host's iptables, withheld for the emulated IPVS.
    let verdicts = svclab::report::load(dir.path()).expect("model").verdicts;
    let ipvs_add = verdicts
        .iter()
        .find(|v| v.backend == "ipvs" && v.claim.contains("30 / 50 / 70"))
        .expect("IPVS add verdict");
    assert!(ipvs_add.detail.starts_with("emulated run"), "{ipvs_add:?}");
    let ipt_add = verdicts
        .iter()
        .find(|v| v.backend == "iptables-legacy" && v.claim.starts_with("(A)"))
        .expect("iptables add verdict");
    assert!(!ipt_add.detail.starts_with("emulated run"), "{ipt_add:?}");
}

/// Comparing runs whose backend moved place (IPVS in the lab VM in A, on the host in B) says so.
#[test]
fn compare_says_when_a_backend_changed_place() {
    let a = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        repo("reports/reference-vm/results.jsonl"),
        a.path().join("results.jsonl"),
    )
    .expect("copy");
    let b = mixed_run();
    let out = run_svclab(&[
        "compare",
        a.path().to_str().expect("utf-8"),
        b.path().to_str().expect("utf-8"),
    ]);
    assert!(
        out.1.contains("warning: iptables-nft: measured in lab VM kernel 6.1.0-56-cloud-amd64, TCG (emulated) in A but in host kernel"),
        "{}",
        out.1
    );
    assert!(
        !out.1.contains("warning: ipvs:"),
        "ipvs stayed in the lab VM: {}",
        out.1
    );
}
