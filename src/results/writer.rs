//! Streaming records to `results.jsonl`: each record is written and flushed as it is measured, so
//! a killed run keeps everything it finished.

use super::{Record, LOCATION_KEY};
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

pub struct ResultsWriter {
    path: PathBuf,
    file: File,
    /// A second copy of every line, written in the same call (the lab VM's live serial port),
    /// so nothing copies the file in the background while a step is being timed.
    mirror: Option<File>,
    written: Vec<Record>,
    /// The `location` of the last environment record written: every other record names it.
    location: Option<String>,
}

/// Names a file (a serial port in the lab VM) that gets every record too.
pub const MIRROR_ENV: &str = "SVCLAB_RESULTS_MIRROR";

impl ResultsWriter {
    /// Create (or truncate) the results file. It is then written in append mode, so a part of the
    /// run measured elsewhere (the lab VM's records, which QEMU appends to this same file) is
    /// never overwritten by a later record from here.
    pub fn create(path: &Path) -> io::Result<Self> {
        let mirror = match std::env::var_os(MIRROR_ENV) {
            Some(target) => Some(
                std::fs::OpenOptions::new()
                    .append(true)
                    .open(&target)
                    .map_err(|e| io::Error::new(e.kind(), format!("opening {MIRROR_ENV}: {e}")))?,
            ),
            None => None,
        };
        Ok(Self {
            path: path.to_path_buf(),
            file: {
                File::create(path)?;
                std::fs::OpenOptions::new().append(true).open(path)?
            },
            mirror,
            written: Vec::new(),
            location: None,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Append one record as one line, written through to the file before returning.
    pub fn write(&mut self, record: Record) -> io::Result<()> {
        let mut line = serde_json::to_vec(&record).map_err(io::Error::other)?;
        match &record {
            Record::Environment(env) => self.location = Some(env.location.clone()),
            _ => {
                if let Some(location) = &self.location {
                    // Every record is a non-empty JSON object (`{"record":...}`): the key goes
                    // last, before its closing brace, so the fields keep their order.
                    if line.last() == Some(&b'}') {
                        line.pop();
                        let key = serde_json::to_string(location).map_err(io::Error::other)?;
                        line.extend_from_slice(format!(",\"{LOCATION_KEY}\":{key}}}").as_bytes());
                    }
                }
            }
        }
        line.push(b'\n');
        self.file.write_all(&line)?;
        self.file.flush()?;
        if let Some(mirror) = &mut self.mirror {
            mirror.write_all(&line)?;
        }
        self.written.push(record);
        Ok(())
    }

    /// Every record written so far (for the end-of-run summary).
    pub fn records(&self) -> &[Record] {
        &self.written
    }
}
