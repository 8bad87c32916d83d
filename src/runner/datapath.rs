//! The data path inside a scale point: probes after each step, connection latency, disruption.
//! Nothing here is inside a timed call.

use super::first_packet;
use crate::datapath::{client, verdict, ConnResult, DatapathError, ProbeClient, Topology};
use crate::scenario::DatapathPlan;
use crate::synth::SyntheticSet;
use std::collections::BTreeSet;
use std::net::SocketAddrV4;
use std::time::Duration;
use svclab_backend::{CancelFlag, Service, ServiceBackend};

/// Services whose every endpoint must be seen after a sync (load balancing happens).
const BALANCE_SERVICES: usize = 8;
/// Connections per endpoint for the balance check: misses one endpoint of two with p ≈ 2^-15.
const BALANCE_PER_ENDPOINT: usize = 8;
/// Failure lines kept in one probe record.
const MAX_FAILURES: usize = 20;

/// Probe results of one kind of step, gathered over its repetitions.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    pub services_checked: usize,
    pub connections: usize,
    pub failures: Vec<String>,
}

impl Tally {
    fn add(&mut self, services: usize, results: &[ConnResult], failures: Vec<String>) {
        self.services_checked += services;
        self.connections += results.len();
        for f in failures {
            if self.failures.len() < MAX_FAILURES {
                self.failures.push(f);
            }
        }
    }

    pub fn ok(&self) -> bool {
        self.failures.is_empty()
    }
}

pub(crate) struct DataPath {
    client: ProbeClient,
    plan: DatapathPlan,
    _topology: Topology,
}

impl DataPath {
    /// Build the topology in the calling (sandbox) thread's namespace.
    pub fn build(
        plan: &DatapathPlan,
        set: &SyntheticSet,
        cancel: &CancelFlag,
    ) -> Result<Self, DatapathError> {
        let ports: BTreeSet<u16> = set
            .services
            .iter()
            .flat_map(|s| s.endpoints.iter().map(|e| e.port))
            .chain(set.spare_endpoints.iter().map(|e| e.port))
            .collect();
        Ok(Self {
            _topology: Topology::build(ports.into_iter().collect())?,
            client: ProbeClient {
                binary: client::svclab_binary()?,
                cgroup: None,
                timeout: plan.timeout,
                cancel: cancel.clone(),
            },
            plan: plan.clone(),
        })
    }

    /// Clients must join the backend's cgroup when it has one (socket-level load balancers).
    pub fn follow(&mut self, backend: &dyn ServiceBackend) {
        self.client.cgroup = backend.client_cgroup();
    }

    /// After a sync: one connection to each sampled VIP, and repeated ones to a few of them.
    pub fn probe_set(&self, services: &[Service], tally: &mut Tally) -> Result<(), DatapathError> {
        let sampled = verdict::sample(services, self.plan.sample);
        let targets: Vec<(SocketAddrV4, usize)> = sampled
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let count = if i < BALANCE_SERVICES {
                    BALANCE_PER_ENDPOINT * s.endpoints.len().max(1)
                } else {
                    1
                };
                (verdict::vip(s), count)
            })
            .collect();
        let results = self.client.connect(&targets)?;
        let mut rest = results.as_slice();
        for ((svc, (_, count)), i) in sampled.iter().zip(&targets).zip(0..) {
            // `connect` answers exactly one result per connection asked for.
            let (mine, after) = rest.split_at(*count);
            rest = after;
            let mut failures = verdict::translated(svc, mine);
            if i < BALANCE_SERVICES && failures.is_empty() {
                failures.extend(verdict::balanced(svc, mine));
            }
            tally.add(1, mine, failures);
        }
        Ok(())
    }

    /// After an add or an update: connections to `svc` land on its (new) endpoints.
    pub fn probe_service(&self, svc: &Service, tally: &mut Tally) -> Result<(), DatapathError> {
        let results = self
            .client
            .connect(&[(verdict::vip(svc), 2 * svc.endpoints.len().max(1))])?;
        tally.add(1, &results, verdict::translated(svc, &results));
        Ok(())
    }

    /// After a remove: nothing reaches the removed Service's endpoints through its VIP.
    pub fn probe_removed(&self, svc: &Service, tally: &mut Tally) -> Result<(), DatapathError> {
        let results = self.client.connect(&[(verdict::vip(svc), 1)])?;
        tally.add(1, &results, verdict::not_translated(svc, &results));
        Ok(())
    }

    /// Connect + first byte through VIPs of sampled Services, and straight to their endpoints.
    pub fn latency(
        &self,
        services: &[Service],
    ) -> Result<(Vec<ConnResult>, Vec<ConnResult>), DatapathError> {
        let sampled = verdict::sample(services, self.plan.sample);
        let rounds = self.plan.latency_samples;
        let vips: Vec<(SocketAddrV4, usize)> = (0..rounds)
            .map(|i| (verdict::vip(sampled[i % sampled.len()]), 1))
            .collect();
        let direct: Vec<(SocketAddrV4, usize)> = (0..rounds)
            .filter_map(|i| {
                let svc = sampled[i % sampled.len()];
                svc.endpoints
                    .get(i % svc.endpoints.len().max(1))
                    .map(|e| (SocketAddrV4::new(e.addr, e.port), 1))
            })
            .collect();
        Ok((self.client.connect(&vips)?, self.client.connect(&direct)?))
    }

    /// `connect(2)` alone, `connections` times per lookup position (see [`first_packet`]), and
    /// connect + first byte `latency_samples` times per position; the times per target, in the
    /// order of the returned targets.
    pub fn first_packet(
        &self,
        services: &[Service],
        connections: usize,
    ) -> Result<FirstPacketTimes, DatapathError> {
        let targets = first_packet::targets(services);
        let answers = self
            .client
            .first_packet(&first_packet::lines(&targets, connections))?;
        let connect = first_packet::gather(&targets, answers);
        let per_target: Vec<(SocketAddrV4, usize)> = targets
            .iter()
            .map(|t| (t.addr, self.plan.latency_samples))
            .collect();
        let results = self.client.connect(&per_target)?;
        let first_byte = results
            .chunks(self.plan.latency_samples.max(1))
            .map(|chunk| chunk.to_vec())
            .collect();
        Ok(FirstPacketTimes {
            targets,
            connect,
            first_byte,
        })
    }

    /// Start new and long-lived connections to `stable` until the returned stream is finished.
    pub fn stream(
        &self,
        stable: &Service,
        interval: Duration,
        long_lived: usize,
    ) -> Result<crate::datapath::client::Stream, DatapathError> {
        self.client
            .stream(verdict::vip(stable), interval, long_lived)
    }
}

/// What [`DataPath::first_packet`] measured: per target, `connect` times and connect + first
/// byte results.
pub(crate) struct FirstPacketTimes {
    pub targets: Vec<first_packet::Target>,
    pub connect: Vec<crate::datapath::first_packet::ConnectTimes>,
    pub first_byte: Vec<Vec<ConnResult>>,
}

/// Samples of the connections that succeeded, and how many failed.
pub(crate) fn latencies(results: &[ConnResult]) -> (Vec<u64>, usize) {
    let ok: Vec<u64> = results
        .iter()
        .filter(|r| r.reached.is_some())
        .map(|r| r.ns)
        .collect();
    let failed = results.len() - ok.len();
    (ok, failed)
}
