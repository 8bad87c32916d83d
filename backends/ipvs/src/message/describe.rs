//! A one-line description of a request, for errors ("NEW_DEST 10.96.0.1:80/tcp -> 10.244.0.2:8080").

use super::{IpvsCmd, IpvsMessage, RealServer, VirtualService, AF_INET};

impl IpvsMessage {
    /// The kernel's command name and the service (and real server) the request names.
    pub fn describe(&self) -> String {
        let mut text = cmd_name(self.cmd);
        if let Some(svc) = self.service_attrs() {
            if let Ok(svc) = VirtualService::from_attrs(svc) {
                text.push(' ');
                text.push_str(&service_text(&svc));
            }
        }
        if let Some(dest) = self.dest_attrs() {
            if let Ok(dest) = RealServer::from_attrs(dest) {
                text.push_str(&format!(" -> {}", endpoint(dest.af, dest.addr, dest.port)));
            }
        }
        text
    }
}

/// `10.96.0.1:80/tcp`.
pub fn service_text(svc: &VirtualService) -> String {
    let proto = match svc.protocol {
        6 => "tcp".to_string(),
        17 => "udp".to_string(),
        132 => "sctp".to_string(),
        n => format!("proto{n}"),
    };
    format!("{}/{proto}", endpoint(svc.af, svc.addr, svc.port))
}

fn endpoint(af: u16, addr: super::IpvsAddr, port: u16) -> String {
    match addr.to_ip(af) {
        Some(ip) if af == AF_INET => format!("{ip}:{port}"),
        Some(ip) => format!("[{ip}]:{port}"),
        None => format!("{addr:?}:{port}"),
    }
}

/// The kernel's name for a command, as `ip_vs.h` spells it.
pub fn cmd_name(cmd: IpvsCmd) -> String {
    let name = match cmd {
        IpvsCmd::NewService => "NEW_SERVICE",
        IpvsCmd::SetService => "SET_SERVICE",
        IpvsCmd::DelService => "DEL_SERVICE",
        IpvsCmd::GetService => "GET_SERVICE",
        IpvsCmd::NewDest => "NEW_DEST",
        IpvsCmd::SetDest => "SET_DEST",
        IpvsCmd::DelDest => "DEL_DEST",
        IpvsCmd::GetDest => "GET_DEST",
        IpvsCmd::SetInfo => "SET_INFO",
        IpvsCmd::GetInfo => "GET_INFO",
        IpvsCmd::Flush => "FLUSH",
        IpvsCmd::Other(n) => return format!("IPVS command {n}"),
    };
    format!("IPVS_CMD_{name}")
}
