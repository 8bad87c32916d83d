//! The dummy interface `kube-ipvs0` that holds every VIP, as kube-proxy's IPVS mode makes it:
//! IPVS only sees packets addressed to a local address, so each VIP must be bound here.
//! Programmed with one `ip -batch -` process per change, through `tool`.

use crate::tool;
use std::collections::BTreeSet;
use std::net::Ipv4Addr;
use std::path::Path;
use std::time::{Duration, Instant};
use svclab_backend::{BackendError, CancelFlag};

pub const DUMMY: &str = "kube-ipvs0";
/// kube-proxy sets net.ipv4.vs.conntrack=1 so that masqueraded replies pass netfilter.
const VS_CONNTRACK: &str = "/proc/sys/net/ipv4/vs/conntrack";

/// `ip -batch` lines that create the dummy link (left down, like kube-proxy's) if missing.
pub fn create_lines() -> String {
    format!("link add {DUMMY} type dummy\n")
}

/// `ip -batch` lines binding each VIP as a /32, or unbinding them.
pub fn address_lines(verb: &str, vips: &BTreeSet<Ipv4Addr>) -> String {
    vips.iter()
        .map(|vip| format!("address {verb} {vip}/32 dev {DUMMY}\n"))
        .collect()
}

/// Runs `ip` in the calling thread's network namespace.
pub struct Link {
    pub deadline: Instant,
    pub cancel: CancelFlag,
}

impl Link {
    pub fn new(timeout: Duration, cancel: &CancelFlag) -> Self {
        Self {
            deadline: Instant::now() + timeout,
            cancel: cancel.clone(),
        }
    }

    fn batch(&self, lines: &str, force: bool, doing: &str) -> Result<Duration, BackendError> {
        if lines.is_empty() {
            return Ok(Duration::ZERO);
        }
        let ip = tool::require("ip")?;
        // -force: go on past lines that fail (an address already bound or already gone).
        let args: &[&str] = if force {
            &["-force", "-batch", "-"]
        } else {
            &["-batch", "-"]
        };
        let run = tool::run(
            &ip,
            args,
            Some(lines.as_bytes()),
            self.deadline,
            &self.cancel,
            doing,
        )?;
        Ok(run.elapsed)
    }

    /// Create `kube-ipvs0` unless it exists, and set the conntrack sysctl where IPVS has it.
    pub fn ensure(&self) -> Result<(), BackendError> {
        if !exists()? {
            self.batch(&create_lines(), false, "creating the kube-ipvs0 dummy link")?;
        }
        match std::fs::write(VS_CONNTRACK, "1") {
            Ok(()) => Ok(()),
            // Absent until ip_vs is loaded; the netlink calls then fail with their own error.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(BackendError::Io {
                doing: format!("writing 1 to {VS_CONNTRACK}"),
                source,
            }),
        }
    }

    pub fn bind(&self, vips: &BTreeSet<Ipv4Addr>) -> Result<Duration, BackendError> {
        self.batch(
            &address_lines("add", vips),
            true,
            "binding VIPs to kube-ipvs0",
        )
    }

    pub fn unbind(&self, vips: &BTreeSet<Ipv4Addr>) -> Result<Duration, BackendError> {
        self.batch(
            &address_lines("del", vips),
            true,
            "unbinding VIPs from kube-ipvs0",
        )
    }

    /// Make the bound VIPs exactly `wanted`, touching only the difference, as kube-proxy's sync
    /// does (it lists kube-ipvs0's addresses once, binds the missing, unbinds the stale).
    /// Flushing and rebinding all would cost O(N²) in the kernel (each IPv4 address insert and
    /// delete walks the device's address list): minutes per full sync at 20,000 VIPs.
    pub fn converge(&self, wanted: &BTreeSet<Ipv4Addr>) -> Result<Duration, BackendError> {
        let bound = self.bound()?;
        let missing = wanted.difference(&bound).copied().collect();
        let stale = bound.difference(wanted).copied().collect();
        Ok(self.unbind(&stale)? + self.bind(&missing)?)
    }

    /// The IPv4 addresses bound to kube-ipvs0 now, read from the kernel.
    pub fn bound(&self) -> Result<BTreeSet<Ipv4Addr>, BackendError> {
        let ip = tool::require("ip")?;
        let run = tool::run(
            &ip,
            &["-o", "-4", "address", "show", "dev", DUMMY],
            None,
            self.deadline,
            &self.cancel,
            "listing kube-ipvs0's addresses",
        )?;
        Ok(parse_bound(&run.stdout))
    }

    pub fn remove(&self) -> Result<(), BackendError> {
        if exists()? {
            self.batch(&format!("link del {DUMMY}\n"), false, "deleting kube-ipvs0")?;
        }
        Ok(())
    }
}

/// Addresses in `ip -o -4 address show` output: `N: dev    inet A.B.C.D/32 scope ...`.
fn parse_bound(text: &str) -> BTreeSet<Ipv4Addr> {
    text.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            words.find(|w| *w == "inet")?;
            words.next()?.split('/').next()?.parse().ok()
        })
        .collect()
}

/// Whether this thread's namespace has the link. /proc/thread-self/net follows the calling
/// thread's namespace; /sys/class/net would show the namespace sysfs was mounted in.
fn exists() -> Result<bool, BackendError> {
    let dev = Path::new("/proc/thread-self/net/dev");
    let text = std::fs::read_to_string(dev).map_err(|source| BackendError::Io {
        doing: format!("reading {}", dev.display()),
        source,
    })?;
    Ok(text
        .lines()
        .any(|l| l.trim_start().starts_with(&format!("{DUMMY}:"))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bound_addresses_are_read_from_ip_output() {
        // `ip -o -4 address show dev kube-ipvs0` (iproute2 6.1) with two VIPs bound.
        let text = "3: kube-ipvs0    inet 10.96.0.1/32 scope global kube-ipvs0\\       valid_lft forever preferred_lft forever\n\
                    3: kube-ipvs0    inet 10.96.3.7/32 scope global kube-ipvs0\\       valid_lft forever preferred_lft forever\n";
        let expected: BTreeSet<Ipv4Addr> =
            [Ipv4Addr::new(10, 96, 0, 1), Ipv4Addr::new(10, 96, 3, 7)].into();
        assert_eq!(parse_bound(text), expected);
        assert!(parse_bound("").is_empty());
    }

    #[test]
    fn batch_lines() {
        let vips: BTreeSet<Ipv4Addr> =
            [Ipv4Addr::new(10, 96, 0, 2), Ipv4Addr::new(10, 96, 0, 1)].into();
        assert_eq!(
            address_lines("add", &vips),
            "address add 10.96.0.1/32 dev kube-ipvs0\naddress add 10.96.0.2/32 dev kube-ipvs0\n"
        );
        assert_eq!(create_lines(), "link add kube-ipvs0 type dummy\n");
        assert_eq!(address_lines("del", &BTreeSet::new()), "");
    }
}
