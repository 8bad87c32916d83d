//! The raw bpf(2) commands aya 0.14 lacks or hides: batch update, delete and lookup, key
//! iteration for counting, and the program query and detach that clear a dead run's cgroup.
//! Everything that calls `SYS_bpf` directly is in this file.

use crate::abi::{slice_bytes, Plain};
use std::io;
use std::mem::size_of;
use std::os::fd::{AsRawFd, BorrowedFd};

// enum bpf_cmd in <linux/bpf.h>.
const BPF_MAP_LOOKUP_ELEM: libc::c_long = 1;
const BPF_MAP_UPDATE_ELEM: libc::c_long = 2;
const BPF_MAP_DELETE_ELEM: libc::c_long = 3;
const BPF_MAP_GET_NEXT_KEY: libc::c_long = 4;
const BPF_PROG_DETACH: libc::c_long = 9;
const BPF_PROG_GET_FD_BY_ID: libc::c_long = 13;
const BPF_PROG_QUERY: libc::c_long = 16;
const BPF_MAP_LOOKUP_BATCH: libc::c_long = 24;
const BPF_MAP_UPDATE_BATCH: libc::c_long = 26;
const BPF_MAP_DELETE_BATCH: libc::c_long = 27;
/// `BPF_ANY`: create or update.
const BPF_ANY: u64 = 0;
/// The kernel-internal ENOTSUPP that bpf(2) leaks for unsupported batch operations.
pub const ENOTSUPP: i32 = 524;

/// The element commands' part of `union bpf_attr`.
#[repr(C)]
#[derive(Default)]
struct ElemAttr {
    map_fd: u32,
    pad: u32,
    key: u64,
    value_or_next_key: u64,
    flags: u64,
}

/// `union bpf_attr`'s `batch` member, used by `BPF_MAP_*_BATCH`.
#[repr(C)]
#[derive(Default)]
struct BatchAttr {
    in_batch: u64,
    out_batch: u64,
    keys: u64,
    values: u64,
    count: u32,
    map_fd: u32,
    elem_flags: u64,
    flags: u64,
}

fn bpf<T>(cmd: libc::c_long, attr: &mut T) -> io::Result<()> {
    // SAFETY: attr is a live, initialised prefix of union bpf_attr and its exact size is passed;
    // the kernel zero-extends shorter attrs. Pointers inside it point at buffers the caller
    // keeps alive for the duration of the call, of the lengths the map's key/value sizes imply.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            cmd,
            attr as *mut T,
            size_of::<T>() as libc::c_uint,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// True for the errors with which a kernel says "no batch ops for this map", so the caller falls
/// back to one element per syscall.
pub fn batch_refused(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EINVAL | libc::EOPNOTSUPP | ENOTSUPP)
    )
}

pub fn update_elem<K: Plain, V: Plain>(fd: BorrowedFd<'_>, key: &K, value: &V) -> io::Result<()> {
    let mut attr = ElemAttr {
        map_fd: fd.as_raw_fd() as u32,
        key: key as *const K as u64,
        value_or_next_key: value as *const V as u64,
        flags: BPF_ANY,
        ..ElemAttr::default()
    };
    bpf(BPF_MAP_UPDATE_ELEM, &mut attr)
}

pub fn delete_elem<K: Plain>(fd: BorrowedFd<'_>, key: &K) -> io::Result<()> {
    let mut attr = ElemAttr {
        map_fd: fd.as_raw_fd() as u32,
        key: key as *const K as u64,
        ..ElemAttr::default()
    };
    bpf(BPF_MAP_DELETE_ELEM, &mut attr)
}

/// A batch command that stopped early: how many elements the kernel had done, and why it stopped.
#[derive(Debug)]
pub struct Partial {
    pub done: usize,
    pub error: io::Error,
}

/// `BPF_MAP_UPDATE_BATCH` of `keys[i] → values[i]` in one syscall.
pub fn update_batch<K: Plain, V: Plain>(
    fd: BorrowedFd<'_>,
    keys: &[K],
    values: &[V],
) -> Result<(), Partial> {
    assert_eq!(keys.len(), values.len(), "one value per key");
    let mut attr = BatchAttr {
        keys: slice_bytes(keys).as_ptr() as u64,
        values: slice_bytes(values).as_ptr() as u64,
        count: keys.len() as u32,
        map_fd: fd.as_raw_fd() as u32,
        elem_flags: BPF_ANY,
        ..BatchAttr::default()
    };
    batch(BPF_MAP_UPDATE_BATCH, &mut attr)
}

/// `BPF_MAP_DELETE_BATCH` of `keys` in one syscall; stops at the first missing key (ENOENT).
pub fn delete_batch<K: Plain>(fd: BorrowedFd<'_>, keys: &[K]) -> Result<(), Partial> {
    let mut attr = BatchAttr {
        keys: slice_bytes(keys).as_ptr() as u64,
        count: keys.len() as u32,
        map_fd: fd.as_raw_fd() as u32,
        ..BatchAttr::default()
    };
    batch(BPF_MAP_DELETE_BATCH, &mut attr)
}

fn batch(cmd: libc::c_long, attr: &mut BatchAttr) -> Result<(), Partial> {
    if attr.count == 0 {
        return Ok(()); // the kernel treats count 0 as a no-op anyway; save the syscall
    }
    // On failure the kernel writes back in `count` how many elements it processed.
    bpf(cmd, attr).map_err(|error| Partial {
        done: attr.count as usize,
        error,
    })
}

/// Every key the map holds, read from the kernel with `BPF_MAP_GET_NEXT_KEY`.
pub fn keys<K: Plain + Default>(fd: BorrowedFd<'_>) -> io::Result<Vec<K>> {
    let mut keys = Vec::new();
    let mut next = K::default();
    // A null key asks for the first key (kernel 4.12+).
    let mut prev: Option<K> = None;
    loop {
        let mut attr = ElemAttr {
            map_fd: fd.as_raw_fd() as u32,
            key: prev.as_ref().map_or(0, |k| k as *const K as u64),
            value_or_next_key: &mut next as *mut K as u64,
            ..ElemAttr::default()
        };
        match bpf(BPF_MAP_GET_NEXT_KEY, &mut attr) {
            Ok(()) => {
                keys.push(next);
                prev = Some(next);
            }
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => return Ok(keys),
            Err(e) => return Err(e),
        }
    }
}

/// `BPF_MAP_LOOKUP_ELEM`: the value of `key`, or `None` when it is not there.
pub fn lookup_elem<K: Plain, V: Plain + Default>(
    fd: BorrowedFd<'_>,
    key: &K,
) -> io::Result<Option<V>> {
    let mut value = V::default();
    let mut attr = ElemAttr {
        map_fd: fd.as_raw_fd() as u32,
        key: key as *const K as u64,
        value_or_next_key: &mut value as *mut V as u64,
        ..ElemAttr::default()
    };
    match bpf(BPF_MAP_LOOKUP_ELEM, &mut attr) {
        Ok(()) => Ok(Some(value)),
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Entries asked for per `BPF_MAP_LOOKUP_BATCH`; a hash bucket larger than this would get
/// ENOSPC, far beyond any bucket of these maps.
const DUMP_CHUNK: usize = 4096;

/// Every entry of a hash map by `BPF_MAP_LOOKUP_BATCH` (kernel 5.6+), one syscall per
/// [`DUMP_CHUNK`] entries; `calls` counts the syscalls. Errors as the kernel gave them, so the
/// caller can tell a refusal ([`batch_refused`]) from a failure.
pub fn lookup_batch<K: Plain + Default, V: Plain + Default>(
    fd: BorrowedFd<'_>,
    calls: &mut u32,
) -> io::Result<Vec<(K, V)>> {
    let mut out = Vec::new();
    let mut keys = vec![K::default(); DUMP_CHUNK];
    let mut values = vec![V::default(); DUMP_CHUNK];
    // The kernel's opaque position (a bucket index for hash maps), at most a key in size.
    let (mut position, mut next) = ([0u64; 4], [0u64; 4]);
    let mut first = true;
    loop {
        let mut attr = BatchAttr {
            in_batch: if first { 0 } else { position.as_ptr() as u64 },
            out_batch: next.as_mut_ptr() as u64,
            keys: keys.as_mut_ptr() as u64,
            values: values.as_mut_ptr() as u64,
            count: DUMP_CHUNK as u32,
            map_fd: fd.as_raw_fd() as u32,
            ..BatchAttr::default()
        };
        *calls += 1;
        let result = bpf(BPF_MAP_LOOKUP_BATCH, &mut attr);
        // On success and on ENOENT (the end) `count` says how many entries were filled in.
        let done = match result {
            Ok(()) => false,
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => true,
            Err(e) => return Err(e),
        };
        let n = (attr.count as usize).min(DUMP_CHUNK);
        out.extend(keys[..n].iter().copied().zip(values[..n].iter().copied()));
        if done {
            return Ok(out);
        }
        position = next;
        first = false;
    }
}

/// `union bpf_attr`'s `query` member (BPF_PROG_QUERY), up to `prog_cnt`.
#[repr(C)]
#[derive(Default)]
struct QueryAttr {
    target_fd: u32,
    attach_type: u32,
    query_flags: u32,
    attach_flags: u32,
    prog_ids: u64,
    prog_cnt: u32,
    pad: u32,
}

/// Ids of the programs attached to the cgroup `cgroup` for `attach_type` (at most 64).
pub fn prog_query(cgroup: BorrowedFd<'_>, attach_type: u32) -> io::Result<Vec<u32>> {
    let mut ids = [0u32; 64];
    let mut attr = QueryAttr {
        target_fd: cgroup.as_raw_fd() as u32,
        attach_type,
        prog_ids: ids.as_mut_ptr() as u64,
        prog_cnt: ids.len() as u32,
        ..QueryAttr::default()
    };
    bpf(BPF_PROG_QUERY, &mut attr)?;
    Ok(ids[..(attr.prog_cnt as usize).min(ids.len())].to_vec())
}

/// A file descriptor of the program with id `id` (BPF_PROG_GET_FD_BY_ID).
pub fn prog_fd_by_id(id: u32) -> io::Result<std::os::fd::OwnedFd> {
    #[repr(C)]
    #[derive(Default)]
    struct GetIdAttr {
        id: u32,
        next_id: u32,
        open_flags: u32,
    }
    let mut attr = GetIdAttr {
        id,
        ..GetIdAttr::default()
    };
    // SAFETY: as in bpf(); the attr is a prefix of union bpf_attr of the size passed.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            BPF_PROG_GET_FD_BY_ID,
            &mut attr as *mut GetIdAttr,
            size_of::<GetIdAttr>() as libc::c_uint,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: on success the kernel returned a new file descriptor that nothing else owns.
    Ok(unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(rc as i32) })
}

/// Detach program `prog` from cgroup `cgroup` (BPF_PROG_DETACH; a program attached through a
/// link is detached when the link's last fd closes instead).
pub fn prog_detach(
    cgroup: BorrowedFd<'_>,
    prog: BorrowedFd<'_>,
    attach_type: u32,
) -> io::Result<()> {
    #[repr(C)]
    #[derive(Default)]
    struct DetachAttr {
        target_fd: u32,
        attach_bpf_fd: u32,
        attach_type: u32,
        attach_flags: u32,
        replace_bpf_fd: u32,
    }
    let mut attr = DetachAttr {
        target_fd: cgroup.as_raw_fd() as u32,
        attach_bpf_fd: prog.as_raw_fd() as u32,
        attach_type,
        ..DetachAttr::default()
    };
    bpf(BPF_PROG_DETACH, &mut attr)
}
