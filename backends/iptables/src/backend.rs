//! `IptablesBackend`: kube-proxy's nat layout programmed through restore or per-rule commands.

use crate::commands;
use crate::layout::Layout;
use crate::lock;
use crate::render::{self, PartialSync};
use crate::save_count::count_nat;
use crate::table_info;
use crate::variant::Variant;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use svclab_backend::tool::{self, ToolRun};
use svclab_backend::{
    ensure_not_host_netns, Availability, BackendConfig, BackendError, Endpoint, KernelMemory,
    ObjectCount, OpReport, Service, ServiceBackend, ServiceId, WriteKind,
};

/// Seconds an iptables tool waits for the xtables lock before giving up.
const LOCK_WAIT_SECS: &str = "5";

pub struct IptablesBackend {
    variant: Variant,
    config: BackendConfig,
    /// What was programmed, to render partial syncs (never used to count kernel objects).
    programmed: BTreeMap<ServiceId, Layout>,
    touched: bool,
    /// This sandbox's own xtables lock file (see `lock`): the host's is never taken.
    lock_file: PathBuf,
}

impl IptablesBackend {
    /// A backend for the calling thread's network namespace, which must not be the host's.
    pub fn new(variant: Variant, config: BackendConfig) -> Result<Self, BackendError> {
        ensure_not_host_netns()?;
        Ok(Self {
            variant,
            config,
            programmed: BTreeMap::new(),
            touched: false,
            lock_file: lock::private_lock_file()?,
        })
    }

    fn program(&self, name: &str) -> Result<PathBuf, BackendError> {
        tool::find_program(name).ok_or_else(|| BackendError::ToolMissing {
            tool: name.to_string(),
            fix: "install the Debian package iptables (scripts/setup.sh does)".into(),
        })
    }

    fn run(
        &self,
        program: &str,
        args: &[&str],
        input: Option<&[u8]>,
        deadline: Instant,
        doing: &str,
    ) -> Result<ToolRun, BackendError> {
        let path = self.program(program)?;
        let env = [(lock::LOCKFILE_ENV, self.lock_file.as_path())];
        tool::run_with_env(
            &path,
            args,
            &env,
            input,
            deadline,
            &self.config.cancel,
            doing,
        )
    }

    /// The xtables lock file this backend's tools take (iptables-legacy's `-w` lock).
    pub fn lock_file(&self) -> &std::path::Path {
        &self.lock_file
    }

    fn deadline(&self) -> Instant {
        Instant::now() + self.config.step_timeout
    }

    /// One restore process; `noflush` keeps chains the input does not declare.
    fn restore(
        &mut self,
        text: &str,
        noflush: bool,
        doing: &str,
    ) -> Result<Duration, BackendError> {
        let mut args = vec!["-w", LOCK_WAIT_SECS];
        if noflush {
            args.push("--noflush");
        }
        self.touched = true;
        let run = self.run(
            self.variant.restore_program(),
            &args,
            Some(text.as_bytes()),
            self.deadline(),
            doing,
        )?;
        Ok(run.elapsed)
    }

    /// Run each argv as one `iptables -w -t nat ...` process, timing only the processes.
    fn commands(&mut self, argvs: &[Vec<String>], doing: &str) -> Result<Duration, BackendError> {
        let deadline = self.deadline();
        self.touched = true;
        let mut total = Duration::ZERO;
        for argv in argvs {
            let mut args: Vec<&str> = vec!["-w", LOCK_WAIT_SECS, "-t", "nat"];
            args.extend(argv.iter().map(String::as_str));
            total += self
                .run(self.variant.rule_program(), &args, None, deadline, doing)?
                .elapsed;
        }
        Ok(total)
    }

    fn partial(
        &mut self,
        changed: &[&Layout],
        deleted_chains: &[String],
        started: Instant,
        doing: &str,
    ) -> Result<OpReport, BackendError> {
        let all: Vec<&Layout> = self.programmed.values().collect();
        let text = render::partial_restore(&PartialSync {
            all: &all,
            changed,
            deleted_chains,
            cluster_cidr: self.config.cluster_cidr,
        });
        let prepare = started.elapsed();
        let commit = self.restore(&text, true, doing)?;
        Ok(OpReport {
            prepare,
            commit,
            kernel_calls: 1,
            objects_written: count_rule_lines(&text),
            write: Some(WriteKind::Partial),
        })
    }

    fn by_commands(
        &mut self,
        argvs: Vec<Vec<String>>,
        prepare: Duration,
        doing: &str,
    ) -> Result<OpReport, BackendError> {
        let commit = self.commands(&argvs, doing)?;
        Ok(OpReport {
            prepare,
            commit,
            kernel_calls: argvs.len() as u32,
            objects_written: argvs.iter().filter(|a| commands::is_rule_verb(a)).count() as u64,
            write: Some(WriteKind::PerRule),
        })
    }

    fn programmed_layout(&self, id: ServiceId) -> Result<Layout, BackendError> {
        self.programmed
            .get(&id)
            .cloned()
            .ok_or(BackendError::UnknownService { id })
    }

    fn version(&self, program: &str) -> Result<String, BackendError> {
        let run = self.run(
            program,
            &["--version"],
            None,
            self.deadline(),
            "asking its version",
        )?;
        Ok(run.stdout.trim().to_string())
    }
}

fn count_rule_lines(text: &str) -> u64 {
    text.lines().filter(|l| l.starts_with("-A ")).count() as u64
}

impl ServiceBackend for IptablesBackend {
    fn name(&self) -> &str {
        self.variant.name()
    }

    fn probe(&self) -> Availability {
        let mut needed = vec![self.variant.restore_program(), self.variant.save_program()];
        if self.variant == Variant::Cmd {
            needed.push(self.variant.rule_program());
        }
        for program in needed {
            if tool::find_program(program).is_none() {
                return Availability::Unavailable {
                    reason: format!("{program} is not installed"),
                    fix: "install the Debian package iptables (scripts/setup.sh does)".into(),
                };
            }
        }
        let version = match self.version(self.variant.rule_program()) {
            Ok(v) => v,
            Err(e) => {
                return Availability::Unavailable {
                    reason: format!("{} does not run: {e}", self.variant.rule_program()),
                    fix: "reinstall the Debian package iptables".into(),
                }
            }
        };
        // Reading the nat table needs the kernel side (x_tables nat or nf_tables).
        let read = self.run(
            self.variant.save_program(),
            &["-t", "nat"],
            None,
            self.deadline(),
            "reading the nat table",
        );
        match read {
            Ok(_) => Availability::Available { detail: version },
            Err(e) => Availability::Unavailable {
                reason: format!("the kernel refuses the nat table: {e}"),
                fix: match self.variant {
                    Variant::Nft => "use a kernel with CONFIG_NF_TABLES and CONFIG_NFT_NAT".into(),
                    _ => "use a kernel with CONFIG_IP_NF_IPTABLES and CONFIG_IP_NF_NAT (or load iptable_nat)".into(),
                },
            },
        }
    }

    fn sync(&mut self, services: &[Service]) -> Result<OpReport, BackendError> {
        let started = Instant::now();
        let mut ids = BTreeSet::new();
        if let Some(dup) = services.iter().find(|s| !ids.insert(s.id)) {
            return Err(BackendError::DuplicateService { id: dup.id });
        }
        // Like kube-proxy's service map, names computed for an unchanged Service are reused:
        // a periodic resync of the same set hashes nothing.
        let layouts: Vec<Layout> = services
            .iter()
            .map(|svc| match self.programmed.get(&svc.id) {
                Some(known) if known.service == *svc => known.clone(),
                _ => Layout::new(svc),
            })
            .collect();
        let text = render::full_restore(&layouts, self.config.cluster_cidr);
        let prepare = started.elapsed();
        let doing = format!("full sync of {} services", services.len());
        let commit = self.restore(&text, false, &doing)?;
        let objects_written = render::full_restore_rules(&layouts);
        self.programmed = layouts.into_iter().map(|l| (l.service.id, l)).collect();
        Ok(OpReport {
            prepare,
            commit,
            kernel_calls: 1,
            objects_written,
            write: Some(WriteKind::Full),
        })
    }

    fn add(&mut self, service: &Service) -> Result<OpReport, BackendError> {
        if self.programmed.contains_key(&service.id) {
            return Err(BackendError::DuplicateService { id: service.id });
        }
        let doing = format!("adding service {}", service.id);
        let started = Instant::now();
        let layout = Layout::new(service);
        self.programmed.insert(service.id, layout.clone());
        let result = match self.variant {
            Variant::Legacy | Variant::Nft => self.partial(&[&layout], &[], started, &doing),
            Variant::Cmd => {
                let argvs = commands::add(&layout, self.config.cluster_cidr);
                self.by_commands(argvs, started.elapsed(), &doing)
            }
        };
        if result.is_err() {
            self.programmed.remove(&service.id);
        }
        result
    }

    fn remove(&mut self, id: ServiceId) -> Result<OpReport, BackendError> {
        let started = Instant::now();
        let old = self.programmed_layout(id)?;
        let doing = format!("removing service {id}");
        self.programmed.remove(&id);
        let chains = old.chains();
        let result = match self.variant {
            Variant::Legacy | Variant::Nft => self.partial(&[], &chains, started, &doing),
            Variant::Cmd => {
                let argvs = commands::remove(&old, self.config.cluster_cidr);
                self.by_commands(argvs, started.elapsed(), &doing)
            }
        };
        if result.is_err() {
            self.programmed.insert(id, old);
        }
        result
    }

    fn update_endpoints(
        &mut self,
        id: ServiceId,
        endpoints: &[Endpoint],
    ) -> Result<OpReport, BackendError> {
        let started = Instant::now();
        let old = self.programmed_layout(id)?;
        let doing = format!("updating the endpoints of service {id}");
        let mut service = old.service.clone();
        service.endpoints = endpoints.to_vec();
        let new = Layout::new(&service);
        let old_chains = old.chains();
        let new_chains = new.chains();
        let stale: Vec<String> = old_chains
            .iter()
            .filter(|c| !new_chains.contains(c))
            .cloned()
            .collect();
        self.programmed.insert(id, new.clone());
        let result = match self.variant {
            Variant::Legacy | Variant::Nft => self.partial(&[&new], &stale, started, &doing),
            Variant::Cmd => {
                let argvs = commands::update(&new, &old_chains, &stale, self.config.cluster_cidr);
                self.by_commands(argvs, started.elapsed(), &doing)
            }
        };
        if result.is_err() {
            self.programmed.insert(id, old);
        }
        result
    }

    fn kernel_objects(&mut self) -> Result<ObjectCount, BackendError> {
        let run = self.run(
            self.variant.save_program(),
            &["-t", "nat"],
            None,
            self.deadline(),
            "reading the nat table back",
        )?;
        let counts = count_nat(&run.stdout)?;
        Ok(ObjectCount::new()
            .with("rules", counts.rules)
            .with("chains", counts.chains))
    }

    fn expected_objects(&self, services: &[Service]) -> ObjectCount {
        let rules: u64 = services
            .iter()
            .map(|s| render::rules_per_service(s.endpoints.len()))
            .sum();
        let chains: u64 = services
            .iter()
            .map(|s| render::chains_per_service(s.endpoints.len()))
            .sum();
        let fixed_chains = (render::BUILTIN_CHAINS.len() + render::FIXED_CHAINS.len()) as u64;
        ObjectCount::new()
            .with("rules", render::FIXED_RULES + rules)
            .with("chains", fixed_chains + chains)
    }

    /// iptables-legacy (and -cmd): the nat table's blob size from `IPT_SO_GET_INFO`. The
    /// nf_tables kernel reports no size per object: `None`, the lab measures slab growth.
    fn kernel_memory(&mut self) -> Result<Option<KernelMemory>, BackendError> {
        if self.variant == Variant::Nft {
            return Ok(None);
        }
        let info = table_info::table_info("nat").map_err(|source| BackendError::Io {
            doing: "asking the kernel for the nat table's size (IPT_SO_GET_INFO)".into(),
            source,
        })?;
        Ok(Some(KernelMemory {
            bytes: u64::from(info.size),
            source: format!(
                "IPT_SO_GET_INFO size of the nat table ({} entries; per-CPU counters not included)",
                info.num_entries
            ),
        }))
    }

    fn cleanup(&mut self) -> Result<(), BackendError> {
        if !self.touched {
            return Ok(());
        }
        // Without --noflush, restore empties every chain and deletes the user-defined ones.
        let empty = "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n";
        self.restore(empty, false, "cleaning up")?;
        self.programmed.clear();
        self.touched = false;
        Ok(())
    }
}

impl Drop for IptablesBackend {
    fn drop(&mut self) {
        if let Err(e) = self.cleanup() {
            tracing::debug!(backend = self.variant.name(), error = %e, "cleanup on drop failed");
        }
        // iptables leaves its lock file behind; the sandbox's file dies with the backend.
        let _ = std::fs::remove_file(&self.lock_file);
    }
}
