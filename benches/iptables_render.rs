//! Userspace hot paths of the iptables backends, without the kernel: what a full sync at 20,000
//! Services costs before iptables-restore starts, and reading 160,000 rules back.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use svclab::synth;
use svclab_iptables::{render, save_count, Layout};

fn render_full_restore(c: &mut Criterion) {
    let set = synth::generate(2017, 20_000, 2);
    let mut group = c.benchmark_group("iptables");
    group.sample_size(20);
    group.bench_function("full_restore_20000_services (hash names + render)", |b| {
        b.iter(|| {
            // As the backend's full sync does it: names hashed, then one render.
            let layouts: Vec<Layout> = set.services.iter().map(Layout::new).collect();
            black_box(render::full_restore(&layouts))
        })
    });
    group.bench_function("layouts_20000_services (hash names only)", |b| {
        b.iter(|| black_box(set.services.iter().map(Layout::new).collect::<Vec<_>>()))
    });
    let layouts: Vec<Layout> = set.services.iter().map(Layout::new).collect();
    group.bench_function("render_20000_services (names cached)", |b| {
        b.iter(|| black_box(render::full_restore(black_box(&layouts))))
    });
    let text = render::full_restore(&layouts);
    group.bench_function("count_nat_160000_rules", |b| {
        b.iter(|| black_box(save_count::count_nat(black_box(&text))))
    });
    group.finish();
}

criterion_group!(benches, render_full_restore);
criterion_main!(benches);
