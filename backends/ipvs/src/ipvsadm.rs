//! What the `ipvsadm` variant runs, pure: the `ipvsadm -R` input for a full sync, one argv per
//! rule for incremental changes, and counting an `ipvsadm -Sn` listing.

use crate::layout::SCHEDULER;
use svclab_backend::{Endpoint, Protocol, Service};

/// `-t 10.96.0.1:80` (TCP) or `-u ...` (UDP): how ipvsadm names a virtual service.
fn service_args(svc: &Service) -> [String; 2] {
    let flag = match svc.protocol {
        Protocol::Tcp => "-t",
        Protocol::Udp => "-u",
    };
    [flag.to_string(), format!("{}:{}", svc.vip, svc.port)]
}

/// `-A -t VIP:PORT -s rr`: add the virtual service.
pub fn add_service(svc: &Service) -> Vec<String> {
    let mut argv = vec!["-A".to_string()];
    argv.extend(service_args(svc));
    argv.extend(["-s".to_string(), SCHEDULER.to_string()]);
    argv
}

/// `-a -t VIP:PORT -r EP:PORT -m -w 1`: add a masqueraded real server of weight 1.
pub fn add_dest(svc: &Service, ep: &Endpoint) -> Vec<String> {
    let mut argv = vec!["-a".to_string()];
    argv.extend(service_args(svc));
    argv.extend([
        "-r".to_string(),
        ep.to_string(),
        "-m".into(),
        "-w".into(),
        "1".into(),
    ]);
    argv
}

/// `-d -t VIP:PORT -r EP:PORT`: remove a real server.
pub fn del_dest(svc: &Service, ep: &Endpoint) -> Vec<String> {
    let mut argv = vec!["-d".to_string()];
    argv.extend(service_args(svc));
    argv.extend(["-r".to_string(), ep.to_string()]);
    argv
}

/// `-D -t VIP:PORT`: remove the virtual service and its real servers.
pub fn del_service(svc: &Service) -> Vec<String> {
    let mut argv = vec!["-D".to_string()];
    argv.extend(service_args(svc));
    argv
}

/// One argv per rule for adding `svc`: the service, then each real server.
pub fn add_argvs(svc: &Service) -> Vec<Vec<String>> {
    let mut argvs = vec![add_service(svc)];
    argvs.extend(svc.endpoints.iter().map(|ep| add_dest(svc, ep)));
    argvs
}

/// Removed real servers first, then added ones (the netlink variant's order).
pub fn update_argvs(old: &Service, endpoints: &[Endpoint]) -> Vec<Vec<String>> {
    let gone = old.endpoints.iter().filter(|e| !endpoints.contains(e));
    let new = endpoints.iter().filter(|e| !old.endpoints.contains(e));
    gone.map(|ep| del_dest(old, ep))
        .chain(new.map(|ep| add_dest(old, ep)))
        .collect()
}

/// The input of `ipvsadm -R`: one rule a line, in `ipvsadm -S` syntax.
pub fn restore_text(services: &[Service]) -> String {
    let mut text = String::new();
    for svc in services {
        for argv in add_argvs(svc) {
            text.push_str(&argv.join(" "));
            text.push('\n');
        }
    }
    text
}

/// `(virtual services, real servers)` in an `ipvsadm -Sn` listing (`-A` and `-a` lines).
pub fn count_save(text: &str) -> (u64, u64) {
    let count = |verb: &str| {
        text.lines()
            .filter(|l| l.split_whitespace().next() == Some(verb))
            .count() as u64
    };
    (count("-A"), count("-a"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;
    use svclab_backend::ServiceId;

    fn service(i: u8, protocol: Protocol, endpoints: usize) -> Service {
        Service {
            id: ServiceId(i as u32),
            namespace: "ns".into(),
            name: format!("svc{i}"),
            port_name: String::new(),
            vip: Ipv4Addr::new(10, 96, i, 1),
            port: 80 + i as u16,
            protocol,
            endpoints: (0..endpoints)
                .map(|e| Endpoint {
                    addr: Ipv4Addr::new(10, 244, i, 2 + e as u8),
                    port: 8080,
                })
                .collect(),
        }
    }

    #[test]
    fn restore_input_matches_the_golden_file() {
        let services = [
            service(0, Protocol::Tcp, 2),
            service(1, Protocol::Udp, 1),
            service(2, Protocol::Tcp, 0),
        ];
        let golden = include_str!("../tests/fixtures/ipvsadm_restore_3svc.txt");
        assert_eq!(restore_text(&services), golden);
        assert_eq!(count_save(golden), (3, 3));
    }

    #[test]
    fn incremental_argvs() {
        let s = service(0, Protocol::Tcp, 2);
        assert_eq!(add_argvs(&s).len(), 3);
        assert_eq!(del_service(&s).join(" "), "-D -t 10.96.0.1:80");
        let new = [
            s.endpoints[1],
            Endpoint {
                addr: Ipv4Addr::new(10, 244, 0, 9),
                port: 8080,
            },
        ];
        let joined: Vec<String> = update_argvs(&s, &new).iter().map(|a| a.join(" ")).collect();
        assert_eq!(
            joined,
            [
                "-d -t 10.96.0.1:80 -r 10.244.0.2:8080",
                "-a -t 10.96.0.1:80 -r 10.244.0.9:8080 -m -w 1",
            ]
        );
    }

    #[test]
    fn counts_an_ipvsadm_save_listing() {
        // `ipvsadm -Sn` prints exactly these verbs; other lines (none today) are ignored.
        let listing = "-A -t 10.96.0.1:80 -s rr\n-a -t 10.96.0.1:80 -r 10.244.0.2:8080 -m -w 1\n\
                       -A -u 10.96.1.1:53 -s rr\n";
        assert_eq!(count_save(listing), (2, 1));
        assert_eq!(count_save(""), (0, 0));
    }
}
