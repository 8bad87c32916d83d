//! Which targets the first-packet measurement times, and how its connections are laid out: pure.

use crate::datapath::first_packet::ConnectTimes;
use crate::datapath::verdict;
use crate::results::LookupPosition;
use std::net::SocketAddrV4;
use svclab_backend::Service;

/// Connections per client input line: positions take turns in chunks this long, so a change in
/// the machine's load while they run lands on every position alike. On a loaded machine the
/// times switch between a fast and a slow regime every few milliseconds (seen in chunks of 100:
/// whole chunks at 16 µs or at 45 µs), which makes a p50 over long chunks jump between modes.
pub(crate) const CHUNK: usize = 10;
/// Untimed connects to each target first (neighbour entries, caches, the listener's first wake).
pub(crate) const WARMUP: usize = 20;

/// One target of the measurement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub position: LookupPosition,
    /// Index in the Services handed to the sync.
    pub index: Option<usize>,
    pub addr: SocketAddrV4,
}

/// The first, middle and last Service of the order they were synced in (distinct ones only: at
/// 1 Service there is only a first), and an endpoint reached directly, which no Service rule
/// matches.
///
/// svclab's iptables renderer writes KUBE-SERVICES in the order of the Services handed to the
/// sync (`render::full_restore`), and partial syncs in ServiceId order, which the synthetic set
/// follows too; so index i is the (i+1)-th rule an iptables connection walks. The other data
/// planes look up in hashes or a verdict map, where the same Services have no special place.
pub(crate) fn targets(services: &[Service]) -> Vec<Target> {
    let n = services.len();
    let mut out: Vec<Target> = Vec::new();
    let picks = [
        (LookupPosition::First, 0),
        (LookupPosition::Middle, n / 2),
        (LookupPosition::Last, n.saturating_sub(1)),
    ];
    for (position, index) in picks {
        if index >= n || out.iter().any(|t| t.index == Some(index)) {
            continue;
        }
        out.push(Target {
            position,
            index: Some(index),
            addr: verdict::vip(&services[index]),
        });
    }
    if let Some(e) = services.first().and_then(|s| s.endpoints.first()) {
        out.push(Target {
            position: LookupPosition::NonService,
            index: None,
            addr: SocketAddrV4::new(e.addr, e.port),
        });
    }
    out
}

/// The client's input: a warm-up line per target, then `connections` per target in chunks,
/// positions taking turns.
pub(crate) fn lines(targets: &[Target], connections: usize) -> Vec<(SocketAddrV4, usize)> {
    let mut out: Vec<(SocketAddrV4, usize)> = targets.iter().map(|t| (t.addr, WARMUP)).collect();
    let mut left = connections;
    while left > 0 {
        let chunk = left.min(CHUNK);
        out.extend(targets.iter().map(|t| (t.addr, chunk)));
        left -= chunk;
    }
    out
}

/// The answers to [`lines`] gathered per target (warm-up dropped), in `targets` order.
pub(crate) fn gather(targets: &[Target], answers: Vec<ConnectTimes>) -> Vec<ConnectTimes> {
    let mut out: Vec<ConnectTimes> = targets
        .iter()
        .map(|t| ConnectTimes {
            target: t.addr.to_string(),
            ..ConnectTimes::default()
        })
        .collect();
    if targets.is_empty() {
        return out;
    }
    for (i, answer) in answers.into_iter().enumerate().skip(targets.len()) {
        let mine = &mut out[i % targets.len()];
        mine.samples_ns.extend(answer.samples_ns);
        mine.failed += answer.failed;
        for e in answer.errors {
            if mine.errors.len() < 5 {
                mine.errors.push(e);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;
    use svclab_backend::{Endpoint, Protocol, ServiceId};

    fn services(n: u32) -> Vec<Service> {
        (0..n)
            .map(|i| Service {
                id: ServiceId(i),
                namespace: "ns".into(),
                name: format!("s{i}"),
                port_name: "http".into(),
                vip: Ipv4Addr::from(0x0a60_0000 + i),
                port: 80,
                protocol: Protocol::Tcp,
                endpoints: vec![Endpoint {
                    addr: Ipv4Addr::from(0x0af4_0000 + i),
                    port: 8080,
                }],
            })
            .collect()
    }

    fn positions(n: u32) -> Vec<(LookupPosition, Option<usize>)> {
        targets(&services(n))
            .into_iter()
            .map(|t| (t.position, t.index))
            .collect()
    }

    #[test]
    fn first_middle_last_and_a_direct_endpoint() {
        use LookupPosition::*;
        assert_eq!(
            positions(5000),
            [
                (First, Some(0)),
                (Middle, Some(2500)),
                (Last, Some(4999)),
                (NonService, None)
            ]
        );
        assert_eq!(
            positions(2),
            [(First, Some(0)), (Middle, Some(1)), (NonService, None)]
        );
        assert_eq!(positions(1), [(First, Some(0)), (NonService, None)]);
        let direct = targets(&services(3)).pop().expect("a target");
        assert_eq!(direct.addr.to_string(), "10.244.0.0:8080");
    }

    #[test]
    fn lines_interleave_chunks_after_a_warmup_and_gather_undoes_it() {
        let t = targets(&services(10));
        let lines = lines(&t, 25);
        assert_eq!(lines.len(), t.len() * 4);
        assert!(lines[..t.len()].iter().all(|l| l.1 == WARMUP));
        assert_eq!(lines[lines.len() - 1].1, 5);
        let answers: Vec<ConnectTimes> = lines
            .iter()
            .map(|(addr, n)| ConnectTimes {
                target: addr.to_string(),
                samples_ns: vec![1; *n],
                ..ConnectTimes::default()
            })
            .collect();
        let gathered = gather(&t, answers);
        assert!(gathered.iter().all(|g| g.samples_ns.len() == 25));
        assert_eq!(gathered[2].target, t[2].addr.to_string());
    }
}
