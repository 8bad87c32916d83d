//! Pure verdicts over probe results: did each connection land where the Service says?

use super::ConnResult;
use std::collections::BTreeSet;
use std::net::SocketAddrV4;
use svclab_backend::Service;

pub fn vip(svc: &Service) -> SocketAddrV4 {
    SocketAddrV4::new(svc.vip, svc.port)
}

fn endpoints(svc: &Service) -> BTreeSet<String> {
    svc.endpoints.iter().map(|e| e.to_string()).collect()
}

/// Every connection reached one of `svc`'s endpoints. Returns what went wrong, if anything.
pub fn translated(svc: &Service, results: &[ConnResult]) -> Vec<String> {
    let allowed = endpoints(svc);
    results
        .iter()
        .filter_map(|r| match (&r.reached, &r.error) {
            (Some(reached), _) if allowed.contains(reached) => None,
            (Some(reached), _) => Some(format!(
                "{} ({}): reached {reached}, not one of its endpoints",
                svc.id, r.target
            )),
            (None, error) => Some(format!(
                "{} ({}): connection failed: {}",
                svc.id,
                r.target,
                error.as_deref().unwrap_or("unknown error")
            )),
        })
        .collect()
}

/// Repeated connections reached every endpoint (load balancing happens).
pub fn balanced(svc: &Service, results: &[ConnResult]) -> Vec<String> {
    let seen: BTreeSet<String> = results.iter().filter_map(|r| r.reached.clone()).collect();
    let missing: Vec<String> = endpoints(svc).difference(&seen).cloned().collect();
    if missing.is_empty() {
        Vec::new()
    } else {
        vec![format!(
            "{}: {} connections never reached {}",
            svc.id,
            results.len(),
            missing.join(", ")
        )]
    }
}

/// No connection was translated to an endpoint of `svc` (it was removed).
pub fn not_translated(svc: &Service, results: &[ConnResult]) -> Vec<String> {
    let gone = endpoints(svc);
    results
        .iter()
        .filter_map(|r| r.reached.as_ref().filter(|reached| gone.contains(*reached)))
        .map(|reached| {
            format!(
                "{} was removed but {} still reached {reached}",
                svc.id,
                vip(svc)
            )
        })
        .collect()
}

/// Up to `count` Services spread evenly over `services` (all of them when fewer).
pub fn sample(services: &[Service], count: usize) -> Vec<&Service> {
    if services.len() <= count {
        return services.iter().collect();
    }
    (0..count)
        .map(|i| &services[i * services.len() / count])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;
    use svclab_backend::{Endpoint, Protocol, ServiceId};

    fn svc() -> Service {
        Service {
            id: ServiceId(1),
            namespace: "n".into(),
            name: "s".into(),
            port_name: "http".into(),
            vip: Ipv4Addr::new(10, 96, 0, 1),
            port: 80,
            protocol: Protocol::Tcp,
            endpoints: vec![
                Endpoint {
                    addr: Ipv4Addr::new(10, 244, 0, 1),
                    port: 8080,
                },
                Endpoint {
                    addr: Ipv4Addr::new(10, 244, 0, 2),
                    port: 8080,
                },
            ],
        }
    }

    fn reached(addr: Option<&str>) -> ConnResult {
        ConnResult {
            target: "10.96.0.1:80".into(),
            reached: addr.map(String::from),
            error: addr.is_none().then(|| "refused".into()),
            ns: 1,
        }
    }

    #[test]
    fn translation_needs_an_endpoint_of_this_service() {
        assert!(translated(&svc(), &[reached(Some("10.244.0.2:8080"))]).is_empty());
        assert_eq!(
            translated(&svc(), &[reached(Some("10.244.0.2:9999"))]).len(),
            1
        );
        assert_eq!(translated(&svc(), &[reached(None)]).len(), 1);
    }

    #[test]
    fn balance_needs_every_endpoint() {
        let one = [
            reached(Some("10.244.0.1:8080")),
            reached(Some("10.244.0.1:8080")),
        ];
        assert_eq!(balanced(&svc(), &one).len(), 1);
        let both = [
            reached(Some("10.244.0.1:8080")),
            reached(Some("10.244.0.2:8080")),
        ];
        assert!(balanced(&svc(), &both).is_empty());
    }

    #[test]
    fn removed_service_must_not_reach_its_endpoints() {
        assert!(not_translated(&svc(), &[reached(None)]).is_empty());
        assert_eq!(
            not_translated(&svc(), &[reached(Some("10.244.0.1:8080"))]).len(),
            1
        );
    }

    #[test]
    fn sample_spreads_evenly() {
        let many: Vec<Service> = (0..100)
            .map(|i| Service {
                id: ServiceId(i),
                ..svc()
            })
            .collect();
        let picked: Vec<u32> = sample(&many, 4).iter().map(|s| s.id.0).collect();
        assert_eq!(picked, [0, 25, 50, 75]);
        assert_eq!(sample(&many[..3], 64).len(), 3);
    }
}
