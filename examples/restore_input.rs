//! Print the `iptables-restore` input svclab's full sync writes for N synthetic Services, so the
//! lab's timing can be checked against running the restore tool by hand:
//!
//! ```sh
//! cargo run --release --example restore_input -- 20000 > /tmp/restore.txt
//! unshare -n sh -c 'time iptables-legacy-restore -w 5 < /tmp/restore.txt'
//! ```
//!
//! Arguments: services (default 20000), endpoints per Service (2), seed (2017, the seed-table's).

use std::io::Write;
use svclab::synth;
use svclab_backend::Ipv4Cidr;
use svclab_iptables::{render, Layout};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: u64| -> anyhow::Result<u64> {
        args.get(i).map_or(Ok(default), |a| Ok(a.parse()?))
    };
    let services = arg(0, 20_000)? as usize;
    let endpoints = arg(1, 2)? as usize;
    let seed = arg(2, 2017)?;
    let set = synth::generate(seed, services, endpoints);
    let layouts: Vec<Layout> = set.services.iter().map(Layout::new).collect();
    std::io::stdout()
        .write_all(render::full_restore(&layouts, Ipv4Cidr::DEFAULT_CLUSTER).as_bytes())?;
    Ok(())
}
