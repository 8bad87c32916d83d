//! The environment block: where the numbers were measured, and warnings on how to read them.

use crate::results::Environment;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct EnvBlock {
    pub rows: Vec<(String, String)>,
    pub warnings: Vec<String>,
}

pub fn block(env: Option<&Environment>) -> EnvBlock {
    let Some(e) = env else {
        return EnvBlock {
            rows: Vec::new(),
            warnings: vec![
                "no environment record: the results file lacks its first line, so where these numbers were measured is unknown".into(),
            ],
        };
    };
    let machine = match (e.location.as_str(), e.acceleration.as_str()) {
        ("vm", "kvm") => "svclab lab VM, KVM-accelerated".to_string(),
        ("vm", "tcg") => "svclab lab VM, emulated (QEMU TCG, no KVM)".to_string(),
        ("vm", other) => format!("svclab lab VM ({other})"),
        (loc, _) => format!("{loc} (not in the lab VM)"),
    };
    let mut rows = vec![
        ("run".to_string(), e.run_id.clone()),
        ("started".to_string(), e.started_at.clone()),
        ("machine".to_string(), machine),
        (
            "hypervisor under it".to_string(),
            e.hypervisor.clone().unwrap_or_else(|| "none seen".into()),
        ),
        (
            "kernel".to_string(),
            format!("{} {}", e.kernel_release, e.kernel_version),
        ),
        (
            "CPU".to_string(),
            format!("{} ({} cores usable)", e.cpu_model, e.cores),
        ),
        ("memory".to_string(), format!("{} MiB", e.memory_mib)),
        ("svclab".to_string(), e.svclab_version.clone()),
        (
            "scenario".to_string(),
            format!(
                "{} from {}: scale {:?}, {} endpoints/Service, {} repetitions after {} warm-up",
                e.scenario.name,
                e.scenario_file.as_deref().unwrap_or("?"),
                e.scenario.scale,
                e.scenario.endpoints_per_service,
                e.scenario.repetitions,
                e.scenario.warmup
            ),
        ),
    ];
    rows.extend(
        e.tools
            .iter()
            .map(|(tool, version)| (format!("tool {tool}"), version.clone())),
    );
    let mut warnings = Vec::new();
    if e.emulated() {
        warnings.push(
            "Emulated (QEMU TCG without KVM): absolute times are inflated, often 10× or more. Compare ratios between backends and scaling exponents, not microseconds.".into(),
        );
    }
    if e.location == "host" && e.hypervisor.is_some() {
        warnings.push(
            "This host is itself a virtual machine (hypervisor CPU flag): times include its virtualization overhead and neighbours' load.".into(),
        );
    }
    EnvBlock { rows, warnings }
}

/// The block with more warnings (e.g. that the run measured in several places).
pub fn with_warnings(mut block: EnvBlock, more: Vec<String>) -> EnvBlock {
    block.warnings.extend(more);
    block
}
