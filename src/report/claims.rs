//! Grading the document's kernel claims: first-packet cost against the rules walked, "eBPF beats
//! both", the memory a table replacement allocates, and the lock that makes others wait.

use super::claims_tables::{bytes, micros};
use super::fit::exponent_text;
use super::grade::Grade;
use super::model::{BackendData, Family};
use crate::analysis::format_ns;
use crate::results::{LookupPosition, Outcome};
use crate::stats::summarize;

/// A fitted exponent at or below this is flat (the acceptance bound of the lab's issue 14).
pub const FLAT: f64 = 0.2;
/// A walk cost fitted at or above this grows with the rules walked.
pub const GROWS: f64 = 0.5;
/// The document's figure for one table replacement: 128 MB (read as MiB).
pub const REPLACEMENT_BYTES: f64 = 128.0 * 1024.0 * 1024.0;
/// The Services the document's memory figure is read at (its largest column).
pub const MEMORY_AT: usize = 20_000;

const NO_RECORDS: &str = "no first-packet records in this run";

/// iptables: the walk cost (last − first p50) grows with N, the first position stays flat.
pub fn first_packet_walk(b: &BackendData) -> (Grade, String) {
    let d = &b.first_packet;
    if d.is_empty() {
        return (Grade::NotMeasured, NO_RECORDS.into());
    }
    let first = d
        .first_fit
        .map_or("—".into(), |f| format!("N^{}", exponent_text(f.exponent)));
    let largest = d.largest_walk().map_or(String::new(), |w| {
        let per = w
            .ns_per_rule()
            .map_or(String::new(), |ns| format!(", {ns:.1} ns per rule walked"));
        let last = d.at_largest(LookupPosition::Last).map(|p| p.1.p50);
        let first = d.at_largest(LookupPosition::First).map(|p| p.1.p50);
        format!(
            "; at {}: walk {}{per} (last {} vs first {})",
            w.services,
            micros(w.walk_ns),
            last.map_or("—".into(), micros),
            first.map_or("—".into(), micros)
        )
    });
    let Some(walk) = d.walk_fit else {
        return (
            Grade::NotMeasured,
            format!("the walk cost is measurable at fewer than two scale points{largest}"),
        );
    };
    let first_flat = d.first_fit.is_some_and(|f| f.exponent.abs() <= FLAT);
    let grade = match (walk.exponent >= GROWS, first_flat) {
        (true, true) => Grade::Reproduced,
        (true, false) => Grade::Differs,
        (false, _) => Grade::NotReproduced,
    };
    (
        grade,
        format!(
            "walk cost fitted N^{} ({}){largest}; first position p50 {first}",
            exponent_text(walk.exponent),
            walk.quality()
        ),
    )
}

/// Hash and verdict-map lookups: the last position's p50 stays flat with N.
pub fn first_packet_flat(b: &BackendData) -> (Grade, String) {
    let d = &b.first_packet;
    if d.is_empty() {
        return (Grade::NotMeasured, NO_RECORDS.into());
    }
    let at = d
        .at_largest(LookupPosition::Last)
        .map_or(String::new(), |(n, p)| {
            format!(" ({} p50 at {n})", micros(p.p50))
        });
    let Some(fit) = d.last_fit else {
        return (
            Grade::NotMeasured,
            format!("fewer than two scale points{at}"),
        );
    };
    let grade = match fit.exponent {
        e if e <= FLAT => Grade::Reproduced,
        e if e <= GROWS => Grade::Differs,
        _ => Grade::NotReproduced,
    };
    (
        grade,
        format!(
            "last position p50 fitted N^{} ({}){at}",
            exponent_text(fit.exponent),
            fit.quality()
        ),
    )
}

/// eBPF against every iptables, IPVS and nftables backend at eBPF's largest N: first-packet p50
/// (last position) and add-1 median, as ratios (other ÷ eBPF: above 1, eBPF is faster).
pub fn ebpf_beats(ebpf: &BackendData, all: &[BackendData]) -> (Grade, String) {
    let n = ebpf
        .first_packet
        .at_largest(LookupPosition::Last)
        .map(|(n, _)| n)
        .or_else(|| ebpf.add.points.last().map(|p| p.services));
    let Some(n) = n else {
        return (
            Grade::NotMeasured,
            "eBPF measured nothing comparable".into(),
        );
    };
    let packet = |b: &BackendData| {
        b.first_packet
            .points
            .iter()
            .find(|p| p.services == n)
            .and_then(|p| p.positions.get(&LookupPosition::Last))
            .map(|p| p.p50)
    };
    let add = |b: &BackendData| {
        b.add
            .points
            .iter()
            .find(|p| p.services == n)
            .map(|p| p.summary.median)
    };
    let mut parts = Vec::new();
    let (mut wins, mut losses) = (0, 0);
    let others = all
        .iter()
        .filter(|o| matches!(o.family, Family::Iptables | Family::Ipvs | Family::Nftables));
    for o in others {
        for (what, mine, theirs, show) in [
            (
                "first packet",
                packet(ebpf),
                packet(o),
                micros as fn(f64) -> String,
            ),
            ("add-1", add(ebpf), add(o), format_ns as fn(f64) -> String),
        ] {
            if let (Some(mine), Some(theirs)) = (mine, theirs) {
                let ratio = theirs / mine;
                if ratio > 1.0 {
                    wins += 1;
                } else {
                    losses += 1;
                }
                parts.push(format!(
                    "{what}: {} {} = {ratio:.1}× eBPF's {}",
                    o.name,
                    show(theirs),
                    show(mine)
                ));
            }
        }
    }
    if parts.is_empty() {
        return (
            Grade::NotMeasured,
            format!("no iptables, IPVS or nftables backend measured at {n} Services in this run"),
        );
    }
    let grade = match (wins, losses) {
        (_, 0) => Grade::Reproduced,
        (0, _) => Grade::NotReproduced,
        _ => Grade::Differs,
    };
    (grade, format!("at {n}: {}", parts.join("; ")))
}

/// The memory one whole-table replacement allocates, at the document's 20,000 Services (scaled
/// linearly from the largest N measured, and then marked DERIVED).
pub fn replacement_memory(b: &BackendData) -> (Grade, String) {
    let Some(k) = b.memory.iter().max_by_key(|k| k.services) else {
        return (
            Grade::NotMeasured,
            "no kernel-memory records in this run".into(),
        );
    };
    // A replacement allocates a whole new table: the kernel's own size where it reports one,
    // else the peak seen above the full table's level during a full sync.
    let (figure, what) = match (&k.reported, k.replacement_peak_extra_bytes) {
        (Some(r), _) => (
            r.bytes as f64,
            "the new table the kernel allocates (its reported size)",
        ),
        (None, Some(p)) => (p as f64, "the peak Slab + VmallocUsed above the full table"),
        (None, None) => {
            return (
                Grade::NotMeasured,
                format!("no figure at {} Services", k.services),
            )
        }
    };
    let peak = k.replacement_peak_extra_bytes.map_or(String::new(), |p| {
        format!("; peak extra seen during a full sync {}", bytes(p as f64))
    });
    let (at_doc, how) = if k.services == MEMORY_AT {
        (figure, String::new())
    } else {
        (
            figure * MEMORY_AT as f64 / k.services.max(1) as f64,
            format!(
                " DERIVED (scaled linearly from {} at {} Services)",
                bytes(figure),
                k.services
            ),
        )
    };
    let grade = match at_doc {
        v if v > REPLACEMENT_BYTES => Grade::Reproduced,
        v if v > REPLACEMENT_BYTES / 2.0 => Grade::Differs,
        _ => Grade::NotReproduced,
    };
    (
        grade,
        format!(
            "{what}: {} at {MEMORY_AT}{how} vs 128 MiB{peak}",
            bytes(at_doc)
        ),
    )
}

/// Others wait on an update's lock: the add-1's wait against the time the full sync had left.
pub fn lock_makes_others_wait(b: &BackendData) -> (Grade, String) {
    let Some(l) = b.lock_waits.iter().max_by_key(|l| l.services) else {
        return (
            Grade::NotMeasured,
            "no lock-wait records in this run".into(),
        );
    };
    if let Outcome::Failed { error } | Outcome::TimedOut { error } = &l.outcome {
        if error.contains("lock") {
            return (
                Grade::Reproduced,
                format!(
                    "at {}: the add-1 gave up waiting for the lock ({}): {error}",
                    l.services, l.lock
                ),
            );
        }
    }
    let median = |v: &[i64]| summarize(&v.iter().map(|&x| x as f64).collect::<Vec<_>>());
    let left: Vec<i64> = l
        .sync_ns
        .iter()
        .zip(&l.issued_after_ns)
        .map(|(&s, &i)| s as i64 - i as i64)
        .collect();
    let (Some(wait), Some(left)) = (median(&l.waits_ns()), median(&left)) else {
        return (
            Grade::NotMeasured,
            format!("no round finished at {} Services", l.services),
        );
    };
    let (wait, left) = (wait.median, left.median);
    let grade = match wait / left.max(1.0) {
        r if r >= 0.5 => Grade::Reproduced,
        r if r >= 0.1 => Grade::Differs,
        _ => Grade::NotReproduced,
    };
    (
        grade,
        format!(
            "at {}: an add-1 issued during a full sync with {} left waited {} ({})",
            l.services,
            format_ns(left),
            super::claims_tables::signed_ns(wait),
            l.lock
        ),
    )
}

/// Why nftables dispatch does not walk: one sentence for the reports.
pub const NFTABLES_DISPATCH: &str = "nftables dispatches a new connection with one lookup of `ip daddr . meta l4proto . th dport` in the `service-ips` verdict map, where iptables walks KUBE-SERVICES rule by rule, so its first-packet cost should not grow with the Services ahead of the one reached.";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{
        FirstPacket, FirstPacketMeasure, KernelMemoryUse, LockWait, Measurement, Op, Record, Sample,
    };
    use svclab_backend::KernelMemory;

    fn packet(backend: &str, n: usize, position: LookupPosition, index: usize, ns: u64) -> Record {
        Record::FirstPacket(FirstPacket {
            backend: backend.into(),
            services: n,
            measure: FirstPacketMeasure::Connect,
            position,
            index: Some(index),
            target: "10.96.0.1:80".into(),
            samples_ns: vec![ns; 50],
            failed: 0,
            errors: Vec::new(),
        })
    }

    fn add(backend: &str, n: usize, ns: u64) -> Record {
        let s = Sample {
            commit_ns: ns,
            prepare_ns: 0,
            total_ns: ns,
            kernel_calls: 1,
            objects_written: 8,
            write: None,
        };
        Record::Measurement(Measurement {
            backend: backend.into(),
            services: n,
            endpoints_per_service: 2,
            op: Op::Add,
            warmup: 0,
            samples: vec![s; 3],
            outcome: Outcome::Ok,
        })
    }

    /// iptables-legacy walking 10 ns a rule from 40 µs; eBPF flat at 11 µs.
    fn records() -> Vec<Record> {
        let mut r = Vec::new();
        for n in [1_000usize, 3_000, 10_000] {
            for (pos, i) in [(LookupPosition::First, 0), (LookupPosition::Last, n - 1)] {
                r.push(packet("iptables-legacy", n, pos, i, 40_000 + 10 * i as u64));
                r.push(packet("ebpf", n, pos, i, 11_000));
            }
            r.push(add("iptables-legacy", n, 100 * n as u64 * 1_000));
            r.push(add("ebpf", n, 20_000));
        }
        r.push(Record::KernelMemory(KernelMemoryUse {
            backend: "iptables-legacy".into(),
            services: 10_000,
            reported: Some(KernelMemory {
                bytes: 48 << 20,
                source: "IPT_SO_GET_INFO".into(),
            }),
            meminfo_growth_bytes: None,
            replacement_peak_extra_bytes: Some(50 << 20),
        }));
        r.push(Record::LockWait(LockWait {
            backend: "iptables-legacy".into(),
            services: 10_000,
            lock: "xtables lock file (flock, user space)".into(),
            sync_ns: vec![2_000_000_000; 3],
            add_alone_ns: vec![500_000_000; 3],
            add_during_ns: vec![2_000_000_000; 3],
            issued_after_ns: vec![500_000_000; 3],
            outcome: Outcome::Ok,
        }));
        r
    }

    fn backend<'a>(all: &'a [BackendData], name: &str) -> &'a BackendData {
        all.iter()
            .find(|b| b.name == name)
            .expect("backend in the model")
    }

    #[test]
    fn a_linear_walk_reproduces_and_a_flat_lookup_stays_flat() {
        let model = crate::report::build(&records());
        let (grade, detail) = first_packet_walk(backend(&model.backends, "iptables-legacy"));
        assert_eq!(grade, Grade::Reproduced, "{detail}");
        assert!(detail.starts_with("walk cost fitted N^1.00"), "{detail}");
        assert!(detail.contains("10.0 ns per rule walked"), "{detail}");
        assert!(detail.contains("first position p50 N^0.00"), "{detail}");
        let (grade, detail) = first_packet_flat(backend(&model.backends, "ebpf"));
        assert_eq!(grade, Grade::Reproduced, "{detail}");
        // A walking data plane judged as a flat one is not flat.
        let (grade, _) = first_packet_flat(backend(&model.backends, "iptables-legacy"));
        assert_ne!(grade, Grade::Reproduced);
    }

    #[test]
    fn ebpf_beats_both_with_ratios() {
        let model = crate::report::build(&records());
        let (grade, detail) = ebpf_beats(backend(&model.backends, "ebpf"), &model.backends);
        assert_eq!(grade, Grade::Reproduced, "{detail}");
        assert!(
            detail.starts_with("at 10000: first packet: iptables-legacy"),
            "{detail}"
        );
        assert!(detail.contains("= 12.7× eBPF's 11.0 µs"), "{detail}");
    }

    #[test]
    fn memory_is_scaled_to_20000_and_marked_derived() {
        let model = crate::report::build(&records());
        let (grade, detail) = replacement_memory(backend(&model.backends, "iptables-legacy"));
        // 48 MiB at 10,000 is 96 MiB at 20,000: within 2× of 128 MiB but below it.
        assert_eq!(grade, Grade::Differs, "{detail}");
        assert!(detail.contains("96.0 MiB at 20000 DERIVED"), "{detail}");
        assert!(
            detail.contains("peak extra seen during a full sync 50.0 MiB"),
            "{detail}"
        );
    }

    #[test]
    fn a_wait_for_most_of_the_sync_reproduces_the_lock_claim() {
        let model = crate::report::build(&records());
        let (grade, detail) = lock_makes_others_wait(backend(&model.backends, "iptables-legacy"));
        assert_eq!(grade, Grade::Reproduced, "{detail}");
        assert!(
            detail.contains("with 1.50 s left waited 1.50 s"),
            "{detail}"
        );
        let (grade, _) = lock_makes_others_wait(backend(&model.backends, "ebpf"));
        assert_eq!(grade, Grade::NotMeasured);
    }
}
