//! The last steps of a scale point, for the document's kernel claims: what the kernel holds for
//! the data plane (and the peak while a full sync replaces it), and how long an add-1 waits for
//! the lock a full restore holds. Both change the table; they run after everything else.

use super::meminfo;
use super::point::{outcome_of, Point, Stop};
use super::write;
use crate::registry;
use crate::results::{KernelMemoryUse, LockWait, Outcome, Record};
use std::time::{Duration, Instant};
use svclab_backend::{BackendError, ServiceBackend};

/// Rounds of the lock-wait measurement.
const LOCK_ROUNDS: usize = 3;

/// The lock two writers of this data plane meet at, for those that have one to measure here.
pub(crate) fn lock_of(backend: &str) -> Option<&'static str> {
    match backend {
        "iptables-legacy" | "iptables-cmd" => Some("xtables lock file (flock, user space)"),
        "iptables-nft" => Some("nf_tables commit mutex (kernel, per network namespace)"),
        _ => None,
    }
}

impl Point<'_, '_> {
    /// Kernel memory, then the lock wait; one call from the point's steps.
    pub(super) fn kernel_claims(&mut self, backend: &mut dyn ServiceBackend) -> Result<(), Stop> {
        self.progress("kernel memory");
        self.kernel_memory(backend)?;
        if lock_of(self.name).is_some() {
            self.progress("lock wait");
            self.lock_wait(backend)?;
        }
        Ok(())
    }

    /// Empty the table with a full sync of nothing, then fill it (growth) and replace it with the
    /// same Services (peak extra), sampling `/proc/meminfo`; then ask the kernel what it holds.
    fn kernel_memory(&mut self, backend: &mut dyn ServiceBackend) -> Result<(), Stop> {
        let base = self.base;
        let emptied = backend.sync(&[]);
        let empty = emptied.is_ok().then(meminfo::read).flatten();
        let (filled, _) = meminfo::peak_during(|| backend.sync(base));
        let full = filled.is_ok().then(meminfo::read).flatten();
        let (replaced, peak) = meminfo::peak_during(|| backend.sync(base));
        let failed = [emptied.err(), filled.err(), replaced.err()]
            .into_iter()
            .flatten()
            .next();
        if let Some(e) = failed {
            self.ctx.progress.note(&format!(
                "{} at {} services: kernel memory: a sync failed: {e}",
                self.name, self.n
            ));
            return Err(Stop::Status(super::point::status_of(&outcome_of(&e))));
        }
        let reported = backend.kernel_memory().unwrap_or_else(|e| {
            self.ctx.progress.note(&format!(
                "{}: reading its kernel memory failed: {e}",
                self.name
            ));
            None
        });
        write(
            self.out,
            Record::KernelMemory(KernelMemoryUse {
                backend: self.name.to_string(),
                services: self.n,
                reported,
                meminfo_growth_bytes: full.zip(empty).map(|(f, e)| f - e),
                replacement_peak_extra_bytes: peak.zip(full).map(|(p, f)| p - f),
            }),
        )?;
        Ok(())
    }

    /// Each round: the full sync alone, an add-1 alone (by a second instance of the backend in
    /// this sandbox, sharing its lock), then the add-1 issued a quarter of the way into a full
    /// sync. The second instance's cleanup empties the table; the next full sync refills it.
    fn lock_wait(&mut self, backend: &mut dyn ServiceBackend) -> Result<(), Stop> {
        let extra = &self.ctx.set.services[self.n];
        let config = self.ctx.config.clone();
        let name = self.name;
        let add_once = || -> Result<Duration, BackendError> {
            let mut other = registry::create(name, config.clone())?;
            let started = Instant::now();
            other.add(extra)?;
            Ok(started.elapsed())
        };
        let mut record = LockWait {
            backend: name.to_string(),
            services: self.n,
            lock: lock_of(name).unwrap_or("unknown").to_string(),
            sync_ns: Vec::new(),
            add_alone_ns: Vec::new(),
            add_during_ns: Vec::new(),
            issued_after_ns: Vec::new(),
            outcome: Outcome::Ok,
        };
        let base = self.base;
        for _ in 0..LOCK_ROUNDS {
            if self.ctx.cancel().is_cancelled() {
                record.outcome = Outcome::Cancelled;
                break;
            }
            // Each figure is kept as soon as it is measured: a round that fails (an add-1 that
            // gave up waiting for the lock) still leaves its add-1 alone in the record.
            let round = (|| -> Result<(), BackendError> {
                let started = Instant::now();
                backend.sync(base)?;
                let sync_alone = started.elapsed();
                // A thread spawned here shares the sandbox thread's network namespace.
                let alone = std::thread::scope(|s| s.spawn(add_once).join())
                    .map_err(|_| BackendError::Other("the add-1 thread panicked".into()))??;
                record.add_alone_ns.push(alone.as_nanos() as u64);
                let offset = sync_alone / 4;
                let (synced, during) = std::thread::scope(|s| {
                    let adder = s.spawn(|| {
                        std::thread::sleep(offset);
                        add_once()
                    });
                    let started = Instant::now();
                    let synced = backend.sync(base).map(|_| started.elapsed());
                    let during = adder
                        .join()
                        .map_err(|_| BackendError::Other("the add-1 thread panicked".into()));
                    (synced, during)
                });
                let (synced, during) = (synced?, during??);
                record.sync_ns.push(synced.as_nanos() as u64);
                record.add_during_ns.push(during.as_nanos() as u64);
                record.issued_after_ns.push(offset.as_nanos() as u64);
                Ok(())
            })();
            if let Err(e) = round {
                record.outcome = outcome_of(&e);
                break;
            }
        }
        write(self.out, Record::LockWait(record))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_locks_are_told_apart() {
        assert!(lock_of("iptables-legacy").is_some_and(|l| l.contains("flock")));
        assert_eq!(lock_of("iptables-cmd"), lock_of("iptables-legacy"));
        assert!(lock_of("iptables-nft").is_some_and(|l| l.contains("nf_tables")));
        assert_eq!(lock_of("ebpf"), None);
    }
}
