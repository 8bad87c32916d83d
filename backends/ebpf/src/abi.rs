//! The map keys and values shared with `bpf/svclab_lb.bpf.c`, byte for byte.
//!
//! Every struct is `#[repr(C)]` with its padding spelled out as fields, so that a value has no
//! uninitialised bytes: hash maps compare keys as raw bytes, and a stray padding byte would make
//! two equal keys differ. Sizes are asserted here and with `_Static_assert` in the C source.

use std::net::Ipv4Addr;

/// Names of the maps and the program in the BPF object (the C identifiers).
pub const LB4_SERVICES: &str = "LB4_SERVICES";
pub const LB4_BACKENDS: &str = "LB4_BACKENDS";
pub const LB4_REVERSE_NAT: &str = "LB4_REVERSE_NAT";
pub const LB4_EVENTS: &str = "LB4_EVENTS";
pub const CONNECT4_PROGRAM: &str = "svclab_connect4";

/// Indices of `LB4_EVENTS` (`LB4_EV_*` in the C source): races the connect4 program met and
/// retried from the master entry, and connections it refused after the last attempt.
pub const LB4_EV_SLOT_MISSING: u32 = 0;
pub const LB4_EV_BACKEND_MISSING: u32 = 1;
pub const LB4_EV_INCONSISTENT: u32 = 2;
pub const LB4_EV_REJECTED: u32 = 3;
pub const LB4_EVENTS_MAX: u32 = 4;

/// Sizes the C side asserts too (`LB4_*_SIZE` in svclab_lb.bpf.c).
pub const LB4_KEY_SIZE: usize = 12;
pub const LB4_SERVICE_SIZE: usize = 12;
pub const LB4_BACKEND_SIZE: usize = 8;
pub const LB4_REVERSE_NAT_SIZE: usize = 8;

/// `IPPROTO_TCP` / `IPPROTO_UDP`, as `ctx->protocol` reports them.
pub const IPPROTO_TCP: u8 = 6;
pub const IPPROTO_UDP: u8 = 17;

/// `struct lb4_key`: one entry of a Service in `LB4_SERVICES`.
#[doc(alias = "lb4_key")]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Lb4Key {
    /// VIP in network byte order (as `u32::from_ne_bytes(octets)`).
    pub address: u32,
    /// Service port in network byte order.
    pub dport: u16,
    pub proto: u8,
    pub pad: u8,
    /// 0 = master entry, 1..=count = backend slots.
    pub backend_slot: u16,
    pub pad2: u16,
}

/// `struct lb4_service`: the master entry (count) or one backend slot (backend_id).
#[doc(alias = "lb4_service")]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Lb4Service {
    pub backend_id: u32,
    pub count: u16,
    pub rev_nat_index: u16,
    pub flags: u8,
    pub pad: [u8; 3],
}

/// `struct lb4_backend`: one endpoint address, keyed by backend id in `LB4_BACKENDS`.
#[doc(alias = "lb4_backend")]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Lb4Backend {
    pub address: u32,
    pub port: u16,
    pub proto: u8,
    pub flags: u8,
}

/// `struct lb4_reverse_nat`: the VIP a Service's replies are translated back to.
#[doc(alias = "lb4_reverse_nat")]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Lb4ReverseNat {
    pub address: u32,
    pub port: u16,
    pub pad: u16,
}

/// An IPv4 address as the kernel stores `__be32`: the octets in order, read as a native u32.
pub fn be32(addr: Ipv4Addr) -> u32 {
    u32::from_ne_bytes(addr.octets())
}

/// A port as the kernel stores `__be16`.
pub fn be16(port: u16) -> u16 {
    port.to_be()
}

/// Marker for types whose every byte is a field (no padding), so viewing them as bytes is sound.
///
/// # Safety
/// Implement only for integers and `#[repr(C)]` structs of integer fields whose size equals the
/// sum of their fields' sizes: every byte is initialised and every bit pattern is a valid value.
pub unsafe trait Plain: Copy {}

// SAFETY: all four are repr(C) with explicit padding fields; `sizes_match_the_c_side` checks
// that no implicit padding crept in.
unsafe impl Plain for Lb4Key {}
unsafe impl Plain for Lb4Service {}
unsafe impl Plain for Lb4Backend {}
unsafe impl Plain for Lb4ReverseNat {}
unsafe impl Plain for u32 {}
unsafe impl Plain for u16 {}
unsafe impl Plain for u64 {}

/// The bytes of a slice of plain values, laid out as the kernel reads an array of them.
pub fn slice_bytes<T: Plain>(values: &[T]) -> &[u8] {
    // SAFETY: T: Plain has no padding, so every byte of the slice is initialised; the length is
    // the slice's size in bytes and the lifetime is the slice's.
    unsafe {
        std::slice::from_raw_parts(values.as_ptr().cast::<u8>(), std::mem::size_of_val(values))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::size_of;

    #[test]
    fn sizes_match_the_c_side() {
        assert_eq!(size_of::<Lb4Key>(), LB4_KEY_SIZE);
        assert_eq!(size_of::<Lb4Service>(), LB4_SERVICE_SIZE);
        assert_eq!(size_of::<Lb4Backend>(), LB4_BACKEND_SIZE);
        assert_eq!(size_of::<Lb4ReverseNat>(), LB4_REVERSE_NAT_SIZE);
        // No implicit padding: the fields add up to the size.
        assert_eq!(4 + 2 + 1 + 1 + 2 + 2, LB4_KEY_SIZE);
        assert_eq!(4 + 2 + 2 + 1 + 3, LB4_SERVICE_SIZE);
        assert_eq!(4 + 2 + 1 + 1, LB4_BACKEND_SIZE);
        assert_eq!(4 + 2 + 2, LB4_REVERSE_NAT_SIZE);
    }

    #[test]
    fn the_c_source_asserts_the_same_sizes() {
        let c = include_str!("../bpf/svclab_lb.bpf.c");
        for (name, size) in [
            ("LB4_KEY_SIZE", LB4_KEY_SIZE),
            ("LB4_SERVICE_SIZE", LB4_SERVICE_SIZE),
            ("LB4_BACKEND_SIZE", LB4_BACKEND_SIZE),
            ("LB4_REVERSE_NAT_SIZE", LB4_REVERSE_NAT_SIZE),
            ("LB4_EV_SLOT_MISSING", LB4_EV_SLOT_MISSING as usize),
            ("LB4_EV_BACKEND_MISSING", LB4_EV_BACKEND_MISSING as usize),
            ("LB4_EV_INCONSISTENT", LB4_EV_INCONSISTENT as usize),
            ("LB4_EV_REJECTED", LB4_EV_REJECTED as usize),
            ("LB4_EVENTS_MAX", LB4_EVENTS_MAX as usize),
        ] {
            assert!(
                c.contains(&format!("#define {name} {size}\n")),
                "{name} != {size} in C"
            );
        }
    }

    #[test]
    fn key_bytes_are_network_order() {
        let key = Lb4Key {
            address: be32(Ipv4Addr::new(10, 96, 1, 2)),
            dport: be16(8080),
            proto: IPPROTO_TCP,
            pad: 0,
            backend_slot: 3,
            pad2: 0,
        };
        let slot = 3u16.to_ne_bytes();
        assert_eq!(
            slice_bytes(&[key]),
            &[10, 96, 1, 2, 0x1f, 0x90, 6, 0, slot[0], slot[1], 0, 0]
        );
    }
}
