//! Shape features: a few facts about a message's form that the linear layer weighs in full,
//! where a token counts for less the more tokens a message has. So far the shape of its
//! `Received` path (read with the header tokens): how many hops came from a public address,
//! and what kind of address the earliest hop named. Mail that never crossed the internet (a
//! local feed, a cron job) has no public hop, and that says more than its words about a kind
//! of mail not seen in training yet.

use std::net::IpAddr;

use super::hash;
use super::tokenize::bucket;

/// The shape of a message's `Received` path, read hop by hop from the top.
#[derive(Debug, Default)]
pub(crate) struct Path {
    /// Hops from a public address.
    public: usize,
    /// Whether the address of the lowest hop that named one is public.
    origin: Option<bool>,
}

impl Path {
    /// Takes in the next hop down (an older one) and the address it came from.
    pub fn hop(&mut self, from_ip: Option<IpAddr>) {
        if let Some(ip) = from_ip {
            let public = is_public(ip);
            self.public += usize::from(public);
            self.origin = Some(public);
        }
    }

    /// The path's shape features.
    pub fn features(&self) -> [u64; 2] {
        let origin = match self.origin {
            Some(true) => "public",
            Some(false) => "local",
            None => "none",
        };
        [hash::token(b"rcvd:public:", bucket(self.public).as_bytes()), hash::token(b"rcvd:origin:", origin.as_bytes())]
    }
}

/// Whether an address is routed on the internet (not loopback, private, link-local, unique
/// local or unspecified).
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => !(ip.is_loopback() || ip.is_private() || ip.is_link_local() || ip.is_unspecified()),
        IpAddr::V6(ip) => {
            let first = ip.segments()[0];
            !(ip.is_loopback() || ip.is_unspecified() || first & 0xFE00 == 0xFC00 || first & 0xFFC0 == 0xFE80)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has(raw: &str, prefix: &str, value: &str) -> bool {
        let mut path = Path::default();
        for hop in message::Parsed::new(raw.as_bytes()).received() {
            path.hop(hop.from_ip);
        }
        path.features().contains(&hash::token(prefix.as_bytes(), value.as_bytes()))
    }

    #[test]
    fn the_received_path() {
        let local = "Received: from localhost (localhost [127.0.0.1]) by mx.example; Mon, 1 Jan 2024 10:00:00 +0000\r\n\
            Received: from pc (pc [192.168.1.5]) by localhost; Mon, 1 Jan 2024 09:59:59 +0000\r\n\r\nhi\r\n";
        assert!(has(local, "rcvd:public:", "0") && has(local, "rcvd:origin:", "local"));
        let remote = "Received: from mx.example ([10.0.0.2]) by store; Mon, 1 Jan 2024 10:00:00 +0000\r\n\
            Received: from dsl.example ([203.0.113.9]) by mx.example; Mon, 1 Jan 2024 09:59:59 +0000\r\n\r\nhi\r\n";
        assert!(has(remote, "rcvd:public:", "1") && has(remote, "rcvd:origin:", "public"));
        assert!(has("Subject: x\r\n\r\nhi\r\n", "rcvd:origin:", "none"));
        for (ip, public) in [("2001:db8::1", true), ("fd00::1", false), ("fe80::1", false), ("::1", false)] {
            assert_eq!(is_public(ip.parse().unwrap()), public, "{ip}");
        }
    }
}
