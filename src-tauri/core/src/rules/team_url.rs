//! The team database's address (`team.database_url`) and how CareDesk may
//! reach it. Pure rules, no I/O: the gateway (`gateways::team_db`) connects
//! only the way [`TeamUrl::transport`] says, and the settings registry
//! refuses an address these rules refuse.
//!
//! - The form is `postgres://ROLE@HOST[:PORT]/DATABASE` (or `postgresql://`):
//!   a role, a host, a database. The password never goes in the address: it
//!   lives in the OS keyring (`caredesk credentials set team-password`).
//! - This computer (127.0.0.0/8, ::1, `localhost`): plain TCP is allowed.
//!   Any other host: TLS, with the certificate checked against the trusted
//!   roots and the host name (libpq's `verify-full`). `sslmode=require` is not
//!   enough and is refused, and so is plain text (`sslmode=disable`) to a host
//!   that is not this computer: before any connection is tried.
//! - The only option an address may carry is `sslmode`, `disable` (this
//!   computer only) or `verify-full` (TLS even to this computer); CareDesk
//!   sets every other connection option itself.

use std::net::IpAddr;

/// The default PostgreSQL port.
pub const DEFAULT_PORT: u16 = 5432;

/// Where the password goes instead of the address.
pub const PASSWORD_HINT: &str = "caredesk credentials set team-password";

/// A checked team database address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamUrl {
    /// The PostgreSQL role this desk connects as (its member's own role).
    pub role: String,
    /// The host as written (a name, or an IP address without brackets).
    pub host: String,
    pub port: u16,
    pub database: String,
    /// What the address asked for (`sslmode`), if anything.
    pub sslmode: Option<SslMode>,
}

/// The `sslmode` values CareDesk accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Plain TCP: this computer only.
    Disable,
    /// TLS with the certificate and the host name verified.
    VerifyFull,
}

/// How a connection to the team database is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// Plain TCP: only ever to this computer.
    Plain,
    /// TLS, the certificate verified against the trusted roots and the host name.
    VerifiedTls,
}

/// Why an address cannot be used, in words that say what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TeamUrlError {
    #[error("{0:?} is not a PostgreSQL address like postgres://ana@db.clinic.example/caredesk")]
    NotAUrl(String),
    #[error("the team database address must start with postgres:// or postgresql://, not {0}://")]
    Scheme(String),
    #[error(
        "the address names no role: write it as postgres://ROLE@HOST/DATABASE (each member connects as their own role)"
    )]
    NoRole,
    #[error("the address names no host: write it as postgres://ROLE@HOST/DATABASE")]
    NoHost,
    #[error("the address names no database: write it as postgres://ROLE@HOST/DATABASE")]
    NoDatabase,
    #[error("the address holds a password: remove it from the address and store it in the OS keyring with `{PASSWORD_HINT}`")]
    Password,
    #[error("the address may carry only sslmode=verify-full or sslmode=disable (CareDesk sets the other connection options itself), not {0:?}")]
    Option(String),
    #[error("sslmode={0} does not check the server's certificate against its name: use sslmode=verify-full, or leave sslmode out (CareDesk always verifies the certificate)")]
    WeakSslMode(String),
    #[error(
        "a plain-text connection to {host} would send the team's patient data and the password unencrypted over the network: \
         remove sslmode=disable (CareDesk then uses TLS and verifies the certificate); plain text is allowed only to this computer (127.0.0.1, ::1, localhost)"
    )]
    Insecure { host: String },
}

impl TeamUrlError {
    /// The address asked for plain text to a host that is not this computer.
    pub fn is_insecure(&self) -> bool {
        matches!(self, TeamUrlError::Insecure { .. })
    }
}

impl TeamUrl {
    /// Parses and checks an address, the transport rule included: an address
    /// this returns can be connected to as [`TeamUrl::transport`] says.
    pub fn parse(value: &str) -> Result<TeamUrl, TeamUrlError> {
        let v = value.trim();
        let url = url::Url::parse(v).map_err(|_| TeamUrlError::NotAUrl(v.to_string()))?;
        if !matches!(url.scheme(), "postgres" | "postgresql") {
            return Err(TeamUrlError::Scheme(url.scheme().to_string()));
        }
        if url.password().is_some() {
            return Err(TeamUrlError::Password);
        }
        let host = url.host_str().map(|h| h.trim_start_matches('[').trim_end_matches(']')).unwrap_or_default();
        if host.is_empty() {
            return Err(TeamUrlError::NoHost);
        }
        let role = decode(url.username());
        if role.is_empty() {
            return Err(TeamUrlError::NoRole);
        }
        let database = decode(url.path().trim_start_matches('/'));
        if database.is_empty() || database.contains('/') {
            return Err(TeamUrlError::NoDatabase);
        }
        if let Some(fragment) = url.fragment() {
            return Err(TeamUrlError::Option(format!("#{fragment}")));
        }
        let mut sslmode = None;
        for (key, value) in url.query_pairs() {
            sslmode = Some(match (key.as_ref(), value.as_ref()) {
                ("sslmode", "disable") => SslMode::Disable,
                ("sslmode", "verify-full") => SslMode::VerifyFull,
                ("sslmode", weak @ ("allow" | "prefer" | "require" | "verify-ca")) => {
                    return Err(TeamUrlError::WeakSslMode(weak.to_string()))
                }
                (key, value) => return Err(TeamUrlError::Option(format!("{key}={value}"))),
            });
        }
        let parsed =
            TeamUrl { role, host: host.to_string(), port: url.port().unwrap_or(DEFAULT_PORT), database, sslmode };
        parsed.transport()?;
        Ok(parsed)
    }

    /// How to connect: plain only to this computer, else verified TLS.
    pub fn transport(&self) -> Result<Transport, TeamUrlError> {
        transport(&self.host, self.sslmode)
    }

    /// `host:port`, for messages (never the role's password: there is none here).
    pub fn server(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// `postgres://host:port`: what the team password is bound to in the keyring.
    pub fn origin(&self) -> String {
        format!("postgres://{}", self.server().to_ascii_lowercase())
    }
}

/// The transport rule: `host` with the `sslmode` an address asked for.
pub fn transport(host: &str, sslmode: Option<SslMode>) -> Result<Transport, TeamUrlError> {
    match (is_loopback(host), sslmode) {
        (_, Some(SslMode::VerifyFull)) => Ok(Transport::VerifiedTls),
        (true, None | Some(SslMode::Disable)) => Ok(Transport::Plain),
        (false, None) => Ok(Transport::VerifiedTls),
        (false, Some(SslMode::Disable)) => Err(TeamUrlError::Insecure { host: host.to_string() }),
    }
}

/// Whether `host` (a name, or an IP address without brackets) is this
/// computer: 127.0.0.0/8, ::1 (or an IPv4-mapped loopback), `localhost` and
/// its subdomains.
pub fn is_loopback(host: &str) -> bool {
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => ip.is_loopback(),
        Ok(IpAddr::V6(ip)) => ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
        Err(_) => {
            let name = host.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
    }
}

/// Percent-decodes a part of the address (`ana%40clinic` is `ana@clinic`).
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_into_role_host_port_and_database() {
        let cases = [
            ("postgres://ana@db.clinic.example/caredesk", ("ana", "db.clinic.example", 5432, "caredesk", None)),
            ("postgresql://ana@db.clinic.example:6543/team", ("ana", "db.clinic.example", 6543, "team", None)),
            ("  postgres://ben.carter@127.0.0.1:55432/caredesk ", ("ben.carter", "127.0.0.1", 55432, "caredesk", None)),
            ("postgres://ana@[::1]/caredesk", ("ana", "::1", 5432, "caredesk", None)),
            ("postgres://ana%40clinic@localhost/care%20desk", ("ana@clinic", "localhost", 5432, "care desk", None)),
            ("postgres://a+b@localhost/x", ("a+b", "localhost", 5432, "x", None)),
            (
                "postgres://ana@db.clinic.example/caredesk?sslmode=verify-full",
                ("ana", "db.clinic.example", 5432, "caredesk", Some(SslMode::VerifyFull)),
            ),
            (
                "postgres://ana@127.0.0.1/caredesk?sslmode=disable",
                ("ana", "127.0.0.1", 5432, "caredesk", Some(SslMode::Disable)),
            ),
        ];
        for (input, (role, host, port, database, sslmode)) in cases {
            let u = TeamUrl::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(
                (u.role.as_str(), u.host.as_str(), u.port, u.database.as_str(), u.sslmode),
                (role, host, port, database, sslmode),
                "{input}"
            );
        }
    }

    #[test]
    fn bad_addresses_say_what_is_missing() {
        type Is = fn(&TeamUrlError) -> bool;
        let cases: [(&str, Is, &str); 11] = [
            ("db.clinic.example/caredesk", |e| matches!(e, TeamUrlError::NotAUrl(_)), "postgres://"),
            ("https://ana@db.clinic.example/caredesk", |e| matches!(e, TeamUrlError::Scheme(_)), "postgres://"),
            ("postgres://db.clinic.example/caredesk", |e| *e == TeamUrlError::NoRole, "ROLE@HOST"),
            ("postgres:///caredesk", |e| *e == TeamUrlError::NoHost, "HOST"),
            ("postgres://ana@db.clinic.example", |e| *e == TeamUrlError::NoDatabase, "DATABASE"),
            ("postgres://ana@db.clinic.example/", |e| *e == TeamUrlError::NoDatabase, "DATABASE"),
            ("postgres://ana@db.clinic.example/a/b", |e| *e == TeamUrlError::NoDatabase, "DATABASE"),
            ("postgres://ana:hunter2@db.clinic.example/caredesk", |e| *e == TeamUrlError::Password, PASSWORD_HINT),
            (
                "postgres://ana@db.clinic.example/caredesk?connect_timeout=1",
                |e| matches!(e, TeamUrlError::Option(_)),
                "sslmode=verify-full",
            ),
            (
                "postgres://ana@db.clinic.example/caredesk?sslmode=require",
                |e| matches!(e, TeamUrlError::WeakSslMode(_)),
                "verify-full",
            ),
            ("postgres://ana@db.clinic.example/caredesk#x", |e| matches!(e, TeamUrlError::Option(_)), "sslmode"),
        ];
        for (input, is, says) in cases {
            let e = TeamUrl::parse(input).unwrap_err();
            assert!(is(&e), "{input}: {e:?}");
            assert!(e.to_string().contains(says), "{input}: {e}");
            assert!(!e.to_string().contains("hunter2"), "{input}: the password is never repeated: {e}");
        }
    }

    #[test]
    fn plain_text_only_to_this_computer_and_tls_verified_everywhere_else() {
        use Transport::*;
        let insecure = Err(());
        let cases: [(&str, Option<SslMode>, Result<Transport, ()>); 17] = [
            ("127.0.0.1", None, Ok(Plain)),
            ("127.8.9.10", None, Ok(Plain)),
            ("::1", None, Ok(Plain)),
            ("::ffff:127.0.0.1", None, Ok(Plain)),
            ("localhost", None, Ok(Plain)),
            ("LOCALHOST.", Some(SslMode::Disable), Ok(Plain)),
            ("db.localhost", Some(SslMode::Disable), Ok(Plain)),
            ("127.0.0.1", Some(SslMode::VerifyFull), Ok(VerifiedTls)),
            ("db.clinic.example", None, Ok(VerifiedTls)),
            ("10.0.0.5", None, Ok(VerifiedTls)),
            ("203.0.113.7", Some(SslMode::VerifyFull), Ok(VerifiedTls)),
            ("db.clinic.example", Some(SslMode::Disable), insecure),
            ("203.0.113.7", Some(SslMode::Disable), insecure),
            ("192.168.1.20", Some(SslMode::Disable), insecure),
            ("fe80::1", Some(SslMode::Disable), insecure),
            ("0.0.0.0", Some(SslMode::Disable), insecure),
            ("localhost.evil.example", Some(SslMode::Disable), insecure),
        ];
        for (host, sslmode, expected) in cases {
            let got = transport(host, sslmode);
            assert_eq!(got.as_ref().ok(), expected.as_ref().ok(), "{host} {sslmode:?}: {got:?}");
            if let Err(e) = got {
                assert!(e.is_insecure(), "{host}: {e:?}");
                assert!(e.to_string().contains(host) && e.to_string().contains("unencrypted"), "{e}");
            }
        }
    }

    #[test]
    fn parse_applies_the_transport_rule_and_origins_name_the_server() {
        let e = TeamUrl::parse("postgres://ana@203.0.113.7/caredesk?sslmode=disable").unwrap_err();
        assert!(e.is_insecure(), "{e:?}");
        let u = TeamUrl::parse("postgres://ana@DB.Clinic.example:6543/caredesk").unwrap();
        assert_eq!(u.origin(), "postgres://db.clinic.example:6543");
        assert_eq!(TeamUrl::parse("postgresql://ana@[::1]/x").unwrap().origin(), "postgres://[::1]:5432");
    }
}
