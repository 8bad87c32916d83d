//! The validated scenario: every value checked, defaults filled in.

use super::error::{line_column, ScenarioError};
use super::raw::{RawCumulative, RawDatapath, RawDisruption, RawScenario};
use super::MAX_SERVICES;
use serde::{Deserialize, Serialize};
use std::ops::Range;
use std::time::Duration;
use toml::Spanned;

/// What `svclab run` will do, ready to execute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub name: String,
    pub description: String,
    pub seed: u64,
    pub backends: Vec<String>,
    /// Ascending, distinct Service counts.
    pub scale: Vec<usize>,
    pub endpoints_per_service: usize,
    /// Timed repetitions of each incremental operation, after `warmup` untimed ones.
    pub repetitions: usize,
    pub warmup: usize,
    /// Time one operation at one scale point may take: its repetitions stop when it is spent
    /// (never below `min_samples` timed samples; see `runner::budget`). Results written before
    /// this key existed read as the default.
    #[serde(default = "default_op_budget")]
    pub op_budget: Duration,
    /// The fewest timed samples an operation stops at for lack of time (the floor under
    /// `op_budget`): 3 unless the scenario says otherwise. 1 lets a point whose full sync takes
    /// many minutes (20,000 Services under emulation) time it once and still repeat its cheap
    /// operations. Results written before this key existed read as the default.
    #[serde(default = "default_min_samples")]
    pub min_samples: usize,
    pub step_timeout: Duration,
    pub cumulative: CumulativePlan,
    // Defaults let results written before these existed still be read.
    #[serde(default)]
    pub datapath: DatapathPlan,
    #[serde(default)]
    pub disruption: DisruptionPlan,
}

/// Proving the rules forward, and timing connections through them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DatapathPlan {
    pub enabled: bool,
    /// Services probed after each sync (all of them when fewer).
    pub sample: usize,
    /// Connections timed through VIPs (and as many straight to endpoints) per scale point.
    pub latency_samples: usize,
    /// Connect + first byte timeout of one probe connection.
    pub timeout: Duration,
    /// Connections timed per lookup position by the first-packet measurement (0: not measured).
    /// Absent in the plans of runs made before it existed.
    #[serde(default)]
    pub first_packet: usize,
}

/// New and long-lived connections to a stable Service while the backend resyncs and updates.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DisruptionPlan {
    pub enabled: bool,
    /// Rounds of (full sync + endpoint update) during the stream, at least.
    pub rounds: usize,
    /// Rounds go on until the stream has run at least this long (fast data planes finish a
    /// round in microseconds, too quick for a stream of connections to overlap it).
    #[serde(default)]
    pub duration: Duration,
    /// Pause between new connections.
    pub interval: Duration,
    pub long_lived: usize,
}

/// The one-at-a-time install from empty: the source document's way of building a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CumulativePlan {
    pub enabled: bool,
    /// Stop adding once this much time went into adds, and record how far it got.
    pub budget: Duration,
    pub max_services: usize,
}

/// 30 s an operation: a fast one gets every repetition, a slow one (seconds a call) its floor.
pub const DEFAULT_OP_BUDGET: Duration = Duration::from_secs(30);

fn default_op_budget() -> Duration {
    DEFAULT_OP_BUDGET
}

/// The sample floor a scenario gets when it does not set `min_samples`.
pub const DEFAULT_MIN_SAMPLES: usize = 3;

fn default_min_samples() -> usize {
    DEFAULT_MIN_SAMPLES
}

impl Plan {
    pub fn max_scale(&self) -> usize {
        self.scale.iter().copied().max().unwrap_or(0)
    }
}

struct Checker<'a> {
    text: &'a str,
    file: &'a str,
}

impl Checker<'_> {
    fn error(&self, span: Range<usize>, message: String, hint: &str) -> ScenarioError {
        let (line, column) = line_column(self.text, span.start);
        ScenarioError::Invalid {
            file: self.file.to_string(),
            line,
            column,
            message,
            hint: Some(hint.to_string()),
        }
    }

    fn int(
        &self,
        value: &Option<Spanned<i64>>,
        key: &str,
        range: Range<i64>,
        default: i64,
    ) -> Result<i64, ScenarioError> {
        let Some(v) = value else {
            return Ok(default);
        };
        if !range.contains(v.get_ref()) {
            return Err(self.error(
                v.span(),
                format!("{key} = {} is out of range", v.get_ref()),
                &format!("{key} must be from {} to {}", range.start, range.end - 1),
            ));
        }
        Ok(*v.get_ref())
    }

    fn duration(
        &self,
        value: &Option<Spanned<String>>,
        key: &str,
        default: Duration,
    ) -> Result<Duration, ScenarioError> {
        let Some(v) = value else {
            return Ok(default);
        };
        let hint = "write a duration such as \"90s\", \"10m\" or \"1h 30m\"";
        let parsed = humantime::parse_duration(v.get_ref())
            .map_err(|e| self.error(v.span(), format!("{key} = {:?}: {e}", v.get_ref()), hint))?;
        if parsed.is_zero() || parsed > Duration::from_secs(24 * 3600) {
            return Err(self.error(
                v.span(),
                format!("{key} = {:?} is out of range", v.get_ref()),
                "a duration above zero and at most 24h",
            ));
        }
        Ok(parsed)
    }
}

pub(super) fn validate(
    raw: RawScenario,
    text: &str,
    file: &str,
    known: &[&str],
) -> Result<Plan, ScenarioError> {
    let c = Checker { text, file };
    let scale = validate_scale(&c, raw.scale.as_ref())?;
    let endpoints = c.int(
        &raw.endpoints_per_service,
        "endpoints_per_service",
        1..101,
        2,
    )? as usize;
    let backends = validate_backends(&c, raw.backends.as_ref(), known)?;
    let max_scale = scale.iter().copied().max().unwrap_or(1);
    let cumulative = validate_cumulative(&c, raw.cumulative.as_ref(), max_scale)?;
    Ok(Plan {
        name: raw
            .name
            .map(Spanned::into_inner)
            .unwrap_or_else(|| "unnamed".into()),
        description: raw.description.map(Spanned::into_inner).unwrap_or_default(),
        seed: c.int(&raw.seed, "seed", 0..i64::MAX, 1)? as u64,
        backends,
        scale,
        endpoints_per_service: endpoints,
        repetitions: c.int(&raw.repetitions, "repetitions", 1..10_001, 5)? as usize,
        warmup: c.int(&raw.warmup, "warmup", 0..101, 1)? as usize,
        op_budget: c.duration(&raw.op_budget, "op_budget", DEFAULT_OP_BUDGET)?,
        min_samples: c.int(
            &raw.min_samples,
            "min_samples",
            1..101,
            DEFAULT_MIN_SAMPLES as i64,
        )? as usize,
        step_timeout: c.duration(&raw.step_timeout, "step_timeout", Duration::from_secs(600))?,
        cumulative,
        datapath: validate_datapath(&c, raw.datapath.as_ref())?,
        disruption: validate_disruption(&c, raw.disruption.as_ref())?,
    })
}

fn validate_datapath(
    c: &Checker<'_>,
    raw: Option<&Spanned<RawDatapath>>,
) -> Result<DatapathPlan, ScenarioError> {
    let none = RawDatapath::default();
    let raw = raw.map_or(&none, Spanned::get_ref);
    Ok(DatapathPlan {
        enabled: raw.enabled.as_ref().is_none_or(|e| *e.get_ref()),
        sample: c.int(&raw.sample, "datapath.sample", 1..10_001, 64)? as usize,
        latency_samples: c.int(
            &raw.latency_samples,
            "datapath.latency_samples",
            1..100_001,
            100,
        )? as usize,
        timeout: c.duration(&raw.timeout, "datapath.timeout", Duration::from_secs(1))?,
        first_packet: c.int(
            &raw.first_packet,
            "datapath.first_packet",
            0..1_000_001,
            2000,
        )? as usize,
    })
}

fn validate_disruption(
    c: &Checker<'_>,
    raw: Option<&Spanned<RawDisruption>>,
) -> Result<DisruptionPlan, ScenarioError> {
    let present = raw.is_some();
    let none = RawDisruption::default();
    let raw = raw.map_or(&none, Spanned::get_ref);
    Ok(DisruptionPlan {
        // Like [cumulative]: writing the table turns it on.
        enabled: present && raw.enabled.as_ref().is_none_or(|e| *e.get_ref()),
        rounds: c.int(&raw.rounds, "disruption.rounds", 1..1001, 3)? as usize,
        duration: c.duration(&raw.duration, "disruption.duration", Duration::from_secs(2))?,
        interval: c.duration(
            &raw.interval,
            "disruption.interval",
            Duration::from_millis(5),
        )?,
        long_lived: c.int(&raw.long_lived, "disruption.long_lived", 0..1001, 8)? as usize,
    })
}

fn validate_scale(
    c: &Checker<'_>,
    scale: Option<&Spanned<Vec<Spanned<i64>>>>,
) -> Result<Vec<usize>, ScenarioError> {
    let hint = format!(
        "scale is a list of Service counts from 1 to {MAX_SERVICES}, e.g. [1, 5000, 20000]"
    );
    let Some(list) = scale else {
        return Err(c.error(0..0, "missing key: scale".into(), &hint));
    };
    if list.get_ref().is_empty() {
        return Err(c.error(list.span(), "scale is empty".into(), &hint));
    }
    let mut points: Vec<usize> = Vec::new();
    for point in list.get_ref() {
        let n = *point.get_ref();
        if !(1..=MAX_SERVICES as i64).contains(&n) {
            return Err(c.error(
                point.span(),
                format!("scale point {n} is out of range"),
                &hint,
            ));
        }
        if points.contains(&(n as usize)) {
            return Err(c.error(
                point.span(),
                format!("scale point {n} is listed twice"),
                &hint,
            ));
        }
        points.push(n as usize);
    }
    points.sort_unstable();
    Ok(points)
}

fn validate_backends(
    c: &Checker<'_>,
    backends: Option<&Spanned<Vec<Spanned<String>>>>,
    known: &[&str],
) -> Result<Vec<String>, ScenarioError> {
    let hint = format!("known backends: {}", known.join(", "));
    let Some(list) = backends else {
        return Ok(known.iter().map(|s| s.to_string()).collect());
    };
    if list.get_ref().is_empty() {
        return Err(c.error(list.span(), "backends is empty".into(), &hint));
    }
    let mut names: Vec<String> = Vec::new();
    for name in list.get_ref() {
        if !known.contains(&name.get_ref().as_str()) {
            return Err(c.error(
                name.span(),
                format!("unknown backend {:?}", name.get_ref()),
                &hint,
            ));
        }
        if names.contains(name.get_ref()) {
            return Err(c.error(
                name.span(),
                format!("backend {:?} is listed twice", name.get_ref()),
                &hint,
            ));
        }
        names.push(name.get_ref().clone());
    }
    Ok(names)
}

fn validate_cumulative(
    c: &Checker<'_>,
    raw: Option<&Spanned<RawCumulative>>,
    max_scale: usize,
) -> Result<CumulativePlan, ScenarioError> {
    let Some(raw) = raw.map(Spanned::get_ref) else {
        return Ok(CumulativePlan {
            enabled: false,
            budget: Duration::from_secs(60),
            max_services: max_scale,
        });
    };
    Ok(CumulativePlan {
        enabled: raw.enabled.as_ref().is_none_or(|e| *e.get_ref()),
        budget: c.duration(&raw.budget, "cumulative.budget", Duration::from_secs(60))?,
        max_services: c.int(
            &raw.max_services,
            "cumulative.max_services",
            1..MAX_SERVICES as i64 + 1,
            max_scale as i64,
        )? as usize,
    })
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;

    const KNOWN: [&str; 2] = ["iptables-legacy", "iptables-nft"];

    fn err(text: &str) -> String {
        parse(text, "t.toml", &KNOWN)
            .expect_err("invalid")
            .to_string()
    }

    #[test]
    fn defaults_fill_in() {
        let plan = parse("scale = [20000, 1, 5000]\n", "t.toml", &KNOWN).expect("valid");
        assert_eq!(plan.scale, [1, 5000, 20000]);
        assert_eq!(plan.endpoints_per_service, 2);
        assert_eq!((plan.repetitions, plan.warmup), (5, 1));
        assert_eq!(plan.op_budget, DEFAULT_OP_BUDGET);
        assert_eq!(plan.backends, KNOWN);
        assert!(!plan.cumulative.enabled);
        assert_eq!(plan.max_scale(), 20000);
    }

    #[test]
    fn full_file_parses() {
        let text = "name = \"q\"\nseed = 9\nbackends = [\"iptables-nft\"]\nscale = [1, 10]\n\
                    endpoints_per_service = 3\nrepetitions = 7\nwarmup = 0\nstep_timeout = \"2m\"\n\
                    [cumulative]\nbudget = \"5s\"\nmax_services = 50\n";
        let plan = parse(text, "t.toml", &KNOWN).expect("valid");
        assert_eq!(plan.step_timeout, Duration::from_secs(120));
        let budget = parse("scale = [1]\nop_budget = \"45s\"\n", "t.toml", &KNOWN).expect("valid");
        assert_eq!(budget.op_budget, Duration::from_secs(45));
        assert!(err("scale = [1]\nop_budget = \"0s\"\n").contains("op_budget"));
        assert!(plan.cumulative.enabled);
        assert_eq!(plan.cumulative.max_services, 50);
        assert_eq!(plan.seed, 9);
    }

    #[test]
    fn unknown_key_names_line_and_lists_keys() {
        let e = err("scale = [1]\nrepetitons = 5\n");
        assert!(
            e.starts_with("t.toml:2:1: unknown field `repetitons`"),
            "{e}"
        );
        assert!(e.contains("hint: valid keys"), "{e}");
    }

    #[test]
    fn out_of_range_values_are_located() {
        assert!(err("scale = [1, 0]\n").starts_with("t.toml:1:13: scale point 0 is out of range"));
        assert!(err("scale = [1]\nendpoints_per_service = 0\n").starts_with("t.toml:2:25:"));
        assert!(err("scale = []\n").contains("scale is empty"));
        assert!(err("seed = 1\n").contains("missing key: scale"));
        assert!(err("scale = [1]\nstep_timeout = \"soon\"\n").contains("t.toml:2:16"));
        assert!(err("scale = [1]\nbackends = [\"ipvs\"]\n").contains("unknown backend \"ipvs\""));
        assert!(err("scale = [5, 5]\n").contains("listed twice"));
    }

    #[test]
    fn wrong_type_is_located() {
        let e = err("scale = [1]\nrepetitions = \"five\"\n");
        assert!(e.starts_with("t.toml:2:"), "{e}");
    }
}
