//! After a write that stopped part-way the kernel holds entries the backend does not know of;
//! the next sync reads the maps back (a batched dump) and writes the wanted set's difference from
//! them, deleting the rest. Simulated here by writing stray entries straight into the maps, which
//! only a test inside the crate can do. Runs as root in a network namespace of its own.

use super::*;
use crate::abi::{Lb4Backend, Lb4ReverseNat, Lb4Service};
use std::net::Ipv4Addr;
use svclab_backend::{Protocol, ServiceId};

fn svc(id: u32) -> Service {
    Service {
        id: ServiceId(id),
        namespace: "ns".into(),
        name: format!("s{id}"),
        port_name: String::new(),
        vip: Ipv4Addr::new(10, 96, 9, id as u8),
        port: 80,
        protocol: Protocol::Tcp,
        endpoints: vec![Endpoint {
            addr: Ipv4Addr::new(10, 244, 9, id as u8),
            port: 8080,
        }],
    }
}

#[test]
fn after_an_interrupted_write_a_sync_reconciles_against_a_dump() {
    let body = || {
        nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET)
            .unwrap_or_else(|e| panic!("unshare(CLONE_NEWNET) failed ({e}): run as root"));
        let set = vec![svc(1), svc(2)];
        let mut b = EbpfBackend::new(BackendConfig::default(), MapCapacity::for_services(8, 2))
            .expect("backend");
        b.sync(&set).expect("sync");

        // What a write that stopped part-way could leave: a Service of a set never completed,
        // and one of the wanted entries with a wrong value.
        let stray = svc(5);
        let maps = &b.loaded.as_ref().expect("loaded").maps;
        let (svc_fd, be_fd, rev_fd) = (
            maps.services.fd().as_fd(),
            maps.backends.fd().as_fd(),
            maps.rev_nat.fd().as_fd(),
        );
        let master = Lb4Service {
            count: 1,
            rev_nat_index: 6,
            ..Lb4Service::default()
        };
        sys::update_elem(svc_fd, &entries::service_key(&stray, 0), &master).expect("stray master");
        sys::update_elem(be_fd, &99u32, &Lb4Backend::default()).expect("stray backend");
        sys::update_elem(rev_fd, &6u16, &Lb4ReverseNat::default()).expect("stray rev-NAT");
        let wrong = Lb4Service {
            count: 7,
            rev_nat_index: 2,
            ..Lb4Service::default()
        };
        sys::update_elem(svc_fd, &entries::service_key(&set[0], 0), &wrong).expect("wrong master");
        b.uncertain = true;

        let report = b.sync(&set).expect("reconciling sync");
        // 1 wrong master rewritten; stray master, backend and rev-NAT entry deleted.
        assert_eq!(report.objects_written, 4, "{report:?}");
        assert_eq!(
            b.kernel_objects().expect("read back"),
            b.expected_objects(&set)
        );
        let maps = &b.loaded.as_ref().expect("loaded").maps;
        let master: Option<Lb4Service> = sys::lookup_elem(
            maps.services.fd().as_fd(),
            &entries::service_key(&set[0], 0),
        )
        .expect("lookup");
        assert_eq!(
            master.map(|m| m.count),
            Some(1),
            "the wrong master was rewritten"
        );
        // And the next resync is back to writing nothing.
        let again = b.sync(&set).expect("resync");
        assert_eq!((again.objects_written, again.kernel_calls), (0, 0));
    };
    match std::thread::spawn(body).join() {
        Ok(()) => {}
        Err(panic) => std::panic::resume_unwind(panic),
    }
}
