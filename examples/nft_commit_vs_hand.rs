//! The lab's full-sync commit beside `nft -f FILE` run by hand on the same text, alternating,
//! each in a fresh network namespace (needs root):
//!
//! ```sh
//! cargo run --release --example nft_commit_vs_hand -- nftables 5000 5
//! ```
//!
//! Arguments: backend (`nftables` or `nftables-1.36`), services (5000), rounds (5).

use anyhow::Context;
use std::time::{Duration, Instant};
use svclab::{sandbox, synth};
use svclab_backend::{BackendConfig, Ipv4Cidr, ServiceBackend};
use svclab_nftables::{render_full_sync, NftablesBackend, Profile};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let name = args.first().map_or("nftables", String::as_str);
    let profile = Profile::from_name(name).context("backend must be nftables or nftables-1.36")?;
    let services: usize = args.get(1).map_or(Ok(5000), |a| a.parse())?;
    let rounds: usize = args.get(2).map_or(Ok(5), |a| a.parse())?;
    let set = synth::generate(2017, services, 2);
    let cidr = Ipv4Cidr::DEFAULT_CLUSTER;
    let file = std::env::temp_dir().join(format!("svclab-{name}-{services}.nft"));
    std::fs::write(&file, render_full_sync(profile, &set.services, cidr))?;
    let (mut lab, mut hand) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let config = BackendConfig {
            cluster_cidr: cidr,
            ..BackendConfig::default()
        };
        let commit = sandbox::run_in_fresh_netns(|| {
            let mut backend = NftablesBackend::new(profile, config)?;
            backend.sync(&set.services).map(|r| r.commit)
        })??;
        let by_hand = sandbox::run_in_fresh_netns(|| {
            let started = Instant::now();
            let status = std::process::Command::new("nft")
                .arg("-f")
                .arg(&file)
                .status();
            status.map(|s| (s.success(), started.elapsed()))
        })??;
        anyhow::ensure!(by_hand.0, "nft -f {} failed", file.display());
        println!(
            "round {round}: lab commit {commit:?}, nft -f by hand {:?}",
            by_hand.1
        );
        lab.push(commit);
        hand.push(by_hand.1);
    }
    let (l, h) = (median(lab), median(hand));
    println!(
        "{name} {services}: median lab commit {l:?}, by hand {h:?}, lab/hand {:.3}",
        l.as_secs_f64() / h.as_secs_f64()
    );
    Ok(())
}
