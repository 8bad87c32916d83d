//! What a full sync of an empty table hands the kernel, as text a person can read (for
//! `svclab render`): one request a line for the netlink variant, the `ipvsadm -R` input for the
//! ipvsadm variant. Pure.

use crate::converge::{self, KernelTable};
use crate::message::{IpvsMessage, RealServer, VirtualService};
use crate::{ipvsadm, Variant};
use svclab_backend::Service;

/// The full sync of `services` into an empty IPVS table.
pub fn full_sync_text(variant: Variant, services: &[Service]) -> String {
    match variant {
        Variant::Netlink => netlink_text(services),
        Variant::Ipvsadm => {
            let mut text = String::from("# ipvsadm -C, then this on the stdin of ipvsadm -R\n");
            text.push_str(&ipvsadm::restore_text(services));
            text
        }
    }
}

fn netlink_text(services: &[Service]) -> String {
    // The sync dumps the table first; an empty table lists nothing, so every Service is new.
    let empty = KernelTable::new();
    let mut text = String::from("# IPVS_CMD_GET_SERVICE dump (the table is empty), then:\n");
    for req in converge::requests(&empty, services) {
        text.push_str(&line(&req));
        text.push('\n');
    }
    text
}

/// `IPVS_CMD_NEW_SERVICE 10.96.0.1:80/tcp sched rr flags 0x0 timeout 0 netmask 0xffffffff`.
fn line(req: &IpvsMessage) -> String {
    let mut text = req.describe();
    if let Some(dest) = req
        .dest_attrs()
        .and_then(|a| RealServer::from_attrs(a).ok())
    {
        text.push_str(&format!(
            " fwd {} weight {} u_thresh {} l_thresh {}",
            dest.fwd_method, dest.weight, dest.u_thresh, dest.l_thresh
        ));
    } else if let Some(svc) = req
        .service_attrs()
        .and_then(|a| VirtualService::from_attrs(a).ok())
    {
        text.push_str(&format!(
            " sched {} flags {:#x} timeout {} netmask {:#x}",
            svc.sched_name, svc.flags, svc.timeout, svc.netmask
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;
    use svclab_backend::{Endpoint, Protocol, ServiceId};

    fn svc() -> Service {
        Service {
            id: ServiceId(0),
            namespace: "ns".into(),
            name: "web".into(),
            port_name: "http".into(),
            vip: Ipv4Addr::new(10, 96, 0, 1),
            port: 80,
            protocol: Protocol::Tcp,
            endpoints: vec![
                Endpoint {
                    addr: Ipv4Addr::new(10, 244, 0, 2),
                    port: 8080,
                },
                Endpoint {
                    addr: Ipv4Addr::new(10, 244, 0, 3),
                    port: 8080,
                },
            ],
        }
    }

    #[test]
    fn netlink_lines_name_each_request() {
        let text = full_sync_text(Variant::Netlink, &[svc()]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert!(lines[1].starts_with("IPVS_CMD_NEW_SERVICE 10.96.0.1:80/tcp sched rr"));
        assert!(lines[2].starts_with("IPVS_CMD_NEW_DEST 10.96.0.1:80/tcp -> 10.244.0.2:8080 fwd"));
        assert!(lines[3].contains("-> 10.244.0.3:8080"));
    }

    #[test]
    fn ipvsadm_text_is_the_restore_input() {
        let text = full_sync_text(Variant::Ipvsadm, &[svc()]);
        assert!(text.ends_with(&ipvsadm::restore_text(&[svc()])));
    }
}
