//! The `nft` process: one transaction through `nft -f -` (the text on stdin, applied atomically
//! or not at all, as knftables does), the table listed back as JSON, and version checks.

use crate::error::NftError;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use svclab_backend::tool;
use svclab_backend::{BackendError, CancelFlag};

pub(crate) fn program() -> Result<PathBuf, NftError> {
    tool::find_program("nft").ok_or(NftError::NftMissing)
}

/// Commit `text` as one transaction; the time is the process's, spawn to exit.
pub(crate) fn commit(
    text: &str,
    deadline: Instant,
    cancel: &CancelFlag,
    doing: &str,
) -> Result<Duration, BackendError> {
    let nft = program()?;
    match tool::run(
        &nft,
        &["-f", "-"],
        Some(text.as_bytes()),
        deadline,
        cancel,
        doing,
    ) {
        Ok(run) => Ok(run.elapsed),
        Err(BackendError::ToolFailed { stderr, .. }) => Err(classify(&stderr, text, doing).into()),
        Err(other) => Err(other),
    }
}

/// `nft [args]` with no input, for listings and versions.
pub(crate) fn query(
    args: &[&str],
    deadline: Instant,
    cancel: &CancelFlag,
    doing: &str,
) -> Result<String, BackendError> {
    let nft = program()?;
    Ok(tool::run(&nft, args, None, deadline, cancel, doing)?.stdout)
}

/// Expressions a kernel may lack, by the words that name them in our rules.
const EXPRESSIONS: [(&str, &str); 6] = [
    ("numgen", "the nft numgen expression (nft_numgen)"),
    ("masquerade", "the nft masquerade expression (nft_masq)"),
    ("dnat", "the nft nat expression (nft_nat)"),
    ("reject", "the nft reject expression (nft_reject_ipv4)"),
    ("ct ", "the nft conntrack expression (nft_ct)"),
    ("hook", "nf_tables base chains (nf_tables, nft_chain_nat)"),
];

/// Turn nft's `/dev/stdin:LINE:COLS: Error: MESSAGE` into a typed error naming the line.
pub(crate) fn classify(stderr: &str, text: &str, doing: &str) -> NftError {
    let first = stderr
        .lines()
        .find(|l| l.contains(": Error: "))
        .unwrap_or_else(|| stderr.lines().next().unwrap_or(""));
    let (location, message) = first.split_once(": Error: ").unwrap_or(("", first));
    let line: u32 = location
        .split(':')
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let command = text
        .lines()
        .nth((line as usize).saturating_sub(1))
        .filter(|_| line > 0)
        .unwrap_or("")
        .to_string();
    let message = message.trim().to_string();
    // A kernel without a module answers ENOENT or EOPNOTSUPP for the object that needs it.
    let kernel_side = message.contains("Operation not supported")
        || message.contains("Could not process rule: No such file or directory")
        || message.contains("Protocol not supported");
    if kernel_side {
        if let Some((_, feature)) = EXPRESSIONS.iter().find(|(w, _)| command.contains(w)) {
            return NftError::KernelUnsupported {
                feature: feature.to_string(),
                line,
                message,
            };
        }
        if message.contains("Protocol not supported") {
            return NftError::KernelUnsupported {
                feature: "nf_tables (CONFIG_NF_TABLES)".into(),
                line,
                message,
            };
        }
    }
    NftError::Rejected {
        doing: doing.to_string(),
        line,
        command,
        message,
    }
}

/// `nftables v1.0.6 (Lester Gooch #5)` → (1, 0, 6).
pub(crate) fn parse_version(text: &str) -> Option<(u32, u32, u32)> {
    let word = text.split_whitespace().find(|w| w.starts_with('v'))?;
    let mut parts = word[1..].split('.').map(|p| p.parse::<u32>().ok());
    Some((
        parts.next()??,
        parts.next()??,
        parts.next().flatten().unwrap_or(0),
    ))
}

/// `6.18.44-fc-v1147` → (6, 18).
pub(crate) fn kernel_version(release: &str) -> Option<(u32, u32)> {
    let mut parts = release.split(|c: char| !c.is_ascii_digit());
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_syntax_error_names_its_line_and_command() {
        let text = "add table ip kube-proxy\nbad rule foo\n";
        let stderr = "/dev/stdin:2:5-8: Error: syntax error, unexpected rule, expecting string\nbad rule foo\n    ^^^^";
        match classify(stderr, text, "testing") {
            NftError::Rejected {
                line,
                command,
                message,
                ..
            } => {
                assert_eq!(line, 2);
                assert_eq!(command, "bad rule foo");
                assert!(message.starts_with("syntax error"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_missing_expression_is_a_kernel_error() {
        let text =
            "add rule ip kube-proxy s numgen random mod 2 vmap { 0 : goto a , 1 : goto b }\n";
        let stderr = "/dev/stdin:1:1-80: Error: Could not process rule: No such file or directory";
        assert!(matches!(
            classify(stderr, text, "t"),
            NftError::KernelUnsupported { ref feature, .. } if feature.contains("numgen")
        ));
    }

    #[test]
    fn versions_parse() {
        assert_eq!(
            parse_version("nftables v1.0.6 (Lester Gooch #5)"),
            Some((1, 0, 6))
        );
        assert_eq!(parse_version("nftables v1.1"), Some((1, 1, 0)));
        assert_eq!(kernel_version("6.18.44-fc-v1147"), Some((6, 18)));
        assert_eq!(kernel_version("5.10.0-23-amd64"), Some((5, 10)));
    }
}
