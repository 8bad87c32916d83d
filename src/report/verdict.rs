//! One verdict per claim of the source document and backend that answers it (grading rules in
//! `grade.rs`).

use super::claims;
use super::derived::{at_n, install_total};
use super::fit::power_law;
use super::grade::{grade_exponent, grade_growth, grade_values, Grade};
use super::model::{BackendData, Family};
use super::seed_table::{Value, COLUMNS, DOC_IPTABLES_ADD_NS, DOC_IPVS_ADD_NS};

#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub claim: &'static str,
    pub backend: String,
    pub grade: Grade,
    pub detail: String,
}

const C_RULES: &str = "8 iptables rules per Service (8 / 40,000 / 160,000)";
const C_ADD_A: &str = "(A) adding 1 iptables rule takes 11 min at 5,000 and 5 h at 20,000 Services";
const C_ADD_B: &str = "(B) installing 5,000 / 20,000 Services rule by rule takes 11 min / 5 h";
const C_IPT_GROWTH: &str =
    "iptables add latency rises steeply with the table (its numbers imply about N^2)";
const C_UPDATE: &str = "iptables updates rewrite the whole table: update time grows with it";
const C_IPVS: &str = "adding 1 IPVS rule takes 30 / 50 / 70 µs at 1 / 5,000 / 20,000 Services";
const C_FLAT: &str =
    "IPVS and eBPF use hash tables: their cost stays flat (its IPVS numbers imply N^0.08)";
const C_DISRUPT: &str = "refreshing iptables rules breaks connections while Services scale";
const C_WALK: &str = "iptables matches rule by rule: a new connection's first packet costs more the more rules it walks (O(N)); IPVS, eBPF and nftables' verdict map stay flat";
const C_EBPF: &str =
    "eBPF beats both iptables and IPVS: first-packet cost and update (add-1) cost at the largest N";
const C_MEMORY: &str =
    "an iptables table replacement allocates over 128 MB (read at 20,000 Services)";
const C_LOCK: &str = "iptables updates hold a lock that makes other writers wait";

/// The claims in the order reports list them (backends compared within each claim).
const CLAIMS: [&str; 12] = [
    C_RULES,
    C_ADD_A,
    C_ADD_B,
    C_IPT_GROWTH,
    C_UPDATE,
    C_IPVS,
    C_FLAT,
    C_DISRUPT,
    C_WALK,
    C_EBPF,
    C_MEMORY,
    C_LOCK,
];

/// Claims about absolute time, which an emulated run cannot grade.
const ABSOLUTE_TIME: [&str; 3] = [C_ADD_A, C_ADD_B, C_IPVS];
const EMULATED: &str = "emulated run (QEMU TCG): absolute times are inflated several fold, \
                        so this is not graded; read the growth claims";

/// Judge each backend's measurements against the document's claims. In an `emulated` run (the
/// lab VM under TCG) times are inflated several fold, so claims of absolute time are shown but
/// not graded; the growth claims still are.
pub fn judge(backends: &[BackendData], emulated: bool) -> Vec<Verdict> {
    let doc_ipt =
        power_law(&[(1.0, 50e3), (5000.0, 660e9), (20000.0, 18000e9)]).map(|f| f.exponent);
    let doc_ipvs = power_law(&[(1.0, 30e3), (5000.0, 50e3), (20000.0, 70e3)]).map(|f| f.exponent);
    let mut out = Vec::new();
    for b in backends.iter().filter(|b| b.measured_anything()) {
        let mut say = |claim, (grade, detail): (Grade, String)| {
            let (grade, detail) = if emulated && ABSOLUTE_TIME.contains(&claim) {
                (
                    Grade::NotComparable,
                    format!("{EMULATED}; measured {detail}"),
                )
            } else {
                (grade, detail)
            };
            out.push(Verdict {
                claim,
                backend: b.name.clone(),
                grade,
                detail,
            });
        };
        match b.family {
            Family::Iptables => {
                say(C_RULES, rules_verdict(b));
                let big = |f: &dyn Fn(usize) -> Value| -> Vec<(usize, Value, f64)> {
                    COLUMNS
                        .iter()
                        .zip(DOC_IPTABLES_ADD_NS)
                        .skip(1)
                        .map(|(&n, c)| (n, f(n), c))
                        .collect()
                };
                say(
                    C_ADD_A,
                    grade_values(&big(&|n| at_n(&b.add, b.add_fit.as_ref(), n))),
                );
                say(
                    C_ADD_B,
                    grade_values(&big(&|n| {
                        install_total(b.cumulative.as_ref(), b.add_fit.as_ref(), n)
                    })),
                );
                say(
                    C_IPT_GROWTH,
                    grade_exponent(b.add_fit.map(|f| f.exponent), doc_ipt.unwrap_or(1.9), true),
                );
                say(C_UPDATE, grade_growth(b.update_fit.map(|f| f.exponent)));
                say(C_DISRUPT, grade_disruption(&b.disruptions));
                say(C_WALK, claims::first_packet_walk(b));
                say(C_MEMORY, claims::replacement_memory(b));
                say(C_LOCK, claims::lock_makes_others_wait(b));
            }
            Family::Ipvs | Family::Ebpf | Family::Nftables => {
                if b.family == Family::Ipvs {
                    let values = COLUMNS
                        .iter()
                        .zip(DOC_IPVS_ADD_NS)
                        .map(|(&n, c)| (n, at_n(&b.add, b.add_fit.as_ref(), n), c))
                        .collect::<Vec<_>>();
                    say(C_IPVS, grade_values(&values));
                }
                say(
                    C_FLAT,
                    grade_exponent(
                        b.add_fit.map(|f| f.exponent),
                        doc_ipvs.unwrap_or(0.09),
                        false,
                    ),
                );
                say(C_WALK, claims::first_packet_flat(b));
                if b.family == Family::Ebpf {
                    say(C_EBPF, claims::ebpf_beats(b, backends));
                }
                if b.family == Family::Nftables && !b.memory.is_empty() {
                    say(C_MEMORY, claims::replacement_memory(b));
                }
            }
            Family::Other => {}
        }
    }
    out.sort_by_key(|v| CLAIMS.iter().position(|c| *c == v.claim));
    out
}

/// Rules per Service from the slope of the kernel's rule count between the smallest and largest
/// measured points (the fixed chains cancel out).
fn rules_verdict(b: &BackendData) -> (Grade, String) {
    let (Some(lo), Some(hi)) = (b.objects.first(), b.objects.last()) else {
        return (Grade::NotMeasured, "no kernel object checks".into());
    };
    if hi.0 == lo.0 {
        return (Grade::NotMeasured, "one scale point only".into());
    }
    let per = (hi.1 as f64 - lo.1 as f64) / (hi.0 - lo.0) as f64;
    let fixed = lo.1 as f64 - per * lo.0 as f64;
    let grade = if (per - 8.0).abs() < 0.01 {
        Grade::Reproduced
    } else {
        Grade::Differs
    };
    (
        grade,
        format!(
            "kernel holds {per:.2} rules per Service + {fixed:.0} fixed ({} at {} Services)",
            hi.1, hi.0
        ),
    )
}

/// Reproduced when any new connection failed or any long-lived one broke while the backend
/// resynced and updated; otherwise not reproduced, with the worst new-connection latency seen
/// (a stall is not a break).
fn grade_disruption(runs: &[crate::results::Disruption]) -> (Grade, String) {
    if runs.is_empty() {
        return (
            Grade::NotMeasured,
            "no disruption records (enable [disruption])".into(),
        );
    }
    let attempts: u64 = runs.iter().map(|d| d.attempts).sum();
    let failed: u64 = runs.iter().map(|d| d.failed).sum();
    let broken: u64 = runs.iter().map(|d| d.broken).sum();
    let long_lived: usize = runs.iter().map(|d| d.long_lived).sum();
    let worst = runs
        .iter()
        .max_by_key(|d| d.worst_ns)
        .map_or(0, |d| d.worst_ns);
    let at = runs
        .iter()
        .max_by_key(|d| d.worst_ns)
        .map_or(0, |d| d.services);
    let mut text = format!(
        "{failed} of {attempts} new connections failed, {broken} of {long_lived} long-lived broken; worst new connection {} (at {at} Services)",
        crate::analysis::format_ns(worst as f64)
    );
    let counted: Vec<u64> = runs.iter().filter_map(|d| d.lookup_retries).collect();
    if !counted.is_empty() {
        let retries: u64 = counted.iter().sum();
        text.push_str(&format!(
            "; {retries} lookups started over after meeting an update (connects the system it \
             stands for would have failed or sent elsewhere)"
        ));
    }
    if failed + broken > 0 {
        (Grade::Reproduced, text)
    } else {
        (Grade::NotReproduced, text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{Disruption, Outcome};

    fn run(failed: u64, lookup_retries: Option<u64>) -> Disruption {
        Disruption {
            backend: "ebpf".into(),
            services: 1,
            syncs: 3,
            updates: 0,
            attempts: 400,
            failed,
            long_lived: 8,
            broken: 0,
            worst_ns: 2_000_000,
            errors: vec![],
            outcome: Outcome::Ok,
            lookup_retries,
        }
    }

    #[test]
    fn retried_lookups_are_told_even_when_no_connection_failed() {
        let (grade, text) = grade_disruption(&[run(0, Some(3)), run(0, Some(4))]);
        assert_eq!(grade, Grade::NotReproduced);
        assert!(text.contains("0 of 800 new connections failed"), "{text}");
        assert!(text.contains("7 lookups started over"), "{text}");
        let (grade, text) = grade_disruption(&[run(1, None)]);
        assert_eq!(grade, Grade::Reproduced);
        assert!(!text.contains("started over"), "{text}");
    }
}
