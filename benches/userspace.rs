//! The lab's userspace hot paths, without the kernel: what each data plane's full sync of 20,000
//! Services costs before the kernel sees it, and reading 160,000 iptables rules back. Compare
//! with the kernel benches (`benches/backends.rs`) and the lab's commit times: the target is
//! under 2% of the kernel work each prepares.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use svclab::synth;
use svclab_backend::Ipv4Cidr;
use svclab_ebpf::{MapCapacity, State};
use svclab_iptables::{render, save_count, Layout};

const SERVICES: usize = 20_000;

fn iptables(c: &mut Criterion) {
    let set = synth::generate(2017, SERVICES, 2);
    let mut group = c.benchmark_group("userspace/iptables");
    group.sample_size(20);
    group.bench_function("full_restore_20000_services (hash names + render)", |b| {
        b.iter(|| {
            // As the backend's full sync does it: names hashed, then one render.
            let layouts: Vec<Layout> = set.services.iter().map(Layout::new).collect();
            black_box(render::full_restore(&layouts, Ipv4Cidr::DEFAULT_CLUSTER))
        })
    });
    group.bench_function("layouts_20000_services (hash names only)", |b| {
        b.iter(|| black_box(set.services.iter().map(Layout::new).collect::<Vec<_>>()))
    });
    let layouts: Vec<Layout> = set.services.iter().map(Layout::new).collect();
    group.bench_function("render_20000_services (names cached)", |b| {
        b.iter(|| {
            black_box(render::full_restore(
                black_box(&layouts),
                Ipv4Cidr::DEFAULT_CLUSTER,
            ))
        })
    });
    let text = render::full_restore(&layouts, Ipv4Cidr::DEFAULT_CLUSTER);
    group.bench_function("count_nat_160000_rules", |b| {
        b.iter(|| black_box(save_count::count_nat(black_box(&text))))
    });
    group.finish();
}

fn ipvs(c: &mut Criterion) {
    use svclab_ipvs::{converge, layout};
    let set = synth::generate(2017, SERVICES, 2);
    let mut group = c.benchmark_group("userspace/ipvs");
    group.sample_size(20);
    // What an initial sync (empty kernel) plans and encodes.
    group.bench_function("encode_20000_services (60000 netlink requests)", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(8 << 20);
            for (seq, msg) in converge::requests(&Vec::new(), &set.services)
                .into_iter()
                .enumerate()
            {
                svclab_ipvs::wire::encode_ipvs(&mut out, &msg, 0x1c, 0x5, seq as u32);
            }
            black_box(out)
        })
    });
    // What a resync plans: the diff of 20,000 desired Services against a dump that matches.
    let dump: converge::KernelTable = set
        .services
        .iter()
        .map(|s| {
            let dests = s.endpoints.iter().map(layout::real_server).collect();
            (layout::virtual_service(s), Some(dests))
        })
        .collect();
    group.bench_function("diff_20000_services_against_their_dump", |b| {
        b.iter(|| black_box(converge::requests(&dump, &set.services)))
    });
    group.finish();
}

fn nftables(c: &mut Criterion) {
    use svclab_backend::Ipv4Cidr;
    use svclab_nftables::{render::Programmed, render_full_sync, Profile, ServiceLayout};
    let set = synth::generate(2017, SERVICES, 2);
    let mut group = c.benchmark_group("userspace/nftables");
    group.sample_size(20);
    for profile in Profile::ALL {
        let name = profile.name();
        group.bench_function(
            format!("{name}: full_sync_20000_services (hash names + render)"),
            |b| {
                b.iter(|| {
                    black_box(render_full_sync(
                        profile,
                        black_box(&set.services),
                        Ipv4Cidr::DEFAULT_CLUSTER,
                    ))
                })
            },
        );
        // A partial sync at 20,000: what add-1 prepares once the table is programmed.
        let layouts = set.services[1..]
            .iter()
            .map(|s| ServiceLayout::new(s, profile))
            .collect();
        let mut state = Programmed::default();
        let plan = state.full(profile, layouts, Ipv4Cidr::DEFAULT_CLUSTER);
        state.apply(plan.change);
        group.bench_function(format!("{name}: add_1_at_20000 (partial sync)"), |b| {
            b.iter(|| {
                let layout = ServiceLayout::new(&set.services[0], profile);
                black_box(state.partial(profile, &[], vec![layout], Ipv4Cidr::DEFAULT_CLUSTER))
            })
        });
    }
    group.finish();
}

fn ebpf(c: &mut Criterion) {
    let set = synth::generate(2017, SERVICES, 2);
    let mut group = c.benchmark_group("userspace/ebpf");
    group.sample_size(20);
    group.bench_function("plan_sync_20000_services (map entries)", |b| {
        b.iter(|| {
            let mut state = State::new(MapCapacity::for_services(2 * SERVICES as u32, 2));
            black_box(state.plan_sync(&set.services).is_ok())
        })
    });
    group.finish();
}

criterion_group!(benches, iptables, nftables, ipvs, ebpf);
criterion_main!(benches);
