//! Print the `nft -f -` transaction svclab's nftables full sync writes for N synthetic Services,
//! so the lab's timing can be checked against running nft by hand (the lead's `svclab render`
//! prints the same through `svclab_nftables::render_full_sync`):
//!
//! ```sh
//! cargo run --release --example nft_input -- nftables 5000 > /tmp/nft.txt
//! unshare -n sh -c 'time nft -f /tmp/nft.txt'
//! ```
//!
//! Arguments: [`--add-one`] backend name (`nftables` or `nftables-1.36`), services (default
//! 20000), endpoints per Service (2), seed (2017, the seed-table's). With `--add-one`, print
//! instead the partial sync that adds one more Service to a table holding those.

use anyhow::Context;
use std::io::Write;
use svclab::synth;
use svclab_backend::Ipv4Cidr;
use svclab_nftables::render::Programmed;
use svclab_nftables::{render_full_sync, Profile, ServiceLayout};

fn main() -> anyhow::Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let add_one = args.first().is_some_and(|a| a == "--add-one");
    if add_one {
        args.remove(0);
    }
    let name = args.first().map_or("nftables", String::as_str);
    let profile = Profile::from_name(name).context("backend must be nftables or nftables-1.36")?;
    let arg = |i: usize, default: u64| -> anyhow::Result<u64> {
        args.get(i).map_or(Ok(default), |a| Ok(a.parse()?))
    };
    let services = arg(1, 20_000)? as usize;
    let endpoints = arg(2, 2)? as usize;
    let seed = arg(3, 2017)?;
    let set = synth::generate(seed, services + 1, endpoints);
    let (base, extra) = set.services.split_at(services);
    let cidr = Ipv4Cidr::DEFAULT_CLUSTER;
    let text = if add_one {
        let layouts = base
            .iter()
            .map(|s| ServiceLayout::new(s, profile))
            .collect();
        let mut state = Programmed::default();
        let plan = state.full(profile, layouts, cidr);
        state.apply(plan.change);
        let layout = ServiceLayout::new(&extra[0], profile);
        state.partial(profile, &[], vec![layout], cidr).text
    } else {
        render_full_sync(profile, base, cidr)
    };
    std::io::stdout().write_all(text.as_bytes())?;
    Ok(())
}
