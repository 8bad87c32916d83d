//! Writing numbers and addresses into rule text without `fmt`: at 160,000 rules per full sync
//! the formatting machinery is a visible share of the userspace work.

use std::net::Ipv4Addr;
use svclab_backend::Endpoint;

pub fn push_num(out: &mut String, n: impl itoa::Integer) {
    out.push_str(itoa::Buffer::new().format(n));
}

/// Dotted quad.
pub fn push_ip(out: &mut String, ip: Ipv4Addr) {
    let [a, b, c, d] = ip.octets();
    push_num(out, a);
    out.push('.');
    push_num(out, b);
    out.push('.');
    push_num(out, c);
    out.push('.');
    push_num(out, d);
}

/// `address:port`, as kube-proxy prints an endpoint.
pub fn push_endpoint(out: &mut String, ep: &Endpoint) {
    push_ip(out, ep.addr);
    out.push(':');
    push_num(out, ep.port);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_display() {
        let ep = Endpoint {
            addr: Ipv4Addr::new(10, 244, 0, 255),
            port: 8080,
        };
        let mut out = String::new();
        push_endpoint(&mut out, &ep);
        assert_eq!(out, ep.to_string());
    }
}
