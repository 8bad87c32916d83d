//! Counting what the kernel holds from `nft --json list table ip kube-proxy`.

use crate::error::NftError;
use serde_json::Value;
use std::collections::BTreeMap;

/// What the table holds. `chains` counts chains holding at least one rule: a chain a partial
/// sync flushed waits, empty, for its deferred delete, and is counted in `flushed_chains`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TableCounts {
    pub chains: u64,
    pub flushed_chains: u64,
    pub rules: u64,
    /// Elements of the named sets and maps (anonymous ones inside rules are part of the rule).
    pub elements: u64,
}

pub fn count(json: &str) -> Result<TableCounts, NftError> {
    let doc: Value = serde_json::from_str(json).map_err(|e| NftError::ReadBack {
        detail: format!("not JSON: {e}"),
    })?;
    let objects = doc
        .get("nftables")
        .and_then(Value::as_array)
        .ok_or_else(|| NftError::ReadBack {
            detail: "no \"nftables\" array".into(),
        })?;
    let mut rules_in: BTreeMap<&str, u64> = BTreeMap::new();
    let mut counts = TableCounts::default();
    for object in objects {
        if let Some(chain) = object.get("chain") {
            let name = chain.get("name").and_then(Value::as_str).unwrap_or("");
            rules_in.entry(name).or_default();
        } else if let Some(rule) = object.get("rule") {
            let chain = rule.get("chain").and_then(Value::as_str).unwrap_or("");
            *rules_in.entry(chain).or_default() += 1;
            counts.rules += 1;
        } else if let Some(set) = object.get("set").or_else(|| object.get("map")) {
            counts.elements += set
                .get("elem")
                .and_then(Value::as_array)
                .map_or(0, |e| e.len() as u64);
        }
    }
    for rules in rules_in.values() {
        if *rules > 0 {
            counts.chains += 1;
        } else {
            counts.flushed_chains += 1;
        }
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_chains_rules_and_elements() {
        // Shape of nft 1.0.6's output, shortened.
        let json = r#"{"nftables": [{"metainfo": {"version": "1.0.6"}},
          {"table": {"family": "ip", "name": "kube-proxy"}},
          {"set": {"name": "cluster-ips", "elem": ["172.30.0.44", "172.30.0.45"]}},
          {"map": {"name": "service-ips", "elem": [[{"concat": ["172.30.0.44", "tcp", 80]}, {"goto": {"target": "s"}}]]}},
          {"map": {"name": "no-endpoint-services"}},
          {"chain": {"name": "services"}}, {"chain": {"name": "s"}}, {"chain": {"name": "old"}},
          {"rule": {"chain": "services", "expr": []}}, {"rule": {"chain": "s", "expr": []}},
          {"rule": {"chain": "s", "expr": []}}]}"#;
        assert_eq!(
            count(json).expect("parses"),
            TableCounts {
                chains: 2,
                flushed_chains: 1,
                rules: 3,
                elements: 3
            }
        );
    }

    #[test]
    fn garbage_is_a_read_back_error() {
        assert!(matches!(count("{"), Err(NftError::ReadBack { .. })));
        assert!(matches!(count("{}"), Err(NftError::ReadBack { .. })));
    }
}
