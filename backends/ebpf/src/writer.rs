//! Applies a [`Plan`] to the maps in Cilium's order, by batch or one element per syscall.

use crate::abi::Plain;
use crate::entries::Plan;
use crate::sys::{self, Partial};
use crate::EbpfError;
use aya::maps::MapData;
use std::os::fd::{AsFd, BorrowedFd};
use std::time::{Duration, Instant};
use svclab_backend::CancelFlag;

/// How entries reach the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateMode {
    /// `BPF_MAP_UPDATE_BATCH` / `BPF_MAP_DELETE_BATCH`, one syscall per map and step; falls back
    /// to [`UpdateMode::PerElement`] for good when the kernel refuses batches.
    Batch,
    /// `BPF_MAP_UPDATE_ELEM` / `BPF_MAP_DELETE_ELEM`, one syscall per entry.
    PerElement,
}

/// The maps, taken out of the loaded object so their fds can be used directly.
pub struct MapSet {
    pub services: MapData,
    pub backends: MapData,
    pub rev_nat: MapData,
    /// The connect4 program's race counters (`LB4_EVENTS`); only read, never written.
    pub events: MapData,
}

/// Limits checked between syscalls (a single syscall is never interrupted).
pub struct Limits<'a> {
    pub deadline: Instant,
    pub step_timeout: Duration,
    pub cancel: &'a CancelFlag,
    pub doing: &'a str,
}

/// Time spent inside bpf syscalls, and how many there were.
#[derive(Debug, Default, Clone, Copy)]
pub struct Commit {
    pub elapsed: Duration,
    pub calls: u32,
}

/// Per-element loops check the limits this often.
const CHECK_EVERY: usize = 256;

pub struct Writer<'a> {
    pub maps: &'a MapSet,
    pub mode: &'a mut UpdateMode,
    pub limits: Limits<'a>,
    pub commit: Commit,
}

impl Writer<'_> {
    /// Upserts first (backends, slots, rev-NAT, masters), then deletes (masters, slots, rev-NAT,
    /// backends): see [`Plan`] for why.
    pub fn apply(&mut self, plan: &Plan) -> Result<(), EbpfError> {
        let maps = self.maps;
        let (svc, be, rev) = (
            maps.services.fd().as_fd(),
            maps.backends.fd().as_fd(),
            maps.rev_nat.fd().as_fd(),
        );
        self.upsert(be, "LB4_BACKENDS", &plan.backends)?;
        self.upsert(svc, "LB4_SERVICES", &plan.slots)?;
        self.upsert(rev, "LB4_REVERSE_NAT", &plan.rev_nat)?;
        self.upsert(svc, "LB4_SERVICES", &plan.masters)?;
        self.delete(svc, "LB4_SERVICES", &plan.delete_masters)?;
        self.delete(svc, "LB4_SERVICES", &plan.delete_slots)?;
        self.delete(rev, "LB4_REVERSE_NAT", &plan.delete_rev_nat)?;
        self.delete(be, "LB4_BACKENDS", &plan.delete_backends)
    }

    fn check(&self) -> Result<(), EbpfError> {
        let l = &self.limits;
        if l.cancel.is_cancelled() {
            return Err(EbpfError::Cancelled {
                doing: l.doing.to_string(),
            });
        }
        if Instant::now() > l.deadline {
            return Err(EbpfError::Timeout {
                doing: l.doing.to_string(),
                after: l.step_timeout,
            });
        }
        Ok(())
    }

    fn timed<T>(&mut self, call: impl FnOnce() -> T) -> T {
        let started = Instant::now();
        let out = call();
        self.commit.elapsed += started.elapsed();
        self.commit.calls += 1;
        out
    }

    fn upsert<K: Plain, V: Plain>(
        &mut self,
        fd: BorrowedFd<'_>,
        map: &'static str,
        entries: &[(K, V)],
    ) -> Result<(), EbpfError> {
        self.check()?;
        if entries.is_empty() {
            return Ok(());
        }
        let mut rest = entries;
        if *self.mode == UpdateMode::Batch {
            // The kernel wants keys and values as two arrays; splitting is userspace work.
            let (keys, values): (Vec<K>, Vec<V>) = entries.iter().copied().unzip();
            match self.timed(|| sys::update_batch(fd, &keys, &values)) {
                Ok(()) => return Ok(()),
                Err(Partial { done, error }) if sys::batch_refused(&error) => {
                    *self.mode = UpdateMode::PerElement;
                    rest = &entries[done..];
                }
                Err(Partial { error, .. }) => {
                    return Err(syscall("BPF_MAP_UPDATE_BATCH", map, error))
                }
            }
        }
        for (i, (key, value)) in rest.iter().enumerate() {
            if i % CHECK_EVERY == CHECK_EVERY - 1 {
                self.check()?;
            }
            self.timed(|| sys::update_elem(fd, key, value))
                .map_err(|e| syscall("BPF_MAP_UPDATE_ELEM", map, e))?;
        }
        Ok(())
    }

    fn delete<K: Plain>(
        &mut self,
        fd: BorrowedFd<'_>,
        map: &'static str,
        keys: &[K],
    ) -> Result<(), EbpfError> {
        self.check()?;
        let mut rest = keys;
        while *self.mode == UpdateMode::Batch && !rest.is_empty() {
            match self.timed(|| sys::delete_batch(fd, rest)) {
                Ok(()) => return Ok(()),
                // A key already gone is what a delete wants; skip it and go on.
                Err(Partial { done, error }) if error.raw_os_error() == Some(libc::ENOENT) => {
                    rest = &rest[(done + 1).min(rest.len())..];
                }
                Err(Partial { done, error }) if sys::batch_refused(&error) => {
                    *self.mode = UpdateMode::PerElement;
                    rest = &rest[done..];
                }
                Err(Partial { error, .. }) => {
                    return Err(syscall("BPF_MAP_DELETE_BATCH", map, error))
                }
            }
        }
        for (i, key) in rest.iter().enumerate() {
            if i % CHECK_EVERY == CHECK_EVERY - 1 {
                self.check()?;
            }
            match self.timed(|| sys::delete_elem(fd, key)) {
                Err(e) if e.raw_os_error() != Some(libc::ENOENT) => {
                    return Err(syscall("BPF_MAP_DELETE_ELEM", map, e))
                }
                _ => {}
            }
        }
        Ok(())
    }
}

fn syscall(command: &'static str, map: &'static str, source: std::io::Error) -> EbpfError {
    EbpfError::Syscall {
        command,
        map,
        source,
    }
}
