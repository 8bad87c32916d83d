//! Measures the eBPF backend (a benchmark, not a test): the initial load of 20,000 Services × 2
//! endpoints by batch and per element; the full resync of an unchanged set at 1 / 5,000 / 20,000
//! Services by the diff the backend uses and by the old write-everything path
//! ([`WritePolicy::Everything`], kept only for this comparison); and add-1 latency.
//!
//! Run as root: `cargo run --release -p svclab-ebpf --example ebpf_bench [runs] [adds]`.
//! It unshares its own network namespace first; BPF maps are not per namespace, but the backend
//! refuses the host's namespace, and the lab always runs it in one of its own.

use std::net::Ipv4Addr;
use std::time::Duration;
use svclab_backend::{
    BackendConfig, Endpoint, OpReport, Protocol, Service, ServiceBackend, ServiceId,
};
use svclab_ebpf::{EbpfBackend, MapCapacity, UpdateMode, WritePolicy};

const SERVICES: u32 = 20_000;
const ENDPOINTS: u32 = 2;

fn service(i: u32) -> Service {
    let base = u32::from(Ipv4Addr::new(10, 244, 0, 0));
    Service {
        id: ServiceId(i),
        namespace: "default".into(),
        name: format!("svc-{i}"),
        port_name: "http".into(),
        vip: Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 96, 0, 0)) + i),
        port: 80,
        protocol: Protocol::Tcp,
        endpoints: (0..ENDPOINTS)
            .map(|e| Endpoint {
                addr: Ipv4Addr::from(base + (i * ENDPOINTS + e) % 65_536),
                port: 8080,
            })
            .collect(),
    }
}

fn backend(mode: UpdateMode) -> Result<EbpfBackend, Box<dyn std::error::Error>> {
    let mut b = EbpfBackend::new(
        BackendConfig::default(),
        MapCapacity::for_services(SERVICES + 1, ENDPOINTS),
    )?;
    b.set_update_mode(mode);
    b.load()?; // load and attach outside the timed operations
    Ok(b)
}

/// Median, p99 (nearest rank), min and max of `samples`, in µs.
fn summary(samples: &mut [Duration]) -> String {
    samples.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let rank =
        |q: f64| samples[((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len()) - 1];
    format!(
        "median {:.1} µs, p99 {:.1} µs, min {:.1} µs, max {:.1} µs (n={})",
        us(rank(0.5)),
        us(rank(0.99)),
        us(samples[0]),
        us(samples[samples.len() - 1]),
        samples.len()
    )
}

fn initial_load(mode: UpdateMode, runs: usize) -> Result<(), Box<dyn std::error::Error>> {
    let set: Vec<Service> = (0..SERVICES).map(service).collect();
    let (mut commit, mut total) = (Vec::new(), Vec::new());
    let mut last = OpReport::default();
    for run in 0..=runs {
        let mut b = backend(mode)?;
        let report = b.sync(&set)?;
        let read = b.kernel_objects()?;
        if read != b.expected_objects(&set) {
            return Err(
                format!("read-back {read} != expected {}", b.expected_objects(&set)).into(),
            );
        }
        if b.update_mode() != mode {
            return Err(format!("{mode:?} fell back to {:?}", b.update_mode()).into());
        }
        b.cleanup()?;
        if run > 0 {
            // run 0 is the warm-up
            commit.push(report.commit);
            total.push(report.commit + report.prepare);
            last = report;
        }
    }
    println!(
        "initial load {SERVICES} x {ENDPOINTS}, {mode:?}: {} entries in {} syscalls",
        last.objects_written, last.kernel_calls
    );
    println!("  commit (bpf syscalls): {}", summary(&mut commit));
    println!("  total (plan + commit): {}", summary(&mut total));
    Ok(())
}

/// Full syncs of an unchanged set of `at` Services, as the lab's periodic resync does them.
fn resync(at: u32, policy: WritePolicy, runs: usize) -> Result<(), Box<dyn std::error::Error>> {
    let set: Vec<Service> = (0..at).map(service).collect();
    let mut b = backend(UpdateMode::Batch)?;
    b.set_write_policy(policy);
    b.sync(&set)?;
    let mut total = Vec::new();
    let mut last = OpReport::default();
    for run in 0..=runs {
        let report = b.sync(&set)?;
        if run > 0 {
            total.push(report.commit + report.prepare);
            last = report;
        }
    }
    println!(
        "resync of {at} unchanged, {policy:?}: {} entries in {} syscalls; total {}",
        last.objects_written,
        last.kernel_calls,
        summary(&mut total)
    );
    b.cleanup()?;
    Ok(())
}

fn add_one(at: u32, adds: usize) -> Result<(), Box<dyn std::error::Error>> {
    let mut b = backend(UpdateMode::Batch)?;
    b.sync(&(0..at).map(service).collect::<Vec<_>>())?;
    let extra = service(SERVICES); // id 20000: a VIP and endpoints no synced Service uses
    let (mut commit, mut total, mut remove) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..adds + adds / 10 {
        let added = b.add(&extra)?;
        let removed = b.remove(extra.id)?;
        if i >= adds / 10 {
            // the first tenth warms up
            commit.push(added.commit);
            total.push(added.commit + added.prepare);
            remove.push(removed.commit);
        }
    }
    println!("add 1 Service (1 master + {ENDPOINTS} slots + {ENDPOINTS} backends + 1 rev-NAT) with {at} programmed:");
    println!("  add commit: {}", summary(&mut commit));
    println!("  add total:  {}", summary(&mut total));
    println!("  remove commit: {}", summary(&mut remove));
    b.cleanup()?;
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let runs: usize = args.next().map_or(Ok(7), |a| a.parse())?;
    let adds: usize = args.next().map_or(Ok(1_000), |a| a.parse())?;
    // The backend wants a thread whose namespace differs from the process's (the lab's sandbox
    // threads), so the bench runs on a thread of its own that unshares first.
    let bench = std::thread::spawn(move || -> Result<(), String> {
        nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET)
            .map_err(|e| format!("unshare(CLONE_NEWNET): {e}; run as root"))?;
        run(runs, adds).map_err(|e| e.to_string())
    });
    bench
        .join()
        .map_err(|_| "the bench thread panicked")?
        .map_err(Into::into)
}

fn run(runs: usize, adds: usize) -> Result<(), Box<dyn std::error::Error>> {
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    println!(
        "svclab-ebpf bench, kernel {}, {runs} runs after 1 warm-up",
        kernel.trim()
    );
    initial_load(UpdateMode::Batch, runs)?;
    initial_load(UpdateMode::PerElement, runs)?;
    for at in [1, 5_000, 20_000] {
        for policy in [WritePolicy::Diff, WritePolicy::Everything] {
            resync(at, policy, runs)?;
        }
    }
    for at in [1, 5_000, 20_000] {
        add_one(at, adds)?;
    }
    Ok(())
}
