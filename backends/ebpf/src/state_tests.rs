//! Plans for sync / add / remove / update, checked entry by entry without the kernel.

use super::*;
use crate::abi::{be16, be32, Lb4Service};
use std::net::Ipv4Addr;
use svclab_backend::Protocol;

fn ep(last: u8) -> Endpoint {
    Endpoint {
        addr: Ipv4Addr::new(10, 244, 0, last),
        port: 8080,
    }
}

fn svc(id: u32, endpoints: &[u8]) -> Service {
    Service {
        id: ServiceId(id),
        namespace: "ns".into(),
        name: format!("s{id}"),
        port_name: String::new(),
        vip: Ipv4Addr::new(10, 96, (id >> 8) as u8, id as u8),
        port: 80,
        protocol: Protocol::Tcp,
        endpoints: endpoints.iter().map(|n| ep(*n)).collect(),
    }
}

fn big() -> MapCapacity {
    MapCapacity::for_services(100, 4)
}

#[test]
fn sync_writes_backends_slots_and_masters_with_counts() {
    let mut state = State::new(big());
    let plan = state
        .plan_sync(&[svc(1, &[1, 2]), svc(2, &[2, 3])])
        .expect("plan");
    // Backend 10.244.0.2 is shared: three distinct backends.
    assert_eq!(plan.backends.len(), 3);
    assert_eq!(plan.slots.len(), 4);
    assert_eq!(plan.masters.len(), 2);
    assert_eq!(plan.rev_nat.len(), 2);
    let (key, master) = plan.masters[0];
    assert_eq!(key.address, be32(Ipv4Addr::new(10, 96, 0, 1)));
    assert_eq!(key.dport, be16(80));
    assert_eq!(
        (key.backend_slot, master.count, master.rev_nat_index),
        (0, 2, 2)
    );
    assert_eq!(
        plan.slots[0].1,
        Lb4Service {
            backend_id: 1,
            rev_nat_index: 2,
            ..Default::default()
        }
    );
    assert_eq!(plan.slots[1].0.backend_slot, 2);
    assert!(plan.delete_masters.is_empty() && plan.delete_backends.is_empty());
    assert_eq!(plan.objects(), 11);
}

#[test]
fn resync_deletes_stale_entries_and_unreferenced_backends() {
    let mut state = State::new(big());
    state
        .plan_sync(&[svc(1, &[1, 2]), svc(2, &[3])])
        .expect("first");
    let plan = state.plan_sync(&[svc(1, &[1])]).expect("second");
    assert_eq!(plan.delete_masters.len(), 1); // svc 2
    assert_eq!(plan.delete_slots.len(), 2); // svc 1 slot 2, svc 2 slot 1
    assert_eq!(plan.delete_rev_nat, vec![3]);
    assert_eq!(plan.delete_backends.len(), 2); // 10.244.0.2 and .3
    assert_eq!(plan.masters[0].1.count, 1);
}

#[test]
fn add_remove_update_touch_only_one_service() {
    let mut state = State::new(big());
    state.plan_sync(&[svc(1, &[1, 2])]).expect("sync");
    let add = state.plan_add(&svc(2, &[2, 3])).expect("add");
    assert_eq!(add.backends.len(), 1, "only 10.244.0.3 is new");
    assert_eq!((add.slots.len(), add.masters.len()), (2, 1));

    let update = state.plan_update(ServiceId(1), &[ep(1)]).expect("update");
    assert!(update.backends.is_empty());
    assert_eq!(update.masters[0].1.count, 1);
    assert_eq!(update.delete_slots.len(), 1);
    assert!(update.delete_masters.is_empty() && update.delete_rev_nat.is_empty());
    assert!(
        update.delete_backends.is_empty(),
        "10.244.0.2 is still used by svc 2"
    );

    let remove = state.plan_remove(ServiceId(2)).expect("remove");
    assert_eq!(remove.delete_masters.len(), 1);
    assert_eq!(remove.delete_slots.len(), 2);
    assert_eq!(remove.delete_backends.len(), 2);
    assert!(remove.masters.is_empty());
}

#[test]
fn refusals_leave_the_state_unchanged() {
    let mut state = State::new(MapCapacity::for_services(2, 2));
    state.plan_sync(&[svc(1, &[1, 2])]).expect("sync");
    assert!(matches!(
        state.plan_add(&svc(1, &[])),
        Err(EbpfError::DuplicateService { .. })
    ));
    let mut clash = svc(9, &[]);
    clash.vip = Ipv4Addr::new(10, 96, 0, 1);
    assert!(matches!(
        state.plan_add(&clash),
        Err(EbpfError::FrontendConflict { .. })
    ));
    assert!(matches!(
        state.plan_remove(ServiceId(5)),
        Err(EbpfError::UnknownService { .. })
    ));
    let err = state
        .plan_add(&svc(2, &[3, 4, 5]))
        .expect_err("6 entries > 6 - 3 free");
    assert!(
        matches!(
            err,
            EbpfError::CapacityExceeded {
                needed: 7,
                capacity: 6,
                ..
            }
        ),
        "{err}"
    );
    assert!(matches!(
        state.plan_add(&svc(70_000, &[])),
        Err(EbpfError::ServiceIdTooLarge { .. })
    ));
    assert_eq!(state.plan_add(&svc(2, &[3, 4])).expect("fits").objects(), 6);
}

#[test]
fn sync_needs_room_for_old_and_new_together() {
    let mut state = State::new(MapCapacity::for_services(2, 1));
    state
        .plan_sync(&[svc(1, &[1]), svc(2, &[2])])
        .expect("fills the maps");
    let err = state
        .plan_sync(&[svc(3, &[3])])
        .expect_err("old + new exceed");
    assert!(matches!(err, EbpfError::CapacityExceeded { .. }), "{err}");
    assert_eq!(state.get(ServiceId(1)).expect("kept").endpoints.len(), 1);
}

#[test]
fn expected_counts_follow_the_formula() {
    let counts = entries::expected(&[svc(1, &[1, 2]), svc(2, &[2, 3]), svc(3, &[])]);
    assert_eq!(counts.get(entries::SERVICE_ENTRIES), Some(7));
    assert_eq!(counts.get(entries::SERVICES), Some(3));
    assert_eq!(counts.get(entries::BACKENDS), Some(3));
    assert_eq!(counts.get(entries::REVERSE_NAT), Some(3));
}
