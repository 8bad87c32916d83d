//! Kernel tests of the maps: load, sync, read back, add/remove/update, capacity, cleanup.
//! Run as root on the host; each test in its own network namespace.

mod common;

use common::{bpffs_entries, in_new_netns, service, services};
use svclab_backend::{BackendConfig, BackendError, ServiceBackend, ServiceId};
use svclab_ebpf::{EbpfBackend, MapCapacity, UpdateMode};

fn backend(capacity: MapCapacity) -> EbpfBackend {
    EbpfBackend::new(BackendConfig::default(), capacity).expect("backend in a test namespace")
}

#[test]
fn probe_says_available_with_what() {
    in_new_netns(|| {
        let availability = backend(MapCapacity::for_services(1, 1)).probe();
        assert!(availability.is_available(), "probe: {availability:?}");
    });
}

#[test]
fn refuses_the_host_network_namespace() {
    // The test's main thread never unshared: it is in the machine's own namespace.
    let err = EbpfBackend::new(BackendConfig::default(), MapCapacity::for_services(1, 1));
    assert!(
        err.is_err(),
        "a backend must not be created in the host namespace"
    );
}

fn sync_and_change(mode: UpdateMode) {
    let before = bpffs_entries();
    let mut b = backend(MapCapacity::for_services(1_000, 3));
    b.set_update_mode(mode);
    let mut set = services(500, 2);
    assert_eq!(b.kernel_memory().expect("before loading"), None);
    let report = b.sync(&set).expect("sync 500");
    let memory = b
        .kernel_memory()
        .expect("fdinfo")
        .expect("loaded maps report memory");
    assert!(
        memory.bytes > 0 && memory.source.contains("memlock"),
        "{memory:?}"
    );
    assert_eq!(report.objects_written, 500 * 3 + 500 + 1_000);
    assert_eq!(
        b.kernel_objects().expect("read back"),
        b.expected_objects(&set)
    );
    let cgroup = b.cgroup().expect("loaded").path().to_path_buf();
    assert!(
        cgroup.is_dir(),
        "lab cgroup {} exists while loaded",
        cgroup.display()
    );

    let extra = service(500, 3);
    b.add(&extra).expect("add");
    set.push(extra);
    assert_eq!(
        b.kernel_objects().expect("after add"),
        b.expected_objects(&set)
    );
    assert!(matches!(
        b.add(&set[0]),
        Err(BackendError::DuplicateService { .. })
    ));

    b.remove(ServiceId(7)).expect("remove");
    set.retain(|s| s.id != ServiceId(7));
    assert_eq!(
        b.kernel_objects().expect("after remove"),
        b.expected_objects(&set)
    );
    assert!(matches!(
        b.remove(ServiceId(7)),
        Err(BackendError::UnknownService { .. })
    ));

    // Shrink one Service to 1 endpoint, grow another to 3 (one shared with Service 9).
    let shrunk = vec![set[1].endpoints[0]];
    b.update_endpoints(set[1].id, &shrunk).expect("shrink");
    set[1].endpoints = shrunk;
    let grown = vec![
        set[2].endpoints[0],
        set[2].endpoints[1],
        set[8].endpoints[0],
    ];
    b.update_endpoints(set[2].id, &grown).expect("grow");
    set[2].endpoints = grown;
    assert_eq!(
        b.kernel_objects().expect("after update"),
        b.expected_objects(&set)
    );

    // A second sync to a smaller set deletes everything stale.
    let smaller = services(100, 2);
    b.sync(&smaller).expect("resync");
    assert_eq!(
        b.kernel_objects().expect("after resync"),
        b.expected_objects(&smaller)
    );
    assert_eq!(
        b.update_mode(),
        mode,
        "this kernel takes batches, no fallback expected"
    );

    b.cleanup().expect("cleanup");
    assert!(!cgroup.exists(), "cleanup left {}", cgroup.display());
    assert_eq!(
        b.kernel_objects()
            .expect("after cleanup")
            .get("lb4_services_entries"),
        Some(0)
    );
    drop(b);
    assert_eq!(
        bpffs_entries(),
        before,
        "nothing may be left in /sys/fs/bpf"
    );
}

#[test]
fn batch_sync_add_remove_update_read_back_from_the_kernel() {
    in_new_netns(|| sync_and_change(UpdateMode::Batch));
}

#[test]
fn per_element_sync_add_remove_update_read_back_from_the_kernel() {
    in_new_netns(|| sync_and_change(UpdateMode::PerElement));
}

#[test]
fn a_set_larger_than_the_maps_is_refused_before_any_write() {
    in_new_netns(|| {
        let mut b = backend(MapCapacity::for_services(10, 2));
        let err = b
            .sync(&services(11, 2))
            .expect_err("11 Services in maps for 10");
        let text = err.to_string();
        assert!(
            text.contains("MapCapacity") && text.contains("33"),
            "unclear error: {text}"
        );
        assert_eq!(
            b.kernel_objects()
                .expect("read back")
                .get("lb4_services_entries"),
            Some(0)
        );
        b.sync(&services(10, 2)).expect("exactly full fits");
        assert_eq!(
            b.kernel_objects().expect("full"),
            b.expected_objects(&services(10, 2))
        );
    });
}

#[test]
fn drop_cleans_up_like_cleanup() {
    in_new_netns(|| {
        let mut b = backend(MapCapacity::for_services(10, 2));
        b.sync(&services(3, 2)).expect("sync");
        let cgroup = b.cgroup().expect("loaded").path().to_path_buf();
        drop(b);
        assert!(!cgroup.exists(), "drop left {}", cgroup.display());
    });
}

#[test]
fn cancel_and_timeout_stop_before_the_next_syscall() {
    in_new_netns(|| {
        let config = BackendConfig::default();
        config.cancel.cancel();
        let mut b = EbpfBackend::new(config, MapCapacity::for_services(10, 2)).expect("backend");
        let err = b.sync(&services(3, 2)).expect_err("cancelled");
        assert!(matches!(err, BackendError::Cancelled { .. }), "{err}");

        let config = BackendConfig {
            step_timeout: std::time::Duration::ZERO,
            ..BackendConfig::default()
        };
        let mut b = EbpfBackend::new(config, MapCapacity::for_services(10, 2)).expect("backend");
        let err = b.sync(&services(3, 2)).expect_err("no time at all");
        assert!(err.is_timeout(), "{err}");
    });
}
