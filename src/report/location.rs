//! Where each backend was measured. One run may hold several locations (this host's kernel, then
//! the lab VM's for what the host cannot run): every backend gets a badge, absolute times are
//! only compared within one location, verdicts on absolute time are withheld per backend when
//! its location emulates the CPU, and the backends the lab VM ran together get a ratio table on
//! their one kernel.

use super::model::BackendData;
use super::simple_table::{Cell, SimpleTable};
use super::verdict::{self, Verdict};
use crate::analysis::{format_ns, Series};
use crate::results::located::backend_environments;
use crate::results::{Environment, Record};

/// One backend's place of measurement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendLocation {
    pub backend: String,
    /// `host` or `vm` (the environment record's `location`).
    pub location: String,
    pub kernel: String,
    /// `kvm`, `tcg` or `none`.
    pub acceleration: String,
    /// The host is itself a virtual machine (hypervisor CPU flag).
    pub virtualised_host: bool,
}

impl BackendLocation {
    fn from_env(backend: &str, env: &Environment) -> Self {
        Self {
            backend: backend.to_string(),
            location: env.location.clone(),
            kernel: env.kernel_release.clone(),
            acceleration: env.acceleration.clone(),
            virtualised_host: env.location == "host" && env.hypervisor.is_some(),
        }
    }

    pub fn emulated(&self) -> bool {
        self.acceleration == "tcg"
    }

    /// The badge: `host kernel 6.18.44`, `lab VM kernel 6.1.0-56-cloud-amd64, TCG (emulated)`.
    pub fn badge(&self) -> String {
        match (self.location.as_str(), self.acceleration.as_str()) {
            ("vm", "tcg") => format!("lab VM kernel {}, TCG (emulated)", self.kernel),
            ("vm", "kvm") => format!("lab VM kernel {}, KVM", self.kernel),
            ("vm", other) => format!("lab VM kernel {}, {other}", self.kernel),
            (_, _) if self.virtualised_host => {
                format!("host kernel {} (a virtual machine)", self.kernel)
            }
            (_, _) => format!("host kernel {}", self.kernel),
        }
    }
}

/// Every backend's location, in run order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Locations {
    pub backends: Vec<BackendLocation>,
}

impl Locations {
    pub fn of(&self, backend: &str) -> Option<&BackendLocation> {
        self.backends.iter().find(|l| l.backend == backend)
    }

    /// The distinct badges, in the order the run reached them.
    pub fn badges(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for l in &self.backends {
            let badge = l.badge();
            if !out.contains(&badge) {
                out.push(badge);
            }
        }
        out
    }

    /// More than one place: absolute times of different backends may not be comparable.
    pub fn mixed(&self) -> bool {
        self.badges().len() > 1
    }

    /// A notice for the top of the report when the run measured in several places.
    pub fn notices(&self) -> Vec<String> {
        if !self.mixed() {
            return Vec::new();
        }
        vec![format!(
            "This run measured in {} places ({}). Absolute times compare only between data planes \
             measured in the same place; across places read ratios and scaling exponents. Each \
             data plane's place is in the table \"The data planes: where each was measured, what it is\".",
            self.badges().len(),
            self.badges().join("; ")
        )]
    }

    /// Backend | where | what: the badge of each and the registry's line on what it is (which
    /// system it stands for and where it departs from it), so a reader meets the deviations
    /// beside the numbers, not only in `svclab list`.
    pub fn table(&self, backends: &[BackendData]) -> SimpleTable {
        let rows = backends
            .iter()
            .map(|b| {
                vec![
                    Cell::plain(&b.name),
                    Cell::plain(
                        self.of(&b.name)
                            .map_or_else(|| "not measured".to_string(), BackendLocation::badge),
                    ),
                    Cell::plain(
                        crate::registry::describe(&b.name)
                            .unwrap_or("(not a backend this svclab knows)"),
                    ),
                ]
            })
            .collect();
        SimpleTable {
            id: "locations",
            title: "The data planes: where each was measured, what it is".into(),
            intro: if self.mixed() {
                "Several places in one run: times are compared only within a place.".into()
            } else {
                String::new()
            },
            headers: vec![
                "data plane".into(),
                "measured in".into(),
                "what it is (and where it differs from the system it stands for)".into(),
            ],
            rows,
        }
    }

    /// For each lab VM location that ran two or more backends: their medians side by side as
    /// ratios to the fastest, on that one kernel (the way to read emulated times).
    pub fn ratio_tables(&self, backends: &[BackendData]) -> Vec<SimpleTable> {
        let mut out = Vec::new();
        for badge in self.badges() {
            let group: Vec<&BackendData> = backends
                .iter()
                .filter(|b| {
                    self.of(&b.name)
                        .is_some_and(|l| l.location == "vm" && l.badge() == badge)
                })
                .filter(|b| b.measured_anything())
                .collect();
            if group.len() < 2 {
                continue;
            }
            let ops: [(&str, SeriesOf); 3] = [
                ("add-1", |b| &b.add),
                ("full sync", |b| &b.full_sync),
                ("update-endpoints", |b| &b.update),
            ];
            let mut headers = vec!["data plane".to_string()];
            let mut columns: Vec<Vec<Cell>> = Vec::new();
            for (label, series) in ops {
                let Some(n) = largest_common_n(group.iter().map(|b| series(b))) else {
                    continue;
                };
                headers.push(format!("{label} at {n} Services, × the fastest"));
                let medians: Vec<Option<(f64, usize)>> = group
                    .iter()
                    .map(|b| {
                        series(b)
                            .points
                            .iter()
                            .find(|p| p.services == n)
                            .map(|p| (p.summary.median, p.summary.count))
                    })
                    .collect();
                let fastest = medians
                    .iter()
                    .flatten()
                    .map(|m| m.0)
                    .fold(f64::INFINITY, f64::min);
                columns.push(
                    medians
                        .iter()
                        .map(|m| match m {
                            Some((median, count)) if fastest > 0.0 => Cell {
                                text: format!(
                                    "{}× ({}, n={count})",
                                    ratio_text(median / fastest),
                                    format_ns(*median)
                                ),
                                best: *median == fastest,
                            },
                            _ => Cell::plain("—"),
                        })
                        .collect(),
                );
            }
            if columns.is_empty() {
                continue;
            }
            let rows = group
                .iter()
                .enumerate()
                .map(|(i, b)| {
                    let mut row = vec![Cell::plain(&b.name)];
                    row.extend(columns.iter().map(|c| c[i].clone()));
                    row
                })
                .collect();
            out.push(SimpleTable {
                id: "same-kernel-ratios",
                title: format!("Same kernel, side by side: {badge}"),
                intro: "These data planes ran on one kernel in one lab VM boot, so their ratios \
                        hold even where emulation inflates every absolute time. Each value is \
                        the median commit time over the fastest of them, at the largest number \
                        of Services all of them measured (n: timed samples)."
                    .into(),
                headers,
                rows,
            });
        }
        out
    }
}

/// For `svclab compare A B`: each backend measured in a different place in B than in A, one
/// sentence each, since its ratios then mix the change under test with a change of machine.
pub fn moved(a: &Locations, b: &Locations) -> Vec<String> {
    b.backends
        .iter()
        .filter_map(|lb| {
            let la = a.of(&lb.backend)?;
            (la.badge() != lb.badge()).then(|| {
                format!(
                    "{}: measured in {} in A but in {} in B; its B/A ratios compare places, not \
                     only runs",
                    lb.backend,
                    la.badge(),
                    lb.badge()
                )
            })
        })
        .collect()
}

/// Picks one of a backend's series.
type SeriesOf = fn(&BackendData) -> &Series;

/// Three significant digits: `1.00`, `61.3`, `4244`.
fn ratio_text(ratio: f64) -> String {
    if ratio >= 100.0 {
        format!("{ratio:.0}")
    } else if ratio >= 10.0 {
        format!("{ratio:.1}")
    } else {
        format!("{ratio:.2}")
    }
}

/// The largest N every series has a point at.
fn largest_common_n<'a>(mut series: impl Iterator<Item = &'a Series>) -> Option<usize> {
    let first = series.next()?;
    let mut common: Vec<usize> = first.points.iter().map(|p| p.services).collect();
    for s in series {
        common.retain(|n| s.points.iter().any(|p| p.services == *n));
    }
    common.into_iter().max()
}

/// Each backend's location, from the environment in force at its records.
pub fn build(records: &[Record]) -> Locations {
    Locations {
        backends: backend_environments(records)
            .into_iter()
            .map(|(backend, env)| BackendLocation::from_env(&backend, env))
            .collect(),
    }
}

/// Verdicts told, backend by backend, whether that backend's own location emulated the CPU: a
/// run with a host part and a TCG lab VM part grades the host's absolute times and withholds the
/// VM's. Backends without a location take the run's first environment's (`run_emulated`).
pub fn judge_each_where(
    backends: &[BackendData],
    locations: &Locations,
    run_emulated: bool,
) -> Vec<Verdict> {
    let emulated_backend = |name: &str| {
        locations
            .of(name)
            .map_or(run_emulated, BackendLocation::emulated)
    };
    // `judge` gives the same verdicts in the same order either way; emulation only withholds the
    // grade of absolute-time claims. So take each verdict from the judging that fits its backend.
    let native = verdict::judge(backends, false);
    let emulated = verdict::judge(backends, true);
    native
        .into_iter()
        .zip(emulated)
        .map(|(n, e)| if emulated_backend(&n.backend) { e } else { n })
        .collect()
}

/// The decision table, the locations and the same-kernel ratio tables, as Markdown.
pub fn markdown_sections(o: &mut String, m: &super::ReportModel) {
    o.push_str(&m.decision.markdown());
    o.push_str(&m.locations.table(&m.backends).markdown());
    for t in m.locations.ratio_tables(&m.backends) {
        o.push_str(&t.markdown());
    }
}

/// The same sections as HTML.
pub fn html_sections(b: &mut String, m: &super::ReportModel) {
    b.push_str(&m.decision.html());
    b.push_str(&m.locations.table(&m.backends).html());
    for t in m.locations.ratio_tables(&m.backends) {
        b.push_str(&t.html());
    }
}
