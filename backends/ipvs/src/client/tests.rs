//! The client against the fake kernel: family resolution, typed errors, batching, dumps.

use super::*;
use crate::fake_kernel::{FakeKernel, FAMILY};
use crate::message::RealServer;
use std::net::Ipv4Addr;

fn watch() -> Watch {
    Watch::new(Duration::from_secs(5), &CancelFlag::new())
}

fn client(limits: Limits) -> Client<FakeKernel> {
    Client::new(FakeKernel::new(limits))
}

fn roomy() -> Limits {
    Limits {
        max_messages: 1 << 20,
        max_bytes: 1 << 30,
    }
}

fn svc(i: u32) -> VirtualService {
    let ip = Ipv4Addr::from(0x0a60_0000 + i); // 10.96.0.0 + i
    VirtualService::ipv4(6, ip, 80, "rr")
}

fn dest(i: u32, j: u32) -> RealServer {
    RealServer::masq_ipv4(Ipv4Addr::from(0x0af4_0000 + i * 2 + j), 8080)
}

/// NEW_SERVICE and two NEW_DESTs per service, as a full sync sends them.
fn sync_requests(n: u32) -> Vec<IpvsMessage> {
    (0..n)
        .flat_map(|i| {
            let s = svc(i);
            vec![
                IpvsMessage::new_service(&s),
                IpvsMessage::new_dest(&s, &dest(i, 0)),
                IpvsMessage::new_dest(&s, &dest(i, 1)),
            ]
        })
        .collect()
}

#[test]
fn family_is_resolved_once() {
    let mut c = client(roomy());
    assert_eq!(c.family(&watch()).ok(), Some(FAMILY));
    assert_eq!(c.family(&watch()).ok(), Some(FAMILY));
    assert_eq!(c.transport.sends, 1);
}

#[test]
fn missing_family_says_run_in_the_vm() {
    let mut c = client(roomy());
    c.transport.has_ipvs = false;
    let err = c
        .request(IpvsMessage::flush(), &watch())
        .expect_err("no IPVS");
    assert!(err.is_family_missing());
    let text = err.to_string();
    assert!(
        text.contains("CONFIG_IP_VS") && text.contains("svclab vm"),
        "{text}"
    );
}

#[test]
fn single_requests_give_typed_errors() {
    let mut c = client(roomy());
    let w = watch();
    c.request(IpvsMessage::new_service(&svc(1)), &w)
        .expect("first add");
    let dup = c.request(IpvsMessage::new_service(&svc(1)), &w);
    assert!(
        matches!(&dup, Err(IpvsError::DuplicateService { request }) if request.contains("10.96.0.1:80/tcp")),
        "{dup:?}"
    );
    let gone = c.request(IpvsMessage::del_service(&svc(2)), &w);
    assert!(
        matches!(gone, Err(IpvsError::NoSuchService { .. })),
        "{gone:?}"
    );
    let mut sh = svc(3);
    sh.sched_name = "mh".into();
    let sched = c.request(IpvsMessage::new_service(&sh), &w);
    assert!(
        matches!(&sched, Err(IpvsError::SchedulerMissing { sched, .. }) if sched == "mh"),
        "{sched:?}"
    );
    let no_dest = c.request(IpvsMessage::del_dest(&svc(1), &dest(1, 0)), &w);
    assert!(
        matches!(no_dest, Err(IpvsError::NoSuchDest { .. })),
        "{no_dest:?}"
    );
}

#[test]
fn batch_sends_within_limits_and_matches_every_ack() {
    let limits = Limits {
        max_messages: 64,
        max_bytes: 1 << 20,
    };
    let mut c = client(limits);
    let report = c
        .send_batch(&sync_requests(1000), &watch())
        .expect("batched sync");
    assert_eq!(report.requests, 3000);
    assert_eq!(report.sends, 3000u32.div_ceil(64));
    // Read back through the dumps, as kernel_objects() does.
    let services = c.services(&watch()).expect("dump services");
    assert_eq!(services.len(), 1000);
    assert_eq!(
        services[0].flags, 0x0002,
        "listed services are IP_VS_SVC_F_HASHED"
    );
    let dests = c.dests(&svc(999), &watch()).expect("dump dests");
    assert_eq!(dests, vec![dest(999, 0), dest(999, 1)]);
}

#[test]
fn batch_failure_names_the_request_and_stops() {
    let limits = Limits {
        max_messages: 30,
        max_bytes: 1 << 20,
    };
    let mut c = client(limits);
    let mut reqs = sync_requests(100);
    // Request 40 adds service 5 a second time; request 41 a dest to a missing service.
    reqs.insert(40, IpvsMessage::new_service(&svc(5)));
    reqs.insert(41, IpvsMessage::new_dest(&svc(7777), &dest(0, 0)));
    let err = c
        .send_batch(&reqs, &watch())
        .expect_err("duplicate in batch");
    let IpvsError::Batch {
        failed,
        total,
        first,
        others,
    } = &err
    else {
        panic!("expected a batch error, got {err:?}");
    };
    assert_eq!((*failed, *total), (2, 302));
    assert!(
        matches!(first.as_ref(), IpvsError::DuplicateService { request } if request.contains("10.96.0.5:80"))
    );
    assert!(
        others[0].contains("ESRCH") && others[0].contains("10.96.30.97:80"),
        "{others:?}"
    );
    // Requests 30..60 formed the failing batch; nothing after it was sent.
    assert_eq!(c.transport.sends, 1 + 2);
    assert_eq!(c.transport.services.len(), 20);
}

#[test]
fn lost_acks_are_reported_and_the_batch_shrinks() {
    let limits = Limits {
        max_messages: 100,
        max_bytes: 1 << 20,
    };
    let mut c = client(limits);
    c.family(&watch()).expect("family");
    c.transport.ack_room = 60; // the receive buffer holds only 60 ACKs
    let err = c
        .send_batch(&sync_requests(50), &watch())
        .expect_err("overrun");
    let IpvsError::AcksLost {
        unacked,
        first_unacked,
        ..
    } = &err
    else {
        panic!("expected lost ACKs, got {err:?}");
    };
    assert_eq!(*unacked, 40);
    assert!(
        first_unacked.starts_with("IPVS_CMD_NEW_SERVICE 10.96.0.20:80"),
        "{first_unacked}"
    );
    assert_eq!(c.limits().max_messages, 50);
    // With the halved limit a fresh sync fits.
    c.request(IpvsMessage::flush(), &watch()).expect("flush");
    c.send_batch(&sync_requests(50), &watch())
        .expect("retry fits");
}

#[test]
fn stale_replies_are_skipped() {
    let mut c = client(roomy());
    c.family(&watch()).expect("family");
    // An answer to seq 1 (the family request, long done) arrives late.
    c.transport
        .inject(crate::family::new_family_reply(1, FAMILY));
    c.request(IpvsMessage::flush(), &watch())
        .expect("flush despite the stale reply");
}

#[test]
fn info_and_timeout() {
    let mut c = client(roomy());
    let info = c.info(&watch()).expect("GET_INFO");
    assert_eq!(info.version_string(), "1.2.1");
    let cancel = CancelFlag::new();
    cancel.cancel();
    let err = c.request(
        IpvsMessage::flush(),
        &Watch::new(Duration::from_secs(5), &cancel),
    );
    assert!(matches!(err, Err(IpvsError::Cancelled { .. })), "{err:?}");
    let err = c.request(
        IpvsMessage::flush(),
        &Watch::new(Duration::ZERO, &CancelFlag::new()),
    );
    assert!(matches!(err, Err(IpvsError::Timeout { .. })), "{err:?}");
}
