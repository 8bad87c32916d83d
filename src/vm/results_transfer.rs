//! Bringing the guest's output folder home over a serial port (the cloud kernel has no 9p, and
//! a serial port needs no guest driver beyond the console's).
//!
//! The guest writes, on ttyS1, for each file of its output folder:
//! `SVCLAB-FILE <bytes> <relative path>`, the file in base64 lines, `SVCLAB-FILE-END`; then
//! `SVCLAB-DONE <exit code>`. A transfer without `SVCLAB-DONE` was cut short.

use data_encoding::BASE64;
use std::path::{Component, Path};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestFile {
    pub path: String,
    pub data: Vec<u8>,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Transfer {
    pub files: Vec<GuestFile>,
    /// The guest's `SVCLAB-DONE` code; `None` if the transfer did not finish.
    pub done: Option<i32>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TransferError {
    #[error("line {line}: {what}")]
    Malformed { line: usize, what: String },
    #[error("{path}: guest said {expected} bytes, base64 gave {got}")]
    Length {
        path: String,
        expected: usize,
        got: usize,
    },
}

/// Parse the ttyS1 stream. Files cut off mid-way (the guest died) are dropped, not guessed.
pub fn parse(text: &str) -> Result<Transfer, TransferError> {
    let mut out = Transfer::default();
    let mut current: Option<(usize, String, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        let bad = |what: &str| TransferError::Malformed {
            line: i + 1,
            what: what.to_string(),
        };
        if let Some((size, path, b64)) = current.as_mut() {
            if line == "SVCLAB-FILE-END" {
                let data = BASE64
                    .decode(b64.as_bytes())
                    .map_err(|e| bad(&format!("base64 of {path}: {e}")))?;
                if data.len() != *size {
                    return Err(TransferError::Length {
                        path: path.clone(),
                        expected: *size,
                        got: data.len(),
                    });
                }
                out.files.push(GuestFile {
                    path: std::mem::take(path),
                    data,
                });
                current = None;
            } else {
                b64.push_str(line.trim());
            }
        } else if let Some(rest) = line.strip_prefix("SVCLAB-FILE ") {
            let (size, path) = rest
                .trim_start()
                .split_once(' ')
                .ok_or_else(|| bad("SVCLAB-FILE without a path"))?;
            let size = size
                .parse()
                .map_err(|_| bad("SVCLAB-FILE size is not a number"))?;
            if !is_safe(path) {
                return Err(bad(&format!("unsafe path {path:?}")));
            }
            current = Some((size, path.to_string(), String::new()));
        } else if let Some(code) = line.strip_prefix("SVCLAB-DONE ") {
            out.done = Some(code.trim().parse().map_err(|_| bad("SVCLAB-DONE code"))?);
        } else if !line.trim().is_empty() {
            return Err(bad("unexpected line"));
        }
    }
    Ok(out)
}

/// Only plain relative paths may be written on the host: no `..`, no absolute paths.
fn is_safe(path: &str) -> bool {
    !path.is_empty()
        && Path::new(path)
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_and_exit_code_come_back() {
        // "hello\n" and "{}" as the init script's busybox base64 prints them, CR-LF included.
        let text = "SVCLAB-FILE 6 results.jsonl\r\naGVsbG8K\r\nSVCLAB-FILE-END\r\n\
                    SVCLAB-FILE 2 sub/x.json\ne30=\nSVCLAB-FILE-END\nSVCLAB-DONE 1\n";
        let t = parse(text).expect("well formed");
        assert_eq!(t.done, Some(1));
        assert_eq!(t.files[0].path, "results.jsonl");
        assert_eq!(t.files[0].data, b"hello\n");
        assert_eq!(t.files[1].path, "sub/x.json");
        assert_eq!(t.files[1].data, b"{}");
    }

    #[test]
    fn a_cut_transfer_keeps_whole_files_only() {
        let t = parse("SVCLAB-FILE 6 a\naGVsbG8K\nSVCLAB-FILE-END\nSVCLAB-FILE 9 b\naGVs\n")
            .expect("well formed so far");
        assert_eq!(t.files.len(), 1);
        assert_eq!(t.done, None);
    }

    #[test]
    fn escaping_paths_and_wrong_sizes_are_refused() {
        assert!(parse("SVCLAB-FILE 1 ../etc/x\n").is_err());
        assert!(parse("SVCLAB-FILE 1 /etc/x\n").is_err());
        assert_eq!(
            parse("SVCLAB-FILE 3 a\naGVsbG8K\nSVCLAB-FILE-END\n"),
            Err(TransferError::Length {
                path: "a".into(),
                expected: 3,
                got: 6
            })
        );
    }
}
