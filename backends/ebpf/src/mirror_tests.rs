//! The diff against what the maps hold, without the kernel.

use super::*;
use crate::state::{MapCapacity, State};
use std::net::Ipv4Addr;
use svclab_backend::{Endpoint, Protocol, Service, ServiceId};

fn svc(id: u32, endpoints: &[u8]) -> Service {
    Service {
        id: ServiceId(id),
        namespace: "ns".into(),
        name: format!("s{id}"),
        port_name: String::new(),
        vip: Ipv4Addr::new(10, 96, 0, id as u8),
        port: 80,
        protocol: Protocol::Tcp,
        endpoints: (endpoints.iter())
            .map(|n| Endpoint {
                addr: Ipv4Addr::new(10, 244, 0, *n),
                port: 8080,
            })
            .collect(),
    }
}

/// Plan `set` as a sync, diff it, and record it, as the backend does.
fn sync(state: &mut State, mirror: &mut Mirror, set: &[Service]) -> Plan {
    let mut plan = state.plan_sync(set).expect("plan");
    mirror.diff(&mut plan);
    mirror.record(&plan);
    plan
}

#[test]
fn an_unchanged_resync_writes_nothing() {
    let (mut state, mut mirror) = (
        State::new(MapCapacity::for_services(10, 4)),
        Mirror::default(),
    );
    let set = [svc(1, &[1, 2]), svc(2, &[2, 3])];
    assert_eq!(sync(&mut state, &mut mirror, &set).objects(), 3 + 4 + 2 + 2);
    assert_eq!(sync(&mut state, &mut mirror, &set), Plan::default());
    assert_eq!(mirror, {
        let mut all = Mirror::default();
        all.record(&state.wanted().expect("wanted"));
        all
    });
}

#[test]
fn a_changed_service_writes_only_its_changed_entries_in_cilium_order() {
    let (mut state, mut mirror) = (
        State::new(MapCapacity::for_services(10, 4)),
        Mirror::default(),
    );
    sync(&mut state, &mut mirror, &[svc(1, &[1, 2]), svc(2, &[3, 4])]);

    // Growth: the new backend and slot first, then the master with the new count.
    let plan = sync(
        &mut state,
        &mut mirror,
        &[svc(1, &[1, 2]), svc(2, &[3, 4, 5])],
    );
    assert_eq!(plan.backends.len(), 1);
    assert_eq!(plan.slots.len(), 1);
    assert_eq!(plan.slots[0].0.backend_slot, 3);
    assert!(plan.rev_nat.is_empty(), "the rev-NAT entry is unchanged");
    assert_eq!(plan.masters.len(), 1);
    assert_eq!(plan.masters[0].1.count, 3);
    assert_eq!(plan.objects(), 3);

    // Replacing one endpoint: the slot changes, the master (count 3) is not written at all.
    let plan = sync(
        &mut state,
        &mut mirror,
        &[svc(1, &[1, 2]), svc(2, &[3, 4, 6])],
    );
    assert_eq!((plan.backends.len(), plan.slots.len()), (1, 1));
    assert!(plan.masters.is_empty(), "{plan:?}");
    assert_eq!(plan.delete_backends.len(), 1, "10.244.0.5 is unreferenced");

    // Shrink: the master is lowered, then the surplus slot and the backend go.
    let plan = sync(&mut state, &mut mirror, &[svc(1, &[1, 2]), svc(2, &[3])]);
    assert!(plan.backends.is_empty() && plan.slots.is_empty());
    assert_eq!(plan.masters[0].1.count, 1);
    assert_eq!(plan.delete_slots.len(), 2);
    assert_eq!(plan.delete_backends.len(), 2);
}

#[test]
fn after_a_dump_the_surplus_is_pruned() {
    let (mut state, mut mirror) = (
        State::new(MapCapacity::for_services(10, 4)),
        Mirror::default(),
    );
    sync(&mut state, &mut mirror, &[svc(1, &[1, 2]), svc(2, &[3])]);
    // The kernel holds more than the state wants (a write that stopped part-way).
    let mut dumped = mirror.clone();
    let mut extra = State::new(MapCapacity::for_services(10, 4));
    let mut other = extra.plan_sync(&[svc(9, &[9])]).expect("plan");
    other.backends[0].0 = 77;
    other.slots[0].1.backend_id = 77;
    dumped.record(&other);

    let mut plan = state.wanted().expect("wanted");
    dumped.prune_into(&mut plan);
    dumped.diff(&mut plan);
    assert!(plan.backends.is_empty() && plan.slots.is_empty() && plan.masters.is_empty());
    assert_eq!(plan.delete_masters.len(), 1);
    assert_eq!(plan.delete_slots.len(), 1);
    assert_eq!(plan.delete_rev_nat.len(), 1);
    assert_eq!(plan.delete_backends, vec![77]);
    dumped.record(&plan);
    assert_eq!(dumped, mirror);
}
