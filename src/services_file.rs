//! A user's own Services, from a JSON file: an array of objects with `namespace`, `name`,
//! `port_name`, `vip`, `port`, `protocol` and `endpoints: [{addr, port}]`.
//!
//! Each entry is parsed on its own so an error names the entry (index and name) and the field,
//! not only a byte offset; then the set is checked the way the kernel would refuse it (one
//! Service per VIP, port and protocol).

use serde::Deserialize;
use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use svclab_backend::{Endpoint, Protocol, Service, ServiceId};

#[derive(Debug, thiserror::Error)]
pub enum ServicesFileError {
    #[error("reading the Services file {}: {source}", file.display())]
    Read {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: not a JSON array of Services ({detail}); expected [{{\"namespace\": .., \"name\": .., \"port_name\": .., \"vip\": \"10.96.0.1\", \"port\": 80, \"protocol\": \"tcp\", \"endpoints\": [{{\"addr\": \"10.244.0.2\", \"port\": 8080}}]}}]", file.display())]
    NotAnArray { file: PathBuf, detail: String },
    #[error("{}: entry {index}{}: {detail}", file.display(), named(name))]
    Entry {
        file: PathBuf,
        index: usize,
        name: Option<String>,
        detail: String,
    },
}

fn named(name: &Option<String>) -> String {
    name.as_ref().map(|n| format!(" ({n})")).unwrap_or_default()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawService {
    namespace: String,
    name: String,
    #[serde(default)]
    port_name: String,
    vip: Ipv4Addr,
    port: u16,
    protocol: Protocol,
    endpoints: Vec<Endpoint>,
}

/// Read and check a Services file; ids are the entries' positions.
pub fn load(file: &Path) -> Result<Vec<Service>, ServicesFileError> {
    let text = std::fs::read_to_string(file).map_err(|source| ServicesFileError::Read {
        file: file.to_path_buf(),
        source,
    })?;
    parse(&text, file)
}

/// Parse the text of a Services file (`file` only names it in errors).
pub fn parse(text: &str, file: &Path) -> Result<Vec<Service>, ServicesFileError> {
    let entries: Vec<serde_json::Value> =
        serde_json::from_str(text).map_err(|e| ServicesFileError::NotAnArray {
            file: file.to_path_buf(),
            detail: e.to_string(),
        })?;
    let mut services = Vec::with_capacity(entries.len());
    let mut seen: HashMap<(Ipv4Addr, u16, Protocol), usize> = HashMap::new();
    for (index, value) in entries.into_iter().enumerate() {
        let fail = |name: Option<String>, detail: String| ServicesFileError::Entry {
            file: file.to_path_buf(),
            index,
            name,
            detail,
        };
        let label = entry_label(&value);
        let raw: RawService = serde_path_to_error::deserialize(value).map_err(|e| {
            let at = e.path().to_string();
            let detail = if at == "." {
                e.inner().to_string()
            } else {
                format!("{at}: {}", e.inner())
            };
            fail(label.clone(), detail)
        })?;
        let service = check(raw, index).map_err(|detail| fail(label.clone(), detail))?;
        let key = (service.vip, service.port, service.protocol);
        if let Some(first) = seen.insert(key, index) {
            return Err(fail(
                label,
                format!(
                    "{}:{}/{} is already entry {first}'s; a VIP, port and protocol belong to one Service",
                    service.vip,
                    service.port,
                    service.protocol.as_str()
                ),
            ));
        }
        services.push(service);
    }
    Ok(services)
}

/// `namespace/name`, when the entry has them, so an error can say which Service it means.
fn entry_label(value: &serde_json::Value) -> Option<String> {
    let ns = value.get("namespace")?.as_str()?;
    let name = value.get("name")?.as_str()?;
    Some(format!("{ns}/{name}"))
}

fn check(raw: RawService, index: usize) -> Result<Service, String> {
    if raw.namespace.is_empty() || raw.name.is_empty() {
        return Err("namespace and name must not be empty".into());
    }
    if raw.port == 0 {
        return Err("port must be 1 to 65535".into());
    }
    if let Some(ep) = raw.endpoints.iter().find(|ep| ep.port == 0) {
        return Err(format!("endpoint {} has port 0", ep.addr));
    }
    if raw.endpoints.len() > 100 {
        return Err(format!(
            "{} endpoints; the lab handles 1 to 100 a Service",
            raw.endpoints.len()
        ));
    }
    Ok(Service {
        id: ServiceId(index as u32),
        namespace: raw.namespace,
        name: raw.name,
        port_name: raw.port_name,
        vip: raw.vip,
        port: raw.port,
        protocol: raw.protocol,
        endpoints: raw.endpoints,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SVC4: &str = r#"[{"namespace": "ns4", "name": "svc4", "port_name": "p80",
        "vip": "172.30.0.44", "port": 80, "protocol": "tcp",
        "endpoints": [{"addr": "10.180.0.4", "port": 80}, {"addr": "10.180.0.5", "port": 80}]}]"#;

    fn err(text: &str) -> String {
        parse(text, Path::new("my.json"))
            .expect_err("should fail")
            .to_string()
    }

    #[test]
    fn parses_kube_proxys_svc4() {
        let services = parse(SVC4, Path::new("svc4.json")).expect("valid");
        assert_eq!(services.len(), 1);
        assert_eq!(services[0].port_name_string(), "ns4/svc4:p80");
        assert_eq!(services[0].endpoints[1].addr, Ipv4Addr::new(10, 180, 0, 5));
    }

    #[test]
    fn errors_name_the_file_the_entry_and_the_field() {
        assert!(
            err("{}").starts_with("my.json: not a JSON array"),
            "{}",
            err("{}")
        );
        let bad_vip = SVC4.replace("172.30.0.44", "172.30.0.444");
        let e = err(&bad_vip);
        assert!(
            e.starts_with("my.json: entry 0 (ns4/svc4): vip: invalid IPv4 address"),
            "{e}"
        );
        let e = err(&SVC4.replace("\"tcp\"", "\"sctp\""));
        assert!(
            e.contains("entry 0 (ns4/svc4)") && e.contains("sctp"),
            "{e}"
        );
        let e = err(&SVC4.replace("\"port\": 80, \"protocol\"", "\"port\": 0, \"protocol\""));
        assert!(e.ends_with("port must be 1 to 65535"), "{e}");
        let e = err(&SVC4.replace("\"port_name\"", "\"portname\""));
        assert!(e.contains("unknown field `portname`"), "{e}");
        let e = err(r#"[{"name": "x"}]"#);
        assert!(e.starts_with("my.json: entry 0: missing field"), "{e}");
    }

    #[test]
    fn a_duplicate_vip_port_is_refused() {
        let two = format!("[{0},{0}]", &SVC4[1..SVC4.len() - 1]);
        let e = err(&two);
        assert!(
            e.contains("entry 1 (ns4/svc4): 172.30.0.44:80/tcp is already entry 0's"),
            "{e}"
        );
    }
}
