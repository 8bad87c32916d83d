//! The two ways the backends hand rules to the kernel, each timed around the kernel-facing
//! calls only: netlink requests through the client, or `ipvsadm` processes.

use crate::client::{Client, Watch};
use crate::converge;
use crate::error::IpvsError;
use crate::ipvsadm;
use crate::message::IpvsMessage;
use crate::socket::NetlinkSocket;
use crate::tool;
use std::time::{Duration, Instant};
use svclab_backend::{BackendConfig, BackendError, Service};

/// How long the commit took and how many kernel-facing calls it made.
#[derive(Debug, Clone, Copy, Default)]
pub struct Commit {
    pub elapsed: Duration,
    pub calls: u32,
}

pub fn watch(config: &BackendConfig) -> Watch {
    Watch::new(config.step_timeout, &config.cancel)
}

/// Send `reqs` one request + ACK at a time (incremental changes, like kube-proxy). The family
/// is resolved and the requests encoded before the clock starts.
pub fn netlink(
    client: &mut Client<NetlinkSocket>,
    config: &BackendConfig,
    reqs: &[IpvsMessage],
) -> Result<Commit, IpvsError> {
    let watch = watch(config);
    let encoded = reqs
        .chunks(1)
        .map(|one| client.encode(one, &watch))
        .collect::<Result<Vec<_>, _>>()?;
    let started = Instant::now();
    let mut calls = 0;
    for one in &encoded {
        calls += client.send_encoded(one, &watch)?.sends;
    }
    Ok(Commit {
        elapsed: started.elapsed(),
        calls,
    })
}

/// What a converging full sync did: the kernel-facing part (dumps and batches) and how many
/// requests it sent.
#[derive(Debug, Clone, Copy, Default)]
pub struct Converged {
    pub commit: Commit,
    pub written: u64,
}

/// A full sync that dumps the kernel's services (and the real servers of those it keeps),
/// then sends only the difference, batched. Dumps are kernel work: they count in `commit`,
/// one call each, as kube-proxy pays them on every sync.
pub fn netlink_converge(
    client: &mut Client<NetlinkSocket>,
    config: &BackendConfig,
    services: &[Service],
) -> Result<Converged, IpvsError> {
    let watch = watch(config);
    client.family(&watch)?;
    let keep = converge::wanted(services);
    let started = Instant::now();
    let listed = client.services(&watch)?;
    let mut calls = 1;
    let mut kernel = Vec::with_capacity(listed.len());
    for vs in listed {
        let dests = if keep.contains(&converge::service_key(&vs)) {
            calls += 1;
            Some(client.dests(&vs, &watch)?)
        } else {
            None
        };
        kernel.push((vs, dests));
    }
    let dumped = started.elapsed();
    let reqs = converge::requests(&kernel, services);
    let encoded = client.encode(&reqs, &watch)?;
    let sending = Instant::now();
    calls += client.send_encoded(&encoded, &watch)?.sends;
    Ok(Converged {
        commit: Commit {
            elapsed: dumped + sending.elapsed(),
            calls,
        },
        written: reqs.len() as u64,
    })
}

/// One `ipvsadm` process per argv, timing only the processes.
pub fn ipvsadm_each(
    config: &BackendConfig,
    argvs: &[Vec<String>],
    doing: &str,
) -> Result<Commit, BackendError> {
    let path = tool::require("ipvsadm")?;
    let deadline = Instant::now() + config.step_timeout;
    let mut commit = Commit::default();
    for argv in argvs {
        let args: Vec<&str> = argv.iter().map(String::as_str).collect();
        commit.elapsed += tool::run(&path, &args, None, deadline, &config.cancel, doing)?.elapsed;
        commit.calls += 1;
    }
    Ok(commit)
}

/// A full sync the document's way: `ipvsadm -C`, then `ipvsadm -R` reading every rule.
pub fn ipvsadm_restore(
    config: &BackendConfig,
    text: &str,
    doing: &str,
) -> Result<Commit, BackendError> {
    let path = tool::require("ipvsadm")?;
    let deadline = Instant::now() + config.step_timeout;
    let clear = tool::run(&path, &["-C"], None, deadline, &config.cancel, doing)?;
    let restore = tool::run(
        &path,
        &["-R"],
        Some(text.as_bytes()),
        deadline,
        &config.cancel,
        doing,
    )?;
    Ok(Commit {
        elapsed: clear.elapsed + restore.elapsed,
        calls: 2,
    })
}

/// `(virtual services, real servers)` from `ipvsadm -Sn`.
pub fn ipvsadm_count(config: &BackendConfig) -> Result<(u64, u64), BackendError> {
    let path = tool::require("ipvsadm")?;
    let deadline = Instant::now() + config.step_timeout;
    let run = tool::run(
        &path,
        &["-Sn"],
        None,
        deadline,
        &config.cancel,
        "listing IPVS rules",
    )?;
    Ok(ipvsadm::count_save(&run.stdout))
}

/// `(virtual services, real servers)` from the netlink dumps.
pub fn netlink_count(
    client: &mut Client<NetlinkSocket>,
    config: &BackendConfig,
) -> Result<(u64, u64), IpvsError> {
    let watch = watch(config);
    let services = client.services(&watch)?;
    let mut dests = 0;
    for svc in &services {
        dests += client.dests(svc, &watch)?.len() as u64;
    }
    Ok((services.len() as u64, dests))
}
