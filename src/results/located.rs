//! Records with the environment they were measured in. A run may hold several locations: the
//! host part, then the lab VM part for the backends the host kernel cannot run, streamed into the
//! same file. Each location begins with its own `environment` record, and (schema 2) every other
//! record names its location; schema-1 files name none, and each of their records belongs to the
//! environment before it (they hold exactly one). That rule is the migration, and it is applied
//! here, on reading, so every reader of old files sees the same located records.

use super::{Environment, Record};

/// One record and the `location` of the environment it was measured in (`host`, `vm`).
#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    pub location: String,
    pub record: Record,
}

/// Where a record without an explicit location was measured: the location of the last
/// environment record before it, or `unknown` before any.
pub(crate) fn positional<'a>(current: Option<&'a str>, record: &'a Record) -> &'a str {
    match record {
        Record::Environment(env) => env.location.as_str(),
        _ => current.unwrap_or("unknown"),
    }
}

/// The run as one sequence, as reports read it: every record in file order, except the end
/// record of a part run inside another (the lab VM part's own `run_end`; the run's status is the
/// end record of the location that started the run, its first environment).
pub fn run_view(located: Vec<Located>) -> Vec<Record> {
    let first = located.iter().find_map(|l| match &l.record {
        Record::Environment(env) => Some(env.location.clone()),
        _ => None,
    });
    located
        .into_iter()
        .filter(|l| {
            !matches!(l.record, Record::RunEnd(_))
                || first.as_deref().is_none_or(|f| f == l.location)
        })
        .map(|l| l.record)
        .collect()
}

/// Every environment of a run, in the order its locations began.
pub fn environments(records: &[Record]) -> Vec<&Environment> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Environment(env) => Some(env.as_ref()),
            _ => None,
        })
        .collect()
}

/// The environment each backend was measured in: the environment in force at the backend's
/// first backend-scoped record. In every file svclab writes the parts are contiguous (the lab
/// VM part is appended after the host part, starting with its environment), so this is the
/// location each of those records names.
pub fn backend_environments(records: &[Record]) -> Vec<(String, &Environment)> {
    let mut out: Vec<(String, &Environment)> = Vec::new();
    let mut current: Option<&Environment> = None;
    for record in records {
        let backend = match record {
            Record::Environment(env) => {
                current = Some(env);
                continue;
            }
            Record::Backend(b) => &b.backend,
            Record::Measurement(m) => &m.backend,
            Record::ObjectCheck(c) => &c.backend,
            Record::Cumulative(c) => &c.backend,
            Record::Probe(p) => &p.backend,
            Record::ConnectLatency(l) => &l.backend,
            Record::Disruption(d) => &d.backend,
            Record::FirstPacket(f) => &f.backend,
            Record::KernelMemory(m) => &m.backend,
            Record::LockWait(l) => &l.backend,
            // The end record, and kinds added later that a newer file may hold.
            #[allow(unreachable_patterns)]
            _ => continue,
        };
        if let Some(env) = current {
            if !out.iter().any(|(b, _)| b == backend) {
                out.push((backend.clone(), env));
            }
        }
    }
    out
}
