//! Reading `results.jsonl` back, tolerating a torn last line from a killed run.

use super::located::{positional, run_view, Located};
use super::{Record, LOCATION_KEY};
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read {file}: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}:{line}: not a svclab record: {source}")]
    Record {
        file: String,
        line: usize,
        #[source]
        source: serde_json::Error,
    },
}

/// Record kinds this version writes; a line of another kind comes from a newer svclab.
const KNOWN: [&str; 9] = [
    "environment",
    "backend",
    "measurement",
    "object_check",
    "cumulative",
    "probe",
    "connect_latency",
    "disruption",
    "run_end",
];

/// A well-formed record of a kind this version does not know (written by a newer svclab).
fn is_unknown_kind(line: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(line)
        .ok()
        .and_then(|v| v.get("record").and_then(|r| r.as_str()).map(String::from))
        .is_some_and(|kind| !KNOWN.contains(&kind.as_str()))
}

/// All complete records of a results file, as one run (see [`run_view`]). A malformed line other
/// than the last is an error; a malformed last line (the run was killed mid-write) is dropped,
/// and so are records of kinds this version does not know (a newer svclab wrote them; the rest
/// still reads).
pub fn read_records(path: &Path) -> Result<Vec<Record>, ReadError> {
    read_located(path).map(run_view)
}

/// Every complete record of a results file with the location it was measured in: the record's
/// own `location` key (schema 2), or the location of the environment before it (schema 1, and
/// environment records themselves).
pub fn read_located(path: &Path) -> Result<Vec<Located>, ReadError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ReadError::Io {
        file: file.clone(),
        source,
    })?;
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut records = Vec::with_capacity(lines.len());
    let mut current: Option<String> = None;
    for (i, line) in lines.iter().enumerate() {
        match parse_line(line) {
            Ok((record, explicit)) => {
                let location = match explicit {
                    Some(location) => location,
                    None => positional(current.as_deref(), &record).to_string(),
                };
                if matches!(record, Record::Environment(_)) {
                    current = Some(location.clone());
                }
                records.push(Located { location, record });
            }
            Err(_) if i + 1 == lines.len() && !text.ends_with('\n') => break,
            Err(_) if is_unknown_kind(line) => continue,
            Err(source) => {
                return Err(ReadError::Record {
                    file,
                    line: i + 1,
                    source,
                })
            }
        }
    }
    Ok(records)
}

/// One line: the record, and the location it names (schema 2; environment records name theirs in
/// their own `location` field, which the record keeps).
fn parse_line(line: &str) -> Result<(Record, Option<String>), serde_json::Error> {
    let value: serde_json::Value = serde_json::from_str(line)?;
    let explicit = match value.get("record").and_then(|r| r.as_str()) {
        Some("environment") => None,
        _ => value
            .get(LOCATION_KEY)
            .and_then(|l| l.as_str())
            .map(String::from),
    };
    Ok((serde_json::from_value(value)?, explicit))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::RunEnd;

    #[test]
    fn torn_last_line_is_dropped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("results.jsonl");
        let end = Record::RunEnd(RunEnd {
            finished_at: "x".into(),
            status: "completed".into(),
            detail: None,
        });
        let line = serde_json::to_string(&end).expect("json");
        std::fs::write(&path, format!("{line}\n{}", &line[..10])).expect("write");
        assert_eq!(read_records(&path).expect("read"), vec![end]);
    }

    #[test]
    fn records_of_unknown_kinds_are_skipped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("results.jsonl");
        let end = Record::RunEnd(RunEnd {
            finished_at: "x".into(),
            status: "completed".into(),
            detail: None,
        });
        let line = serde_json::to_string(&end).expect("json");
        std::fs::write(
            &path,
            format!("{{\"record\":\"from_the_future\",\"x\":1}}\n{line}\n"),
        )
        .expect("write");
        assert_eq!(read_records(&path).expect("read"), vec![end]);
    }

    #[test]
    fn bad_middle_line_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("results.jsonl");
        std::fs::write(&path, "{}\n{}\n").expect("write");
        assert!(read_records(&path).is_err());
    }
}
