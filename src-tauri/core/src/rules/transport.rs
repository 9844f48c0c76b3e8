//! Transmission security (45 CFR 164.312(e)): which server addresses
//! CareDesk will send tokens, numbers and texts to. `https://` always;
//! plain `http://` only to this machine (127.0.0.0/8, ::1, `localhost`),
//! where nothing crosses a network: the sandbox, a local test server, a
//! TLS-terminating proxy on the same host.

use url::{Host, Url};

/// Why an address is refused, in words for the coordinator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InsecureUrl {
    #[error(
        "plain http:// would send tokens, phone numbers and message texts unencrypted to {host}; \
         use https:// (http:// is allowed only for this computer: 127.0.0.1, ::1 or localhost)"
    )]
    PlainHttp { host: String },
    #[error("only https:// (or http:// for this computer) addresses can be used, not {scheme}://")]
    Scheme { scheme: String },
    #[error("the address has no host")]
    NoHost,
}

/// Whether `host` is this machine: any 127.x.y.z, ::1 (or an IPv4-mapped
/// loopback), or `localhost` and its subdomains (RFC 6761 reserves them to
/// the loopback).
pub fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
        Host::Domain(name) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
    }
}

/// Checks that `url` may carry PHI and credentials.
pub fn check(url: &Url) -> Result<(), InsecureUrl> {
    let host = url.host().ok_or(InsecureUrl::NoHost)?;
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&host) => Ok(()),
        "http" => Err(InsecureUrl::PlainHttp { host: host.to_string() }),
        other => Err(InsecureUrl::Scheme { scheme: other.to_string() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_http_only_to_this_machine() {
        let cases = [
            ("https://smsserver.example/", true),
            ("https://10.0.0.5:8443/api", true),
            ("http://127.0.0.1:8080/", true),
            ("http://127.4.5.6/", true),
            ("http://[::1]:9000/", true),
            ("http://[::ffff:127.0.0.1]/", true),
            ("http://localhost:3000/", true),
            ("http://LOCALHOST./", true),
            ("http://sandbox.localhost/", true),
            ("http://smsserver.example/", false),
            ("http://10.0.0.5/", false),
            ("http://192.168.1.20:8080/", false),
            ("http://[fe80::1]/", false),
            ("http://0.0.0.0/", false),
            ("http://localhost.evil.example/", false),
            ("http://127.0.0.1.nip.io/", false),
            ("ftp://127.0.0.1/", false),
        ];
        for (url, ok) in cases {
            let r = check(&Url::parse(url).unwrap());
            assert_eq!(r.is_ok(), ok, "{url}: {r:?}");
        }
    }

    #[test]
    fn the_refusal_says_why() {
        let e = check(&Url::parse("http://smsserver.example/").unwrap()).unwrap_err().to_string();
        assert!(e.contains("unencrypted") && e.contains("smsserver.example") && e.contains("https://"), "{e}");
    }
}
