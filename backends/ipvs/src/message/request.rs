//! Typed virtual services and real servers, and the request messages built from them.
//!
//! Which attributes go in follows `ip_vs_genl_parse_service` / `ip_vs_genl_parse_dest`: every
//! service request needs AF and PROTOCOL+ADDR+PORT (or FWMARK); NEW/SET_SERVICE also need
//! SCHED_NAME, FLAGS, TIMEOUT and NETMASK ("full entry", else EINVAL). Dest requests need
//! ADDR and PORT; NEW/SET_DEST also FWD_METHOD, WEIGHT, U_THRESH and L_THRESH.

use super::{DestAttr, IpvsAddr, IpvsAttr, IpvsCmd, IpvsFlags, IpvsMessage, SvcAttr, AF_INET};
use netlink_packet_core::DecodeError;
use std::net::Ipv4Addr;

/// One IPVS virtual service (the kernel's `ip_vs_service_user_kern`, minus fwmark and PE).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VirtualService {
    pub af: u16,
    pub protocol: u16,
    pub addr: IpvsAddr,
    pub port: u16,
    pub sched_name: String,
    pub flags: u32,
    pub timeout: u32,
    pub netmask: u32,
}

impl VirtualService {
    /// An IPv4 service as kube-proxy makes it: no flags, no persistence, netmask /32.
    pub fn ipv4(protocol: u16, addr: Ipv4Addr, port: u16, sched_name: &str) -> Self {
        Self {
            af: AF_INET,
            protocol,
            addr: addr.into(),
            port,
            sched_name: sched_name.to_string(),
            flags: 0,
            timeout: 0,
            netmask: u32::MAX,
        }
    }

    /// The attributes that identify the service (enough for DEL_SERVICE and for dests).
    fn id_attrs(&self) -> Vec<SvcAttr> {
        vec![
            SvcAttr::Af(self.af),
            SvcAttr::Protocol(self.protocol),
            SvcAttr::Addr(self.addr),
            SvcAttr::Port(self.port),
        ]
    }

    /// Identity plus the four options NEW/SET_SERVICE require.
    fn full_attrs(&self) -> Vec<SvcAttr> {
        let mut attrs = self.id_attrs();
        attrs.extend([
            SvcAttr::SchedName(self.sched_name.clone()),
            SvcAttr::Flags(IpvsFlags::exactly(self.flags)),
            SvcAttr::Timeout(self.timeout),
            SvcAttr::Netmask(self.netmask),
        ]);
        attrs
    }

    /// Read a service from a GET_SERVICE reply's `IPVS_CMD_ATTR_SERVICE`.
    pub fn from_attrs(attrs: &[SvcAttr]) -> Result<Self, DecodeError> {
        let mut s = VirtualService::ipv4(0, Ipv4Addr::UNSPECIFIED, 0, "");
        let (mut af, mut addr) = (false, false);
        for attr in attrs {
            match attr {
                SvcAttr::Af(v) => (s.af, af) = (*v, true),
                SvcAttr::Protocol(v) => s.protocol = *v,
                SvcAttr::Addr(v) => (s.addr, addr) = (*v, true),
                SvcAttr::Port(v) => s.port = *v,
                SvcAttr::SchedName(v) => s.sched_name = v.clone(),
                SvcAttr::Flags(f) => s.flags = f.flags,
                SvcAttr::Timeout(v) => s.timeout = *v,
                SvcAttr::Netmask(v) => s.netmask = *v,
                _ => {}
            }
        }
        if !(af && addr) {
            return Err("service without IPVS_SVC_ATTR_AF or IPVS_SVC_ATTR_ADDR".into());
        }
        Ok(s)
    }
}

/// One real server of a virtual service (the kernel's `ip_vs_dest_user_kern`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RealServer {
    pub af: u16,
    pub addr: IpvsAddr,
    pub port: u16,
    pub fwd_method: u32,
    pub weight: u32,
    pub u_thresh: u32,
    pub l_thresh: u32,
}

impl RealServer {
    /// An IPv4 real server with masquerading, weight 1 and no thresholds (kube-proxy's).
    pub fn masq_ipv4(addr: Ipv4Addr, port: u16) -> Self {
        Self {
            af: AF_INET,
            addr: addr.into(),
            port,
            fwd_method: super::IP_VS_CONN_F_MASQ,
            weight: 1,
            u_thresh: 0,
            l_thresh: 0,
        }
    }

    /// ADDR_FAMILY goes with the address as libipvs sends it; kernels before 3.18 ignore it.
    fn id_attrs(&self) -> Vec<DestAttr> {
        vec![
            DestAttr::Addr(self.addr),
            DestAttr::AddrFamily(self.af),
            DestAttr::Port(self.port),
        ]
    }

    fn full_attrs(&self) -> Vec<DestAttr> {
        let mut attrs = self.id_attrs();
        attrs.extend([
            DestAttr::FwdMethod(self.fwd_method),
            DestAttr::Weight(self.weight),
            DestAttr::UThresh(self.u_thresh),
            DestAttr::LThresh(self.l_thresh),
        ]);
        attrs
    }

    /// Read a real server from a GET_DEST reply's `IPVS_CMD_ATTR_DEST`.
    pub fn from_attrs(attrs: &[DestAttr]) -> Result<Self, DecodeError> {
        let mut d = RealServer::masq_ipv4(Ipv4Addr::UNSPECIFIED, 0);
        let mut addr = false;
        for attr in attrs {
            match attr {
                DestAttr::Addr(v) => (d.addr, addr) = (*v, true),
                DestAttr::AddrFamily(v) => d.af = *v,
                DestAttr::Port(v) => d.port = *v,
                DestAttr::FwdMethod(v) => d.fwd_method = *v,
                DestAttr::Weight(v) => d.weight = *v,
                DestAttr::UThresh(v) => d.u_thresh = *v,
                DestAttr::LThresh(v) => d.l_thresh = *v,
                _ => {}
            }
        }
        if !addr {
            return Err("real server without IPVS_DEST_ATTR_ADDR".into());
        }
        Ok(d)
    }
}

/// Request builders, one per command svclab sends.
impl IpvsMessage {
    pub fn new_service(svc: &VirtualService) -> Self {
        Self::new(
            IpvsCmd::NewService,
            vec![IpvsAttr::Service(svc.full_attrs())],
        )
    }

    pub fn set_service(svc: &VirtualService) -> Self {
        Self::new(
            IpvsCmd::SetService,
            vec![IpvsAttr::Service(svc.full_attrs())],
        )
    }

    pub fn del_service(svc: &VirtualService) -> Self {
        Self::new(IpvsCmd::DelService, vec![IpvsAttr::Service(svc.id_attrs())])
    }

    /// GET_SERVICE without attributes; sent with NLM_F_DUMP it lists every service.
    pub fn get_services() -> Self {
        Self::new(IpvsCmd::GetService, vec![])
    }

    pub fn new_dest(svc: &VirtualService, dest: &RealServer) -> Self {
        Self::dest_cmd(IpvsCmd::NewDest, svc, dest.full_attrs())
    }

    pub fn set_dest(svc: &VirtualService, dest: &RealServer) -> Self {
        Self::dest_cmd(IpvsCmd::SetDest, svc, dest.full_attrs())
    }

    pub fn del_dest(svc: &VirtualService, dest: &RealServer) -> Self {
        Self::dest_cmd(IpvsCmd::DelDest, svc, dest.id_attrs())
    }

    /// GET_DEST names its service; sent with NLM_F_DUMP it lists that service's real servers.
    pub fn get_dests(svc: &VirtualService) -> Self {
        Self::new(IpvsCmd::GetDest, vec![IpvsAttr::Service(svc.id_attrs())])
    }

    pub fn flush() -> Self {
        Self::new(IpvsCmd::Flush, vec![])
    }

    pub fn get_info() -> Self {
        Self::new(IpvsCmd::GetInfo, vec![])
    }

    fn dest_cmd(cmd: IpvsCmd, svc: &VirtualService, dest: Vec<DestAttr>) -> Self {
        Self::new(
            cmd,
            vec![IpvsAttr::Service(svc.id_attrs()), IpvsAttr::Dest(dest)],
        )
    }
}
