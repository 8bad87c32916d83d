//! Records → the report model: everything every renderer shows, computed once and purely, so the
//! HTML, Markdown and CSV renderers only format.

use super::environment::{self, EnvBlock};
use super::fit::{power_law, tail_power_law, PowerFit};
use super::plots::{self, PlotData};
use super::seed_table::{self, SeedRow};
use super::verdict::Verdict;
use crate::analysis::first_packet::{first_packet, FirstPacketData};
use crate::analysis::{
    latency_series, object_series, op_series, point_rows, Per, PointRow, Series,
};
use crate::results::{
    Cumulative, Disruption, Environment, FirstPacketMeasure, KernelMemoryUse, LockWait, Op, Record,
};
use svclab_backend::{Availability, WriteKind};

/// Which of the document's claims a backend answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Iptables,
    Ipvs,
    Ebpf,
    /// kube-proxy's nftables mode (`nftables`, `nftables-1.36`, any name starting so).
    Nftables,
    Other,
}

impl Family {
    pub fn of(backend: &str) -> Family {
        if backend.starts_with("iptables") {
            Family::Iptables
        } else if backend.starts_with("ipvs") {
            Family::Ipvs
        } else if backend.starts_with("ebpf") {
            Family::Ebpf
        } else if backend.starts_with("nftables") {
            Family::Nftables
        } else {
            Family::Other
        }
    }
}

/// One backend's curves, fits and one-at-a-time install.
#[derive(Debug, Clone, PartialEq)]
pub struct BackendData {
    pub name: String,
    pub family: Family,
    pub availability: Option<Availability>,
    pub add: Series,
    pub add_per_object: Series,
    pub add_per_call: Series,
    pub full_sync: Series,
    pub update: Series,
    pub objects: Vec<(usize, u64)>,
    pub object_kinds: String,
    pub cumulative: Option<Cumulative>,
    /// Connect + first byte through VIPs, and straight to endpoints (the floor).
    pub vip_latency: Series,
    pub direct_latency: Series,
    /// Streams of connections during resyncs and updates, one per scale point.
    pub disruptions: Vec<Disruption>,
    /// Fits over the top decade of N (see [`tail_power_law`]); `add_fit_all` over every point.
    pub add_fit: Option<PowerFit>,
    pub add_fit_all: Option<PowerFit>,
    pub add_per_object_fit: Option<PowerFit>,
    pub full_sync_fit: Option<PowerFit>,
    pub update_fit: Option<PowerFit>,
    /// First-packet cost per lookup position: `connect(2)` alone, and connect + first byte.
    pub first_packet: FirstPacketData,
    pub first_byte: FirstPacketData,
    /// Kernel memory per scale point, and the lock waits measured.
    pub memory: Vec<KernelMemoryUse>,
    pub lock_waits: Vec<LockWait>,
    /// How its full syncs chose what to write (the first sample that says), if any did.
    pub full_sync_write: Option<WriteKind>,
}

impl BackendData {
    pub fn measured_anything(&self) -> bool {
        !self.add.points.is_empty() || !self.full_sync.points.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReportModel {
    pub run_id: String,
    pub scenario: String,
    /// `completed`, `interrupted`, `failed`, or `incomplete` (no end record).
    pub status: String,
    pub environment: EnvBlock,
    /// What is missing from this run, one sentence each.
    pub notices: Vec<String>,
    pub backends: Vec<BackendData>,
    pub rows: Vec<PointRow>,
    pub seed: Vec<SeedRow>,
    pub verdicts: Vec<Verdict>,
    pub plots: Vec<PlotData>,
    /// The first-packet, kernel-memory and lock-wait tables, rendered alike everywhere.
    pub claim_tables: Vec<super::claims_tables::TextTable>,
    /// Where each backend was measured, and the decision table built with it.
    pub locations: super::location::Locations,
    pub decision: super::simple_table::SimpleTable,
}

/// How much of the top of the range the exponents are fitted over.
pub const TAIL_DECADES: f64 = 1.0;

fn medians(series: &Series) -> Vec<(f64, f64)> {
    series
        .points
        .iter()
        .map(|p| (p.services as f64, p.summary.median))
        .collect()
}

/// Fit over the measured medians of the top decade of a series.
pub fn fit_of(series: &Series) -> Option<PowerFit> {
    tail_power_law(&medians(series), TAIL_DECADES)
}

pub fn build(records: &[Record]) -> ReportModel {
    let pick = |series: &[Series], name: &str| {
        series
            .iter()
            .find(|s| s.backend == name)
            .cloned()
            .unwrap_or_else(|| Series {
                backend: name.to_string(),
                points: Vec::new(),
            })
    };
    // Every series once, for all backends; each backend then picks its own.
    let adds = op_series(records, Op::Add, Per::Call);
    let adds_per_object = op_series(records, Op::Add, Per::ObjectWritten);
    let adds_per_call = op_series(records, Op::Add, Per::KernelCall);
    let full_syncs = op_series(records, Op::FullSync, Per::Call);
    let updates = op_series(records, Op::UpdateEndpoints, Per::Call);
    let vip_latencies = latency_series(records, "vip");
    let direct_latencies = latency_series(records, "endpoint");
    let objects = object_series(records);
    let backends: Vec<BackendData> = crate::analysis::backends_in_order(records)
        .into_iter()
        .map(|name| {
            let add = pick(&adds, &name);
            let add_per_object = pick(&adds_per_object, &name);
            let full_sync = pick(&full_syncs, &name);
            let update = pick(&updates, &name);
            let (object_points, object_kinds) = objects
                .iter()
                .find(|o| o.backend == name)
                .map(|o| (o.points.clone(), o.kinds.clone()))
                .unwrap_or_default();
            BackendData {
                family: Family::of(&name),
                availability: records.iter().find_map(|r| match r {
                    Record::Backend(b) if b.backend == name => Some(b.availability.clone()),
                    _ => None,
                }),
                add_fit: fit_of(&add),
                add_fit_all: power_law(&medians(&add)),
                add_per_object_fit: fit_of(&add_per_object),
                full_sync_fit: fit_of(&full_sync),
                update_fit: fit_of(&update),
                add_per_call: pick(&adds_per_call, &name),
                cumulative: records.iter().find_map(|r| match r {
                    Record::Cumulative(c) if c.backend == name => Some(c.clone()),
                    _ => None,
                }),
                vip_latency: pick(&vip_latencies, &name),
                direct_latency: pick(&direct_latencies, &name),
                disruptions: records
                    .iter()
                    .filter_map(|r| match r {
                        Record::Disruption(d) if d.backend == name => Some(d.clone()),
                        _ => None,
                    })
                    .collect(),
                objects: object_points,
                object_kinds,
                first_packet: first_packet(records, &name, FirstPacketMeasure::Connect),
                first_byte: first_packet(records, &name, FirstPacketMeasure::ConnectFirstByte),
                memory: records
                    .iter()
                    .filter_map(|r| match r {
                        Record::KernelMemory(k) if k.backend == name => Some(k.clone()),
                        _ => None,
                    })
                    .collect(),
                lock_waits: records
                    .iter()
                    .filter_map(|r| match r {
                        Record::LockWait(l) if l.backend == name => Some(l.clone()),
                        _ => None,
                    })
                    .collect(),
                full_sync_write: records.iter().find_map(|r| match r {
                    Record::Measurement(m) if m.backend == name && m.op == Op::FullSync => {
                        m.samples.iter().find_map(|s| s.write)
                    }
                    _ => None,
                }),
                name,
                add,
                add_per_object,
                full_sync,
                update,
            }
        })
        .collect();
    let locations = super::location::build(records);
    let env = records.iter().find_map(|r| match r {
        Record::Environment(e) => Some(e.as_ref()),
        _ => None,
    });
    let end = records.iter().find_map(|r| match r {
        Record::RunEnd(e) => Some(e),
        _ => None,
    });
    ReportModel {
        run_id: env.map_or_else(|| "unknown run".into(), |e| e.run_id.clone()),
        scenario: env.map_or_else(String::new, |e| {
            format!("{} ({})", e.scenario.name, e.scenario.description)
        }),
        status: end.map_or_else(|| "incomplete".into(), |e| e.status.clone()),
        environment: environment::with_warnings(environment::block(env), locations.notices()),
        notices: super::missing::notices(records, &backends),
        rows: point_rows(records),
        seed: seed_table::build(&backends),
        verdicts: super::location::judge_each_where(
            &backends,
            &locations,
            env.is_some_and(Environment::emulated),
        ),
        plots: plots::data(&backends),
        claim_tables: super::claims_tables::build(&backends),
        decision: super::decision::table(&backends, &locations),
        locations,
        backends,
    }
}
