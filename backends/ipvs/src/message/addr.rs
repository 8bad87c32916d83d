//! The address attributes (`IPVS_SVC_ATTR_ADDR`, `IPVS_DEST_ATTR_ADDR`): a `union nf_inet_addr`.

use netlink_packet_core::DecodeError;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The kernel's `union nf_inet_addr`: 16 bytes in network order; an IPv4 address fills the first
/// 4 bytes and the rest is zero. The kernel always replies with all 16 bytes, and `ipvsadm`
/// (libipvs) sends all 16, so that is what we send too.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpvsAddr(pub [u8; 16]);

impl IpvsAddr {
    pub const LEN: usize = 16;

    /// Accept the 16-byte union, or a bare 4-byte IPv4 address as some clients send it.
    pub fn parse(value: &[u8]) -> Result<Self, DecodeError> {
        let mut raw = [0u8; 16];
        match value.len() {
            4 | 16 => raw[..value.len()].copy_from_slice(value),
            n => {
                return Err(DecodeError::from(format!(
                    "address is {n} bytes; expected 4 or 16 (union nf_inet_addr)"
                )))
            }
        }
        Ok(Self(raw))
    }

    /// The address read as `family` (`AF_INET` or `AF_INET6`).
    pub fn to_ip(self, family: u16) -> Option<IpAddr> {
        match family {
            super::AF_INET => Some(IpAddr::V4(self.ipv4())),
            super::AF_INET6 => Some(IpAddr::V6(Ipv6Addr::from(self.0))),
            _ => None,
        }
    }

    /// The first 4 bytes as an IPv4 address.
    pub fn ipv4(self) -> Ipv4Addr {
        Ipv4Addr::new(self.0[0], self.0[1], self.0[2], self.0[3])
    }
}

impl From<Ipv4Addr> for IpvsAddr {
    fn from(ip: Ipv4Addr) -> Self {
        let mut raw = [0u8; 16];
        raw[..4].copy_from_slice(&ip.octets());
        Self(raw)
    }
}

impl From<Ipv6Addr> for IpvsAddr {
    fn from(ip: Ipv6Addr) -> Self {
        Self(ip.octets())
    }
}

impl fmt::Debug for IpvsAddr {
    // Shown as IPv4 when it looks like one: that is every address svclab programs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0[4..].iter().all(|b| *b == 0) {
            write!(f, "IpvsAddr({})", self.ipv4())
        } else {
            write!(f, "IpvsAddr({})", Ipv6Addr::from(self.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_fills_the_first_four_bytes() {
        let a = IpvsAddr::from(Ipv4Addr::new(10, 96, 0, 1));
        assert_eq!(a.0, [10, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            a.to_ip(super::super::AF_INET),
            Some(IpAddr::V4(Ipv4Addr::new(10, 96, 0, 1)))
        );
        assert_eq!(IpvsAddr::parse(&[10, 96, 0, 1]).ok(), Some(a));
        assert!(IpvsAddr::parse(&[1, 2, 3]).is_err());
    }
}
