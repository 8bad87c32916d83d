//! Loading the BPF object with aya, sizing its maps, and attaching connect4 to the lab's cgroup.
//!
//! Nothing is pinned: the maps and the program live as long as their file descriptors, so
//! dropping [`Loaded`] frees them and nothing is ever left in /sys/fs/bpf.

use crate::abi::{CONNECT4_PROGRAM, LB4_BACKENDS, LB4_EVENTS, LB4_REVERSE_NAT, LB4_SERVICES};
use crate::cgroup::LabCgroup;
use crate::state::MapCapacity;
use crate::writer::MapSet;
use crate::EbpfError;
use aya::maps::{Map, MapData};
use aya::programs::{CgroupAttachMode, CgroupSockAddr, ProgramError};
use aya::{Ebpf, EbpfLoader};

/// The object build.rs compiled; aya wants it 8-byte aligned, as ELF64 headers are.
static OBJECT: &[u8] = aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/svclab_lb.bpf.o"));

/// The loaded object, its maps, and the cgroup the program is attached to.
pub struct Loaded {
    /// Holds the program (and its link); maps were taken out into `maps`.
    ebpf: Ebpf,
    pub maps: MapSet,
    pub cgroup: LabCgroup,
}

/// Load the object and the program (verifier included) with maps of `capacity`, unattached.
pub fn load(capacity: MapCapacity) -> Result<(Ebpf, MapSet), EbpfError> {
    let mut ebpf = EbpfLoader::new()
        .map_max_entries(LB4_SERVICES, capacity.service_entries)
        .map_max_entries(LB4_BACKENDS, capacity.backends)
        .map_max_entries(LB4_REVERSE_NAT, capacity.rev_nat)
        .load(OBJECT)
        .map_err(|source| EbpfError::Load {
            source: Box::new(source),
        })?;
    connect4(&mut ebpf)?
        .load()
        .map_err(|e| program_error("loading (verifying)", e))?;
    let maps = MapSet {
        services: take_hash_map(&mut ebpf, LB4_SERVICES)?,
        backends: take_hash_map(&mut ebpf, LB4_BACKENDS)?,
        rev_nat: take_hash_map(&mut ebpf, LB4_REVERSE_NAT)?,
        events: match ebpf.take_map(LB4_EVENTS) {
            Some(Map::Array(data)) => data,
            _ => {
                return Err(EbpfError::Missing {
                    what: "array map",
                    name: LB4_EVENTS,
                })
            }
        },
    };
    Ok((ebpf, maps))
}

/// Load everything and attach connect4 to a new lab cgroup.
pub fn load_and_attach(capacity: MapCapacity) -> Result<Loaded, EbpfError> {
    let (mut ebpf, maps) = load(capacity)?;
    let cgroup = LabCgroup::create()?;
    let dir = cgroup.open()?;
    // Single: the program is the only one for this cgroup and its (empty) subtree.
    connect4(&mut ebpf)?
        .attach(dir, CgroupAttachMode::Single)
        .map_err(|e| program_error("attaching to the lab cgroup", e))?;
    Ok(Loaded { ebpf, maps, cgroup })
}

impl Loaded {
    /// Detach and unload the program, then remove the cgroup; the maps go when `self` drops.
    pub fn unload(mut self) -> Result<(), EbpfError> {
        connect4(&mut self.ebpf)?
            .unload()
            .map_err(|e| program_error("detaching and unloading", e))?;
        self.cgroup.remove()
    }
}

fn connect4(ebpf: &mut Ebpf) -> Result<&mut CgroupSockAddr, EbpfError> {
    ebpf.program_mut(CONNECT4_PROGRAM)
        .ok_or(EbpfError::Missing {
            what: "program",
            name: CONNECT4_PROGRAM,
        })?
        .try_into()
        .map_err(|e| program_error("finding", e))
}

fn take_hash_map(ebpf: &mut Ebpf, name: &'static str) -> Result<MapData, EbpfError> {
    match ebpf.take_map(name) {
        Some(Map::HashMap(data)) => Ok(data),
        _ => Err(EbpfError::Missing {
            what: "hash map",
            name,
        }),
    }
}

fn program_error(doing: &str, source: ProgramError) -> EbpfError {
    EbpfError::Program {
        doing: doing.to_string(),
        source: Box::new(source),
    }
}
