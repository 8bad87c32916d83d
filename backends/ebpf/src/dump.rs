//! Reading the maps' contents back from the kernel into a [`Mirror`], batched where the kernel
//! offers `BPF_MAP_LOOKUP_BATCH` (5.6+), key by key otherwise.

use crate::abi::Plain;
use crate::mirror::Mirror;
use crate::sys;
use crate::writer::MapSet;
use crate::EbpfError;
use std::hash::Hash;
use std::os::fd::{AsFd, BorrowedFd};

/// The three maps as the kernel holds them now; `calls` counts the syscalls it took.
pub fn mirror(maps: &MapSet, calls: &mut u32) -> Result<Mirror, EbpfError> {
    Ok(Mirror {
        services: entries(maps.services.fd().as_fd(), "LB4_SERVICES", calls)?,
        backends: entries(maps.backends.fd().as_fd(), "LB4_BACKENDS", calls)?,
        rev_nat: entries(maps.rev_nat.fd().as_fd(), "LB4_REVERSE_NAT", calls)?,
    })
}

fn entries<K, V, M>(fd: BorrowedFd<'_>, map: &'static str, calls: &mut u32) -> Result<M, EbpfError>
where
    K: Plain + Default + Hash + Eq,
    V: Plain + Default,
    M: FromIterator<(K, V)>,
{
    match sys::lookup_batch::<K, V>(fd, calls) {
        Ok(all) => return Ok(all.into_iter().collect()),
        Err(e) if sys::batch_refused(&e) => {}
        Err(source) => return Err(syscall("BPF_MAP_LOOKUP_BATCH", map, source)),
    }
    let keys: Vec<K> = sys::keys(fd).map_err(|e| syscall("BPF_MAP_GET_NEXT_KEY", map, e))?;
    *calls += keys.len() as u32 + 1;
    let mut out = Vec::with_capacity(keys.len());
    for key in keys {
        *calls += 1;
        // A key deleted between the two walks is simply not there any more.
        if let Some(value) =
            sys::lookup_elem(fd, &key).map_err(|e| syscall("BPF_MAP_LOOKUP_ELEM", map, e))?
        {
            out.push((key, value));
        }
    }
    Ok(out.into_iter().collect())
}

fn syscall(command: &'static str, map: &'static str, source: std::io::Error) -> EbpfError {
    EbpfError::Syscall {
        command,
        map,
        source,
    }
}
