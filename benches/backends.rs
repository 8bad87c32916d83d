//! Kernel benches: each available backend's operations at base N, timed around exactly the
//! kernel commit the backend reports (`OpReport::commit`), in a sandbox namespace of its own.
//!
//! Backends that cannot run here (no privilege, no IPVS in this kernel) are reported once with
//! their reason; `svclab vm -- ...` runs the lab on a kernel that has them.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode};
use std::sync::mpsc;
use std::time::Duration;
use svclab::{privilege, registry, sandbox, synth};
use svclab_backend::{Availability, BackendConfig, Endpoint, OpReport, Service, ServiceId};

const BASES: [usize; 3] = [1, 1000, 5000];
const SYNC_BASE: usize = 1000;

enum Cmd {
    Sync(Vec<Service>),
    Add(Service),
    Remove(ServiceId),
    Update(ServiceId, Vec<Endpoint>),
}

type Reply = mpsc::Sender<Result<OpReport, String>>;

/// A backend living on its own sandbox thread; the bench thread sends it operations.
struct Worker {
    tx: mpsc::Sender<(Cmd, Reply)>,
}

impl Worker {
    fn start(name: &'static str) -> Result<Worker, String> {
        let (tx, rx) = mpsc::channel::<(Cmd, Reply)>();
        let (ready_tx, ready_rx) = mpsc::channel::<Result<(), String>>();
        std::thread::spawn(move || {
            let served = sandbox::run_in_fresh_netns(|| {
                let mut backend = match registry::create(name, BackendConfig::default()) {
                    Ok(b) => b,
                    Err(e) => return ready_tx.send(Err(e.to_string())).unwrap_or(()),
                };
                if let Availability::Unavailable { reason, fix } = backend.probe() {
                    return ready_tx
                        .send(Err(format!("{reason} (fix: {fix})")))
                        .unwrap_or(());
                }
                let _ = ready_tx.send(Ok(()));
                for (cmd, reply) in rx {
                    let result = match cmd {
                        Cmd::Sync(services) => backend.sync(&services),
                        Cmd::Add(svc) => backend.add(&svc),
                        Cmd::Remove(id) => backend.remove(id),
                        Cmd::Update(id, eps) => backend.update_endpoints(id, &eps),
                    };
                    let _ = reply.send(result.map_err(|e| e.to_string()));
                }
            });
            if let Err(e) = served {
                eprintln!("svclab benches: {name}: sandbox failed: {e}");
            }
        });
        ready_rx
            .recv()
            .map_err(|_| "the backend thread ended".to_string())??;
        Ok(Worker { tx })
    }

    /// Run one operation and return its kernel commit time.
    fn run(&self, cmd: Cmd) -> Duration {
        let (reply_tx, reply_rx) = mpsc::channel();
        let sent = self.tx.send((cmd, reply_tx));
        match sent.ok().and_then(|()| reply_rx.recv().ok()) {
            Some(Ok(report)) => report.commit,
            Some(Err(e)) => panic!("backend operation failed: {e}"),
            None => panic!("the backend thread ended"),
        }
    }
}

fn kernel(c: &mut Criterion) {
    if let Err(e) = privilege::check() {
        eprintln!("svclab benches: kernel benches skipped: {e}");
        return;
    }
    let set = synth::generate(2017, BASES[2] + 1, 2);
    for name in registry::names() {
        let worker = match Worker::start(name) {
            Ok(w) => w,
            Err(reason) => {
                eprintln!("svclab benches: {name}: skipped: {reason}");
                continue;
            }
        };
        let mut group = c.benchmark_group(format!("kernel/{name}"));
        // Slow operations (a second per rule for iptables-cmd at 5,000): few flat samples.
        group
            .sampling_mode(SamplingMode::Flat)
            .sample_size(10)
            .warm_up_time(Duration::from_millis(500));
        for n in BASES {
            let base = set.services[..n].to_vec();
            worker.run(Cmd::Sync(base.clone()));
            let extra = set.services[n].clone();
            group.bench_with_input(BenchmarkId::new("add-1", n), &n, |b, _| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        total += worker.run(Cmd::Add(extra.clone()));
                        worker.run(Cmd::Remove(extra.id));
                    }
                    total
                })
            });
            group.bench_with_input(BenchmarkId::new("remove-1", n), &n, |b, _| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        worker.run(Cmd::Add(extra.clone()));
                        total += worker.run(Cmd::Remove(extra.id));
                    }
                    total
                })
            });
            let target = base[n / 2].clone();
            let mut changed = target.endpoints.clone();
            if let Some(last) = changed.last_mut() {
                *last = set.spare_endpoints[0];
            }
            group.bench_with_input(BenchmarkId::new("update-endpoints", n), &n, |b, _| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        total += worker.run(Cmd::Update(target.id, changed.clone()));
                        worker.run(Cmd::Update(target.id, target.endpoints.clone()));
                    }
                    total
                })
            });
        }
        let base = set.services[..SYNC_BASE].to_vec();
        group.bench_with_input(
            BenchmarkId::new("full-sync", SYNC_BASE),
            &SYNC_BASE,
            |b, _| {
                b.iter_custom(|iters| {
                    (0..iters)
                        .map(|_| worker.run(Cmd::Sync(base.clone())))
                        .sum()
                })
            },
        );
        group.finish();
    }
}

criterion_group!(benches, kernel);
criterion_main!(benches);
