//! Addresses and networks: which client a request comes from behind a trusted proxy, and which
//! addresses a webhook may be sent to. A webhook receiver is named by whoever manages the
//! endpoints, so without a check the server would post to its own loopback, the cloud's
//! metadata service (169.254.169.254) or the private network it sits in.

use std::net::IpAddr;

/// A network in CIDR notation (`10.0.0.0/8`, `fd00::/8`; a bare address is one host).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    address: IpAddr,
    prefix: u8,
}

impl std::str::FromStr for Network {
    type Err = String;

    fn from_str(text: &str) -> Result<Network, String> {
        let (address, prefix) = match text.trim().split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text.trim(), None),
        };
        let address: IpAddr = address
            .parse()
            .map_err(|_| format!("'{text}' is not an address or a network like 10.0.0.0/8"))?;
        let bits = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= bits)
                .ok_or_else(|| format!("'{text}': the prefix must be 0 to {bits}"))?,
        };
        Ok(Network { address, prefix })
    }
}

impl Network {
    pub fn contains(&self, ip: IpAddr) -> bool {
        let masked = |bits: u128, width: u32| {
            let shift = width - u32::from(self.prefix);
            if shift >= 128 { 0 } else { bits >> shift }
        };
        match (self.address, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                masked(u32::from(net).into(), 32) == masked(u32::from(ip).into(), 32)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                masked(u128::from(net), 128) == masked(u128::from(ip), 128)
            }
            _ => false,
        }
    }
}

/// An IPv4 address written as IPv6 (`::ffff:127.0.0.1`) is the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Whether `ip` is on the public internet: not loopback, private, link-local, shared
/// (carrier-grade NAT), unspecified, multicast or reserved for documentation.
pub fn is_public(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// The client a request comes from: the peer, unless the peer is a trusted proxy — then the
/// nearest address in `X-Forwarded-For` (read from the right) that is not itself trusted.
pub fn client_ip(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[Network]) -> IpAddr {
    let trusted_ip = |ip: IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !trusted_ip(peer) {
        return peer;
    }
    let mut client = peer;
    for hop in forwarded_for.unwrap_or_default().rsplit(',') {
        let Ok(ip) = hop.trim().parse::<IpAddr>() else {
            break;
        };
        client = ip;
        if !trusted_ip(ip) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn networks_contain_their_addresses() {
        let ten: Network = "10.0.0.0/8".parse().unwrap();
        assert!(ten.contains(ip("10.200.1.2")) && !ten.contains(ip("11.0.0.1")));
        assert!(ten.contains(ip("::ffff:10.1.1.1")));
        let host: Network = "192.168.1.5".parse().unwrap();
        assert!(host.contains(ip("192.168.1.5")) && !host.contains(ip("192.168.1.6")));
        let all: Network = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("8.8.8.8")));
        let v6: Network = "fd00::/8".parse().unwrap();
        assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")));
        assert!("10.0.0.0/33".parse::<Network>().is_err());
        assert!("example.com".parse::<Network>().is_err());
    }

    #[test]
    fn private_loopback_and_link_local_addresses_are_not_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.0.10",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(ip(private)), "{private}");
        }
        for public in ["8.8.8.8", "93.184.216.34", "2606:4700::1111"] {
            assert!(is_public(ip(public)), "{public}");
        }
    }

    #[test]
    fn the_client_behind_trusted_proxies_is_the_nearest_untrusted_forwarded_address() {
        let trusted: Vec<Network> = vec!["10.0.0.0/8".parse().unwrap()];
        let proxy = ip("10.0.0.2");
        assert_eq!(
            client_ip(proxy, Some("203.0.113.9, 10.0.0.7"), &trusted),
            ip("203.0.113.9")
        );
        // A client cannot choose its address by sending the header itself.
        assert_eq!(
            client_ip(proxy, Some("1.1.1.1, 203.0.113.9"), &trusted),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_ip(ip("198.51.100.1"), Some("1.1.1.1"), &trusted),
            ip("198.51.100.1"),
            "an untrusted peer's header is ignored"
        );
        assert_eq!(client_ip(proxy, None, &trusted), proxy);
    }
}
