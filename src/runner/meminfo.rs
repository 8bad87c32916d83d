//! Kernel memory as `/proc/meminfo` shows it: Slab + VmallocUsed, read once or sampled while a
//! call runs. Machine-wide figures: whatever else the machine does meanwhile shows up too.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How often the sampler reads `/proc/meminfo` while a call runs.
const SAMPLE_EVERY: Duration = Duration::from_millis(1);

/// Slab + VmallocUsed in bytes from `/proc/meminfo` text; `None` when either line is missing.
pub(crate) fn kernel_bytes(meminfo: &str) -> Option<i64> {
    let field = |name: &str| -> Option<i64> {
        let line = meminfo.lines().find(|l| l.starts_with(name))?;
        let kib: i64 = line[name.len()..].split_whitespace().next()?.parse().ok()?;
        Some(kib * 1024)
    };
    Some(field("Slab:")? + field("VmallocUsed:")?)
}

/// Slab + VmallocUsed now.
pub(crate) fn read() -> Option<i64> {
    kernel_bytes(&std::fs::read_to_string("/proc/meminfo").ok()?)
}

/// Run `call` while sampling; returns its result and the highest Slab + VmallocUsed seen.
pub(crate) fn peak_during<T>(call: impl FnOnce() -> T) -> (T, Option<i64>) {
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let sampler = scope.spawn(|| {
            let mut peak = read();
            while !stop.load(Ordering::Relaxed) {
                peak = peak.max(read());
                std::thread::sleep(SAMPLE_EVERY);
            }
            peak.max(read())
        });
        let result = call();
        stop.store(true, Ordering::Relaxed);
        (result, sampler.join().unwrap_or(None))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_slab_and_vmalloc_used_in_bytes() {
        let text =
            "MemTotal: 100 kB\nSlab:    2048 kB\nSReclaimable: 5 kB\nVmallocUsed:   1024 kB\n";
        assert_eq!(kernel_bytes(text), Some(3 * 1024 * 1024));
        assert_eq!(kernel_bytes("Slab: 1 kB\n"), None);
    }

    #[test]
    fn the_sampler_sees_the_machine() {
        let (value, peak) = peak_during(|| 7);
        assert_eq!(value, 7);
        assert!(peak.is_some_and(|p| p > 0), "{peak:?}");
    }
}
