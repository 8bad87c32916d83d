//! What the kernel reports about an x_tables table (iptables-legacy): `IPT_SO_GET_INFO`, the
//! query iptables itself starts every read with. `size` is the bytes of the rule blob the kernel
//! holds (one copy, kvmalloc'd; the per-CPU packet counters are allocated beside it).

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// `IPT_BASE_CTL` (64) + 0, from `linux/netfilter_ipv4/ip_tables.h`.
const IPT_SO_GET_INFO: libc::c_int = 64;
/// `XT_TABLE_MAXNAMELEN`.
const TABLE_NAME_LEN: usize = 32;
/// `NF_INET_NUMHOOKS`.
const NUMHOOKS: usize = 5;

/// `struct ipt_getinfo`.
#[doc(alias = "ipt_getinfo")]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
struct IptGetinfo {
    name: [u8; TABLE_NAME_LEN],
    valid_hooks: u32,
    hook_entry: [u32; NUMHOOKS],
    underflow: [u32; NUMHOOKS],
    num_entries: u32,
    size: u32,
}

/// A table's entry count and blob size as the kernel reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableInfo {
    /// Rules in kernel terms: every user rule plus each chain's policy or return entry.
    pub num_entries: u32,
    pub size: u32,
}

/// Ask the kernel of the calling thread's network namespace about `table` (e.g. `nat`).
pub fn table_info(table: &str) -> std::io::Result<TableInfo> {
    let mut info = IptGetinfo {
        name: [0; TABLE_NAME_LEN],
        valid_hooks: 0,
        hook_entry: [0; NUMHOOKS],
        underflow: [0; NUMHOOKS],
        num_entries: 0,
        size: 0,
    };
    let name = table.as_bytes();
    if name.len() >= TABLE_NAME_LEN {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("table name {table:?} is too long"),
        ));
    }
    info.name[..name.len()].copy_from_slice(name);
    // SAFETY: socket(2) takes plain integers; the result is checked before use.
    let raw = unsafe {
        libc::socket(
            libc::AF_INET,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC,
            libc::IPPROTO_RAW,
        )
    };
    if raw < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `raw` was just opened and nothing else owns it.
    let socket = unsafe { OwnedFd::from_raw_fd(raw) };
    let mut len = std::mem::size_of::<IptGetinfo>() as libc::socklen_t;
    // SAFETY: `info` is a live ipt_getinfo of `len` bytes, which the kernel fills in.
    let rc = unsafe {
        libc::getsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_IP,
            IPT_SO_GET_INFO,
            (&mut info as *mut IptGetinfo).cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(TableInfo {
        num_entries: info.num_entries,
        size: info.size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_struct_has_the_kernels_size() {
        // 32 name bytes + valid_hooks + 5 hook entries + 5 underflows + num_entries + size.
        assert_eq!(
            std::mem::size_of::<IptGetinfo>(),
            32 + 4 * (1 + 5 + 5 + 1 + 1)
        );
    }

    #[test]
    fn names_too_long_are_refused_before_the_kernel() {
        let err = table_info(&"x".repeat(40)).expect_err("too long");
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    }
}
