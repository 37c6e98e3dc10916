//! Address classes: what an address is before anyone asks where it is.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub const PUBLIC: &str = "public";
pub const PRIVATE: &str = "private";
pub const LOOPBACK: &str = "loopback";
pub const LINK_LOCAL: &str = "link_local";
pub const CGNAT: &str = "cgnat";
pub const RESERVED: &str = "reserved";
pub const AWS_SERVICE: &str = "aws_service";
pub const AWS_INTERNAL: &str = "aws_internal";
pub const UNIX_SOCKET: &str = "unix_socket";
pub const INVALID: &str = "invalid";

/// The class of a logged client address, and the address when it is one. Service callers
/// (`s3.amazonaws.com`, `AWS Internal`) are classes of their own, never bad IPs.
pub fn classify(src_ip: &str, caller_kind: Option<&str>) -> (&'static str, Option<IpAddr>) {
    match caller_kind {
        Some("aws_service") => return (AWS_SERVICE, None),
        Some("aws_internal") => return (AWS_INTERNAL, None),
        _ => {}
    }
    let text = src_ip.trim();
    if text.starts_with("unix:") {
        return (UNIX_SOCKET, None);
    }
    let Ok(ip) = text.parse::<IpAddr>() else {
        return (INVALID, None);
    };
    let class = match ip {
        IpAddr::V4(v4) => class_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => class_v4(v4),
            None => class_v6(v6),
        },
    };
    (class, Some(ip))
}

fn class_v4(ip: Ipv4Addr) -> &'static str {
    let o = ip.octets();
    if ip.is_loopback() {
        LOOPBACK
    } else if ip.is_private() {
        PRIVATE
    } else if ip.is_link_local() {
        LINK_LOCAL
    } else if o[0] == 100 && (64..128).contains(&o[1]) {
        CGNAT
    } else if ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || o[0] >= 240
        || o[0] == 0
    {
        RESERVED
    } else {
        PUBLIC
    }
}

fn class_v6(ip: Ipv6Addr) -> &'static str {
    let first = ip.segments()[0];
    if ip.is_loopback() {
        LOOPBACK
    } else if (first & 0xfe00) == 0xfc00 {
        PRIVATE
    } else if (first & 0xffc0) == 0xfe80 {
        LINK_LOCAL
    } else if ip.is_unspecified() || ip.is_multicast() {
        RESERVED
    } else {
        PUBLIC
    }
}

/// The network an address belongs to for baselines: its /24 (IPv4) or /48 (IPv6).
pub fn network_prefix(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.0/24", o[0], o[1], o[2])
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => network_prefix(IpAddr::V4(v4)),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        let c = |s: &str| classify(s, None).0;
        assert_eq!(c("10.1.2.3"), PRIVATE);
        assert_eq!(c("100.64.0.1"), CGNAT);
        assert_eq!(c("127.0.0.1"), LOOPBACK);
        assert_eq!(c("169.254.169.254"), LINK_LOCAL);
        assert_eq!(c("81.2.69.166"), PUBLIC);
        assert_eq!(c("::ffff:10.0.0.1"), PRIVATE);
        assert_eq!(c("fd00::1"), PRIVATE);
        assert_eq!(c("2001:218::1"), PUBLIC);
        assert_eq!(c("035.249.253.232"), INVALID);
        assert_eq!(c("unix:"), UNIX_SOCKET);
        assert_eq!(c("255.090.254.5"), INVALID);
        assert_eq!(
            classify("s3.amazonaws.com", Some("aws_service")).0,
            AWS_SERVICE
        );
        assert_eq!(
            classify("AWS Internal", Some("aws_internal")).0,
            AWS_INTERNAL
        );
    }

    #[test]
    fn prefixes() {
        assert_eq!(
            network_prefix("81.2.69.166".parse().unwrap()),
            "81.2.69.0/24"
        );
        assert_eq!(
            network_prefix("2001:db8:abcd:12::1".parse().unwrap()),
            "2001:db8:abcd::/48"
        );
    }
}
