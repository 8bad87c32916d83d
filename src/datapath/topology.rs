//! The node/pods topology: built from the sandbox thread (the node namespace), with a second
//! thread in a new namespace for the pods. Both namespaces are anonymous, so they vanish with
//! their threads, like the sandbox itself.

use super::listener::Listeners;
use super::DatapathError;
use nix::sched::{unshare, CloneFlags};
use std::process::Command;
use std::sync::mpsc;
use std::thread::JoinHandle;

pub const NODE_ADDR: &str = "192.168.255.1";
pub const PODS_ADDR: &str = "192.168.255.2";
const NODE_LINK: &str = "svclab-node";
const PODS_LINK: &str = "svclab-pods";
/// Every endpoint address answers in the pods namespace.
pub const POD_CIDR: &str = "10.244.0.0/16";

/// The pods side, running until dropped.
pub struct Topology {
    stop: Option<mpsc::Sender<()>>,
    pods: Option<JoinHandle<()>>,
}

impl Topology {
    /// Build it from the calling thread, which must be in the node (sandbox) namespace, with one
    /// listener per port in `ports`.
    pub fn build(ports: Vec<u16>) -> Result<Self, DatapathError> {
        let (tid_tx, tid_rx) = mpsc::channel::<Result<i32, DatapathError>>();
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let (ready_tx, ready_rx) = mpsc::channel::<Result<(), DatapathError>>();
        let (stop_tx, stop_rx) = mpsc::channel::<()>();
        let pods = std::thread::spawn(move || {
            let entered = unshare(CloneFlags::CLONE_NEWNET)
                .map(|()| nix::unistd::gettid().as_raw())
                .map_err(|e| DatapathError::Setup {
                    doing: "creating the pods namespace".into(),
                    detail: e.to_string(),
                });
            let ok = entered.is_ok();
            let _ = tid_tx.send(entered);
            if !ok || go_rx.recv().is_err() {
                return;
            }
            let listeners = configure_pods().and_then(|()| Listeners::start(&ports));
            match listeners {
                Ok(listeners) => {
                    let _ = ready_tx.send(Ok(()));
                    let _ = stop_rx.recv();
                    listeners.stop();
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                }
            }
        });
        let topology = Topology {
            stop: Some(stop_tx),
            pods: Some(pods),
        };
        let failed = |detail: &str| DatapathError::Setup {
            doing: "building the data-path topology".into(),
            detail: detail.to_string(),
        };
        let tid = tid_rx
            .recv()
            .map_err(|_| failed("the pods thread ended"))??;
        configure_node(tid)?;
        go_tx
            .send(())
            .map_err(|_| failed("the pods thread ended"))?;
        ready_rx
            .recv()
            .map_err(|_| failed("the pods thread ended"))??;
        Ok(topology)
    }
}

impl Drop for Topology {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(pods) = self.pods.take() {
            let _ = pods.join();
        }
    }
}

/// Run `ip` with `args` in the calling thread's namespace.
pub(crate) fn ip(args: &[&str]) -> Result<(), DatapathError> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(DatapathError::io("running ip (Debian package iproute2)"))?;
    if !out.status.success() {
        return Err(DatapathError::Setup {
            doing: format!("ip {}", args.join(" ")),
            detail: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(())
}

/// Node side: the veth pair, its pods end moved into the pods thread's namespace, and a default
/// route through it (kube-proxy nodes route Service VIPs somewhere; iptables DNATs on the way).
fn configure_node(pods_tid: i32) -> Result<(), DatapathError> {
    ip(&[
        "link", "add", "name", NODE_LINK, "type", "veth", "peer", "name", PODS_LINK,
    ])?;
    ip(&["link", "set", PODS_LINK, "netns", &pods_tid.to_string()])?;
    ip(&["addr", "add", &format!("{NODE_ADDR}/30"), "dev", NODE_LINK])?;
    ip(&["link", "set", NODE_LINK, "up"])?;
    ip(&[
        "route", "add", "default", "via", PODS_ADDR, "dev", NODE_LINK,
    ])
}

/// Pods side: every pod address local, replies routed back to the node.
fn configure_pods() -> Result<(), DatapathError> {
    ip(&["link", "set", "lo", "up"])?;
    ip(&["addr", "add", &format!("{PODS_ADDR}/30"), "dev", PODS_LINK])?;
    ip(&["link", "set", PODS_LINK, "up"])?;
    ip(&["route", "add", "local", POD_CIDR, "dev", "lo"])?;
    ip(&[
        "route", "add", "default", "via", NODE_ADDR, "dev", PODS_LINK,
    ])
}
