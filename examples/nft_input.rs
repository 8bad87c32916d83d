//! Print the `nft -f -` transaction svclab's nftables full sync writes for N synthetic Services,
//! so the lab's timing can be checked against running nft by hand (the lead's `svclab render`
//! prints the same through `svclab_nftables::render_full_sync`):
//!
//! ```sh
//! cargo run --release --example nft_input -- nftables 5000 > /tmp/nft.txt
//! unshare -n sh -c 'time nft -f /tmp/nft.txt'
//! ```
//!
//! Arguments: backend name (`nftables` or `nftables-1.36`), services (default 20000), endpoints
//! per Service (2), seed (2017, the seed-table's).

use anyhow::Context;
use std::io::Write;
use svclab::synth;
use svclab_backend::Ipv4Cidr;
use svclab_nftables::{render_full_sync, Profile};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let name = args.first().map_or("nftables", String::as_str);
    let profile = Profile::from_name(name).context("backend must be nftables or nftables-1.36")?;
    let arg = |i: usize, default: u64| -> anyhow::Result<u64> {
        args.get(i).map_or(Ok(default), |a| Ok(a.parse()?))
    };
    let services = arg(1, 20_000)? as usize;
    let endpoints = arg(2, 2)? as usize;
    let seed = arg(3, 2017)?;
    let set = synth::generate(seed, services, endpoints);
    let text = render_full_sync(profile, &set.services, Ipv4Cidr::DEFAULT_CLUSTER);
    std::io::stdout().write_all(text.as_bytes())?;
    Ok(())
}
