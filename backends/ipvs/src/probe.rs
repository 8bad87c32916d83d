//! `probe()`: can IPVS run in this namespace, and with what.

use crate::backend::{NO_IPVS_PROBE_FIX, NO_IPVS_REASON};
use crate::client::Client;
use crate::commit;
use crate::socket::NetlinkSocket;
use crate::tool;
use crate::variant::Variant;
use std::time::Instant;
use svclab_backend::{Availability, BackendConfig};

const ROOT_FIX: &str = "run svclab as root (CAP_NET_ADMIN) inside the namespace it creates";

fn unavailable(reason: String, fix: &str) -> Availability {
    Availability::Unavailable {
        reason,
        fix: fix.to_string(),
    }
}

/// Resolve the IPVS family and ask GET_INFO (both need the kernel side and CAP_NET_ADMIN);
/// for `ipvsadm` also run `ipvsadm --version`. Changes nothing.
pub fn probe(variant: Variant, config: &BackendConfig) -> Availability {
    let socket = match NetlinkSocket::open() {
        Ok(s) => s,
        Err(e) => {
            return unavailable(
                format!("cannot open a generic netlink socket: {e}"),
                ROOT_FIX,
            )
        }
    };
    let mut client = Client::new(socket);
    let watch = commit::watch(config);
    match client.family(&watch) {
        Err(e) if e.is_family_missing() => {
            return unavailable(NO_IPVS_REASON.to_string(), NO_IPVS_PROBE_FIX)
        }
        Err(e) => {
            return unavailable(
                format!("cannot resolve the IPVS netlink family: {e}"),
                ROOT_FIX,
            )
        }
        Ok(_) => {}
    }
    let info = match client.info(&watch) {
        Ok(info) => info,
        Err(e) => return unavailable(format!("IPVS refuses GET_INFO: {e}"), ROOT_FIX),
    };
    let ipvs = format!(
        "IPVS {} (connection table {} entries)",
        info.version_string(),
        info.conn_tab_size
    );
    match variant {
        Variant::Netlink => Availability::Available {
            detail: format!("{ipvs} over generic netlink"),
        },
        Variant::Ipvsadm => {
            let Ok(path) = tool::require("ipvsadm") else {
                return unavailable(
                    "ipvsadm is not installed".into(),
                    &tool::install_fix("ipvsadm"),
                );
            };
            let deadline = Instant::now() + config.step_timeout;
            match tool::run(
                &path,
                &["--version"],
                None,
                deadline,
                &config.cancel,
                "asking its version",
            ) {
                Ok(run) => Availability::Available {
                    detail: format!("{}; {ipvs}", run.stdout.trim()),
                },
                Err(e) => unavailable(
                    format!("ipvsadm does not run: {e}"),
                    "reinstall the Debian package ipvsadm",
                ),
            }
        }
    }
}
