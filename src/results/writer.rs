//! Streaming records to `results.jsonl`: each record is written and flushed as it is measured, so
//! a killed run keeps everything it finished.

use super::Record;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

pub struct ResultsWriter {
    path: PathBuf,
    file: File,
    written: Vec<Record>,
}

impl ResultsWriter {
    /// Create (or truncate) the results file.
    pub fn create(path: &Path) -> io::Result<Self> {
        Ok(Self {
            path: path.to_path_buf(),
            file: File::create(path)?,
            written: Vec::new(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Append one record as one line, written through to the file before returning.
    pub fn write(&mut self, record: Record) -> io::Result<()> {
        let mut line = serde_json::to_vec(&record).map_err(io::Error::other)?;
        line.push(b'\n');
        self.file.write_all(&line)?;
        self.file.flush()?;
        self.written.push(record);
        Ok(())
    }

    /// Every record written so far (for the end-of-run summary).
    pub fn records(&self) -> &[Record] {
        &self.written
    }
}
