//! A full sync the way kube-proxy's IPVS proxier does it, pure: compare what the kernel lists
//! with the desired Services and send only the difference.
//!
//! Flushing and re-adding everything (the obvious full sync) drops every virtual service for a
//! moment, which breaks connections, and puts every real server on the kernel's dest trash
//! list, which new real servers are then looked up in one by one. Diffing does neither.

use crate::layout::{real_server, virtual_service};
use crate::message::{IpvsMessage, RealServer, VirtualService, IP_VS_SVC_F_HASHED};
use std::collections::{HashMap, HashSet};
use svclab_backend::Service;

/// What identifies a virtual service: `(af, protocol, address, port)`.
pub type ServiceKey = (u16, u16, [u8; 16], u16);
/// What identifies a real server within its service: `(address, port)`.
type DestKey = ([u8; 16], u16);

pub fn service_key(vs: &VirtualService) -> ServiceKey {
    (vs.af, vs.protocol, vs.addr.0, vs.port)
}

fn dest_key(rs: &RealServer) -> DestKey {
    (rs.addr.0, rs.port)
}

/// The kernel's table as dumped: each virtual service with its real servers. Real servers are
/// `None` for a service whose dests were not dumped (one the sync deletes anyway).
pub type KernelTable = Vec<(VirtualService, Option<Vec<RealServer>>)>;

/// Which of the kernel's services the sync keeps, so only their real servers get dumped.
pub fn wanted(desired: &[Service]) -> HashSet<ServiceKey> {
    desired
        .iter()
        .map(|s| service_key(&virtual_service(s)))
        .collect()
}

/// The requests that turn `kernel` into `desired`: new services with their real servers,
/// changed service options (SET_SERVICE), real-server differences (DEL_DEST, NEW_DEST,
/// SET_DEST), then the deletion of services no longer desired.
pub fn requests(kernel: &KernelTable, desired: &[Service]) -> Vec<IpvsMessage> {
    let listed: HashMap<ServiceKey, (&VirtualService, Option<&Vec<RealServer>>)> = kernel
        .iter()
        .map(|(vs, dests)| (service_key(vs), (vs, dests.as_ref())))
        .collect();
    let mut reqs = Vec::new();
    for svc in desired {
        let vs = virtual_service(svc);
        let want: Vec<RealServer> = svc.endpoints.iter().map(real_server).collect();
        match listed.get(&service_key(&vs)) {
            None => {
                reqs.push(IpvsMessage::new_service(&vs));
                let mut seen = HashSet::new();
                for rs in want.iter().filter(|rs| seen.insert(dest_key(rs))) {
                    reqs.push(IpvsMessage::new_dest(&vs, rs));
                }
            }
            Some((have, dests)) => {
                if !same_options(have, &vs) {
                    reqs.push(IpvsMessage::set_service(&vs));
                }
                dest_requests(&vs, dests.map_or(&[][..], |d| d), &want, &mut reqs);
            }
        }
    }
    let keep = wanted(desired);
    reqs.extend(
        kernel
            .iter()
            .filter(|(vs, _)| !keep.contains(&service_key(vs)))
            .map(|(vs, _)| IpvsMessage::del_service(vs)),
    );
    reqs
}

/// Scheduler, flags (without the kernel's own HASHED mark), persistence and netmask.
fn same_options(have: &VirtualService, want: &VirtualService) -> bool {
    have.sched_name == want.sched_name
        && have.flags & !IP_VS_SVC_F_HASHED == want.flags
        && have.timeout == want.timeout
        && have.netmask == want.netmask
}

/// Real servers gone, then new, then changed in weight or forwarding (kube-proxy's
/// syncEndpoint does the same diff; it keeps deleted ones for graceful termination, we don't).
fn dest_requests(
    vs: &VirtualService,
    have: &[RealServer],
    want: &[RealServer],
    reqs: &mut Vec<IpvsMessage>,
) {
    let listed: HashMap<DestKey, &RealServer> = have.iter().map(|d| (dest_key(d), d)).collect();
    let wanted: HashMap<DestKey, &RealServer> = want.iter().map(|d| (dest_key(d), d)).collect();
    for d in have.iter().filter(|d| !wanted.contains_key(&dest_key(d))) {
        reqs.push(IpvsMessage::del_dest(vs, d));
    }
    let mut seen = HashSet::new();
    for d in want.iter().filter(|d| seen.insert(dest_key(d))) {
        match listed.get(&dest_key(d)) {
            None => reqs.push(IpvsMessage::new_dest(vs, d)),
            Some(old) if (old.weight, old.fwd_method) != (d.weight, d.fwd_method) => {
                reqs.push(IpvsMessage::set_dest(vs, d))
            }
            Some(_) => {}
        }
    }
}

#[cfg(test)]
#[path = "converge_tests.rs"]
mod tests;
