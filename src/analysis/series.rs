//! Curves over scale: per backend, one metric against the number of Services. Reports plot these
//! and fit them; everything here is a pure function of the records.

use crate::results::{Measurement, Op, Outcome, Record};
use crate::stats::{summarize, Summary};

/// What one sample's time is divided by: the whole call, each kernel call it made (one
/// `iptables -A` process, one netlink batch, one bpf syscall), or each object it wrote (rule,
/// IPVS service/destination, map entry). The last two are derived figures, not timed ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Per {
    Call,
    KernelCall,
    ObjectWritten,
}

/// One measured point of a curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub services: usize,
    pub summary: Summary,
}

/// A backend's curve, points in increasing Services.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub backend: String,
    pub points: Vec<Point>,
}

/// Backends in the order the run first named them (the order colours are given in).
pub fn backends_in_order(records: &[Record]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut see = |name: &str| {
        if !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    };
    for record in records {
        match record {
            Record::Environment(env) => env.scenario.backends.iter().for_each(|b| see(b)),
            Record::Backend(b) => see(&b.backend),
            Record::Measurement(m) => see(&m.backend),
            Record::ObjectCheck(c) => see(&c.backend),
            Record::Cumulative(c) => see(&c.backend),
            Record::Probe(p) => see(&p.backend),
            Record::ConnectLatency(l) => see(&l.backend),
            Record::Disruption(d) => see(&d.backend),
            Record::FirstPacket(f) => see(&f.backend),
            Record::KernelMemory(k) => see(&k.backend),
            Record::LockWait(l) => see(&l.backend),
            Record::RunEnd(_) => {}
        }
    }
    names
}

/// One series per backend (in run order, empty ones kept so colours stay stable), each point
/// the summary of the samples `pick` takes from a record: (backend, Services, samples).
fn series_of<'a>(
    records: &'a [Record],
    pick: impl Fn(&'a Record) -> Option<(&'a str, usize, Vec<f64>)>,
) -> Vec<Series> {
    let mut out: Vec<Series> = backends_in_order(records)
        .into_iter()
        .map(|backend| Series {
            backend,
            points: Vec::new(),
        })
        .collect();
    for (backend, services, samples) in records.iter().filter_map(pick) {
        let (Some(summary), Some(series)) = (
            summarize(&samples),
            out.iter_mut().find(|s| s.backend == backend),
        ) else {
            continue;
        };
        series.points.push(Point { services, summary });
    }
    for series in &mut out {
        series.points.sort_by_key(|p| p.services);
    }
    out
}

/// Commit-time summaries of one operation per backend, divided as `per` says. Only successful
/// measurements count; a backend with none gets an empty series (so it keeps its colour).
pub fn op_series(records: &[Record], op: Op, per: Per) -> Vec<Series> {
    series_of(records, |r| match r {
        Record::Measurement(m) if m.op == op && m.outcome == Outcome::Ok => {
            Some((m.backend.as_str(), m.services, divided(m, per)))
        }
        _ => None,
    })
}

fn divided(m: &Measurement, per: Per) -> Vec<f64> {
    m.samples
        .iter()
        .filter_map(|s| {
            let by = match per {
                Per::Call => 1,
                Per::KernelCall => u64::from(s.kernel_calls),
                Per::ObjectWritten => s.objects_written,
            };
            (by > 0).then(|| s.commit_ns as f64 / by as f64)
        })
        .collect()
}

/// A backend's kernel object counts against Services, and which kinds were counted.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectSeries {
    pub backend: String,
    pub points: Vec<(usize, u64)>,
    pub kinds: String,
}

/// The kernel's own object count after the initial sync of each scale point, per backend: the
/// `rules` kind where the backend has one (the document counts rules), else the sum of its kinds.
pub fn object_series(records: &[Record]) -> Vec<ObjectSeries> {
    let mut out: Vec<ObjectSeries> = backends_in_order(records)
        .into_iter()
        .map(|backend| ObjectSeries {
            backend,
            points: Vec::new(),
            kinds: String::new(),
        })
        .collect();
    for record in records {
        let Record::ObjectCheck(c) = record else {
            continue;
        };
        let Some(entry) = out.iter_mut().find(|e| e.backend == c.backend) else {
            continue;
        };
        if entry.points.iter().any(|p| p.0 == c.services) {
            continue; // the first check of a point is the one right after its sync
        }
        let nft_objects = c
            .backend
            .starts_with("nftables")
            .then(|| nftables_objects(&c.kernel));
        let (count, kinds) = match (nft_objects.flatten(), c.kernel.get("rules")) {
            (Some(counted), _) => (counted, "rules+set/map elements".to_string()),
            (None, Some(rules)) => (rules, "rules".to_string()),
            (None, None) => (
                c.kernel.0.values().sum(),
                c.kernel.0.keys().cloned().collect::<Vec<_>>().join("+"),
            ),
        };
        entry.points.push((c.services, count));
        entry.kinds = kinds;
    }
    for entry in &mut out {
        entry.points.sort_by_key(|p| p.0);
    }
    out
}

/// The nftables family's objects as the document would count them: rules plus set and map
/// elements (its dispatch is one verdict-map lookup, so elements stand where iptables has
/// KUBE-SERVICES rules); `None` when the backend reports neither.
fn nftables_objects(kernel: &svclab_backend::ObjectCount) -> Option<u64> {
    let counted: Vec<u64> = kernel
        .0
        .iter()
        .filter(|(kind, _)| kind.contains("rule") || kind.contains("element"))
        .map(|(_, n)| *n)
        .collect();
    (!counted.is_empty()).then(|| counted.iter().sum())
}

/// Connect + first byte per backend against Services, through VIPs (`via = "vip"`) or straight
/// to endpoints (`"endpoint"`, the floor).
pub fn latency_series(records: &[Record], via: &str) -> Vec<Series> {
    series_of(records, |r| match r {
        Record::ConnectLatency(l) if l.via == via => Some((
            l.backend.as_str(),
            l.services,
            l.samples_ns.iter().map(|&n| n as f64).collect(),
        )),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{ObjectCheck, Sample};
    use svclab_backend::ObjectCount;

    fn add(backend: &str, n: usize, ns: u64, calls: u32, objects: u64) -> Record {
        let s = Sample {
            commit_ns: ns,
            prepare_ns: 0,
            total_ns: ns,
            kernel_calls: calls,
            objects_written: objects,
            write: None,
        };
        Record::Measurement(Measurement {
            backend: backend.into(),
            services: n,
            endpoints_per_service: 2,
            op: Op::Add,
            warmup: 0,
            samples: vec![s, s],
            outcome: Outcome::Ok,
        })
    }

    #[test]
    fn series_are_sorted_and_divided() {
        let records = vec![add("a", 100, 800, 8, 8), add("a", 1, 80, 8, 4)];
        let calls = op_series(&records, Op::Add, Per::Call);
        assert_eq!(calls[0].points.len(), 2);
        assert_eq!(calls[0].points[0].services, 1);
        assert_eq!(calls[0].points[1].summary.median, 800.0);
        let per_call = op_series(&records, Op::Add, Per::KernelCall);
        assert_eq!(per_call[0].points[1].summary.median, 100.0);
        let per_object = op_series(&records, Op::Add, Per::ObjectWritten);
        assert_eq!(per_object[0].points[0].summary.median, 20.0);
    }

    #[test]
    fn objects_prefer_rules_and_take_the_first_check() {
        let check = |n: usize, kernel: ObjectCount| {
            Record::ObjectCheck(ObjectCheck {
                backend: "x".into(),
                services: n,
                after: "initial sync".into(),
                expected: kernel.clone(),
                kernel,
                matches: true,
            })
        };
        let rules = ObjectCount::new().with("rules", 16).with("chains", 9);
        let ipvs = ObjectCount::new().with("services", 1).with("dests", 2);
        let records = vec![check(1, rules), check(1, ipvs.clone()), check(2, ipvs)];
        let s = object_series(&records);
        assert_eq!(s[0].points, vec![(1, 16), (2, 3)]);
        assert_eq!(s[0].kinds, "dests+services");
        let nft = ObjectCount::new()
            .with("chains", 10)
            .with("rules", 20)
            .with("map elements", 4)
            .with("set elements", 2);
        let records = vec![Record::ObjectCheck(ObjectCheck {
            backend: "nftables-1.36".into(),
            services: 2,
            after: "initial sync".into(),
            expected: nft.clone(),
            kernel: nft,
            matches: true,
        })];
        let s = object_series(&records);
        assert_eq!(
            (s[0].points[0], s[0].kinds.as_str()),
            ((2, 26), "rules+set/map elements")
        );
    }
}
