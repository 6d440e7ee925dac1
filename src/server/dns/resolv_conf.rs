//! The `nameserver` lines of `/etc/resolv.conf`, used when `[dns] nameservers` is empty.

use std::net::SocketAddr;

/// The nameservers listed in resolv.conf text, in order, on port 53.
pub fn nameservers(text: &str) -> Vec<SocketAddr> {
    text.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            (words.next() == Some("nameserver")).then(|| words.next()).flatten()
        })
        // A link-local IPv6 server may carry a zone (`fe80::1%eth0`), which SocketAddr cannot hold.
        .filter_map(|server| super::parse_nameserver(server.split('%').next().unwrap_or(server)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nameserver_lines_only() {
        let text =
            "# comment\nsearch example.com\nnameserver 10.0.0.2\nnameserver  ::1\noptions ndots:2\nnameserver bogus\n";
        let want: Vec<SocketAddr> = vec!["10.0.0.2:53".parse().unwrap(), "[::1]:53".parse().unwrap()];
        assert_eq!(nameservers(text), want);
    }
}
