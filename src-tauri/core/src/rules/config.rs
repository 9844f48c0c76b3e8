//! Settings: the known keys, their defaults and how each value is checked.
//! Values live in the encrypted database's `settings` table; secrets never do
//! (see [`crate::desk::secrets`]).

use crate::rules::phone::{self, Region};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("unknown setting {key:?}; known settings: {known}")]
    UnknownKey { key: String, known: String },
    #[error("invalid value for {key}: {reason}")]
    InvalidValue { key: String, reason: String },
    #[error("{key} looks like a secret; store it with `caredesk credentials set {secret}` instead")]
    SecretInConfig { key: String, secret: &'static str },
}

impl crate::rules::error::CodedError for ConfigError {
    fn code(&self) -> crate::rules::error::ErrorCode {
        crate::rules::error::ErrorCode::Config
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Text,
    Url,
    UrlTemplate,
    Integer {
        min: i64,
        max: i64,
    },
    Decimal {
        min: f64,
        max: f64,
    },
    Bool,
    OneOf(&'static [&'static str]),
    Region,
    Phone,
    /// An IANA time zone name, like `Europe/Vilnius`.
    TimeZone,
    /// A daily window of local times, `HH:MM-HH:MM` (see [`crate::rules::quiet_hours`]).
    TimeWindow,
    /// An absolute folder.
    AbsoluteDir,
    /// An absolute URI, like `urn:oid:1.2.3` or `https://ecm.example/patient-id`
    /// (a FHIR identifier system).
    Uri,
    /// A PostgreSQL address without a password, `postgres://ROLE@HOST[:PORT]/DATABASE`
    /// (see [`crate::rules::team_url`]).
    PostgresUrl,
}

#[derive(Debug, Clone, Copy)]
pub struct Setting {
    pub key: &'static str,
    pub kind: Kind,
    pub default: Option<&'static str>,
    pub description: &'static str,
}

pub const SETTINGS: &[Setting] = &[
    Setting { key: "user.name", kind: Kind::Text, default: None, description: "Your name, the actor in activities and the audit log (default: the OS user name)" },
    Setting { key: "user.ecm_user_id", kind: Kind::Integer { min: 1, max: i64::MAX }, default: None, description: "Your ECM user id (performed_by_id / assigned_to_id)" },
    Setting { key: "clinic.time_zone", kind: Kind::TimeZone, default: None, description: "The clinic's time zone (IANA name, like America/Los_Angeles): the activity log's days, its date filter and the local times of the CSV export follow it (default: this computer's time zone)" },
    Setting { key: "clinic.name", kind: Kind::Text, default: None, description: "The clinic's name as texts say it: the {clinic_name} merge field of templates" },
    Setting { key: "consent.invitation_text", kind: Kind::Text, default: Some("{clinic_name}: reply START to get care texts from us (appointment reminders and follow-ups, up to 4 a month). Msg & data rates may apply. Reply STOP to opt out, HELP for help."), description: "The consent invitation (spec 002): its purpose, how often, that message and data rates may apply, and how to opt out; Invite sends it and a START reply opts the number in. Merge fields: {first_name}, {last_name}, {clinic_name}, {coordinator_name}" },
    Setting { key: "consent.welcome_text", kind: Kind::Text, default: Some("{clinic_name}: you are signed up for care texts. Msg & data rates may apply. Reply STOP to opt out at any time, HELP for help."), description: "The welcome text sent once to a number that opts in by replying START (off: none is sent). Merge fields as the invitation's" },
    Setting { key: "phone.default_region", kind: Kind::Region, default: Some("US"), description: "Region for phone numbers written without a country code" },
    Setting { key: "servers.mode", kind: Kind::OneOf(&["auto", "sandbox", "real"]), default: Some("auto"), description: "auto: the built-in sandbox until a server URL is set; sandbox: always the sandbox; real: the configured servers only" },
    Setting { key: "his.base_url", kind: Kind::Url, default: None, description: "Hospital SMS server base address, e.g. https://smsserver.example/" },
    Setting { key: "his.auth", kind: Kind::OneOf(&["bearer", "azure"]), default: Some("bearer"), description: "Hospital SMS server authorization: bearer (secret his-token) or azure (Azure AD client credentials, secret his-client-secret)" },
    Setting { key: "his.from", kind: Kind::Text, default: None, description: "Hospital number or sender name to send from (see `caredesk numbers`)" },
    Setting { key: "his.time_zone", kind: Kind::TimeZone, default: None, description: "Time zone of the hospital SMS server's times that carry no offset (IANA name, like Europe/Vilnius); estimated from its answers when not set" },
    Setting { key: "his.outgoing_lag_secs", kind: Kind::Integer { min: 0, max: 3600 }, default: Some("15"), description: "Seconds the hospital SMS server may take to list a message it took; a send that may have gone is checked only after this" },
    Setting { key: "his.azure.authority", kind: Kind::UrlTemplate, default: Some("https://login.microsoftonline.com/{0}"), description: "Azure AD instance, {0} is replaced by the tenant" },
    Setting { key: "his.azure.tenant", kind: Kind::Text, default: None, description: "Azure AD tenant id" },
    Setting { key: "his.azure.client_id", kind: Kind::Text, default: None, description: "Azure AD client (application) id" },
    Setting { key: "his.azure.scope", kind: Kind::Text, default: None, description: "Azure AD scope, like api://000000-000-000-0000-0000/.default" },
    Setting { key: "ecm.base_url", kind: Kind::Url, default: None, description: "ECM Communications API base URL" },
    Setting { key: "sms.via", kind: Kind::OneOf(&["his", "ecm"]), default: Some("his"), description: "Default route for SMS: his (hospital SMS server) or ecm (ECM Communications API)" },
    Setting { key: "sms.rate_per_sec", kind: Kind::Decimal { min: 0.0, max: 1000.0 }, default: Some("1"), description: "Most SMS per second per sender number (0 = no limit)" },
    Setting { key: "sms.test_mode", kind: Kind::Bool, default: Some("false"), description: "Test mode: nothing goes to the real servers" },
    Setting { key: "sms.undo_seconds", kind: Kind::Integer { min: 0, max: 60 }, default: Some("5"), description: "Seconds a text sent in the app waits as \"Sending in 5 s · Undo\" before it may go, so it can be taken back (0 = send at once, no Undo); the CLI's `send` does not wait" },
    Setting { key: "sms.quiet_hours", kind: Kind::TimeWindow, default: Some(crate::rules::quiet_hours::DEFAULT), description: "Local hours texts may reach a recipient, HH:MM-HH:MM in the recipient's time zone (the patient's time_zone, else clinic.time_zone), 08:00-21:00 by default (the TCPA's window): a text written outside them, or a retry or a campaign text that comes due outside them, waits for the next opening; a 1:1 text may override them with a reason, audited. off: not enforced" },
    Setting { key: "sms.override_number", kind: Kind::Phone, default: None, description: "Send every outgoing SMS to this number instead (testing)" },
    Setting { key: "sync.interval_secs", kind: Kind::Integer { min: 1, max: 86_400 }, default: Some("10"), description: "Seconds between inbox polls" },
    Setting { key: "http.timeout_secs", kind: Kind::Integer { min: 1, max: 600 }, default: Some("30"), description: "HTTP timeout for both servers, in seconds" },
    Setting { key: "sandbox.port", kind: Kind::Integer { min: 0, max: 65_535 }, default: Some("0"), description: "Port of the built-in sandbox on 127.0.0.1 (0 = any free port); fix it to drive the sandbox's control API from scripts" },
    Setting { key: "notifications.show_names", kind: Kind::Bool, default: Some("false"), description: "Name the patient in desktop notifications of new replies (off: \"New reply in CareDesk\"; never while CareDesk is locked). Notifications can show on the OS lock screen and stay in its notification list" },
    Setting { key: "security.idle_lock_minutes", kind: Kind::Integer { min: 1, max: 240 }, default: Some("10"), description: "Minutes without input before CareDesk locks its window (the unlock passphrase opens it again)" },
    Setting { key: "export.dir", kind: Kind::AbsoluteDir, default: None, description: "Absolute folder the app writes CSV exports to (default: your Downloads folder)" },
    Setting { key: "team.database_url", kind: Kind::PostgresUrl, default: None, description: "Team mode: the team's PostgreSQL database as postgres://ROLE@HOST[:PORT]/DATABASE, ROLE being your own PostgreSQL role (its password: `caredesk credentials set team-password`). TLS with a verified certificate for any host but this computer. Unset: this desk works alone" },
    Setting { key: "fhir.base_url", kind: Kind::Url, default: None, description: "The clinic's FHIR R4 server, e.g. https://fhir.clinic.example/r4 (its CapabilityStatement is at /metadata under it). Set, CareDesk pulls the roster (Patients and RelatedPersons) from it; unset, nothing connects" },
    Setting { key: "fhir.auth", kind: Kind::OneOf(&["bearer", "client_credentials"]), default: Some("bearer"), description: "FHIR server authorization: bearer (secret fhir-token) or client_credentials (OAuth2 client credentials: fhir.token_url, fhir.client_id, secret fhir-client-secret)" },
    Setting { key: "fhir.token_url", kind: Kind::Url, default: None, description: "FHIR server, client_credentials: the OAuth2 token endpoint, e.g. https://auth.example/oauth/token" },
    Setting { key: "fhir.client_id", kind: Kind::Text, default: None, description: "FHIR server, client_credentials: the OAuth2 client id" },
    Setting { key: "fhir.scope", kind: Kind::Text, default: None, description: "FHIR server, client_credentials: the scope to ask for, if the token endpoint needs one (e.g. system/*.read system/Communication.write)" },
    Setting { key: "fhir.audience", kind: Kind::Text, default: None, description: "FHIR server, client_credentials: the audience to ask for, if the token endpoint needs one (Auth0-style endpoints, e.g. Oystehr's https://api.zapehr.com)" },
    Setting { key: "fhir.ecm_identifier_system", kind: Kind::Uri, default: None, description: "FHIR roster (file import and the FHIR server): the Patient.identifier system whose value is the ECM patient id (exact match, e.g. urn:caredesk:ecm-patient-id); unset, no ECM id is taken from FHIR identifiers" },
    Setting { key: "fhir.use_phone_numbers", kind: Kind::Bool, default: Some("false"), description: "FHIR roster: also text telecoms with system phone (after the sms ones); off, only system sms numbers are texted" },
    Setting { key: "fhir.pull_interval_secs", kind: Kind::Integer { min: 0, max: 86_400 }, default: Some("300"), description: "Seconds between roster pulls from the FHIR server while the app runs (0 = only on demand: `caredesk fhir pull`)" },
    Setting { key: "fhir.coordinator_reference", kind: Kind::Text, default: None, description: "FHIR write-back: who the coordinators of this desk are on the FHIR server, as a reference (Practitioner/ID, PractitionerRole/ID or Device/ID): the sender of outbound Communications and a participant of each conversation's Encounter; unset, CareDesk creates (conditionally, once) a Device standing for this desk" },
    Setting { key: "fhir.page_size", kind: Kind::Integer { min: 1, max: 1000 }, default: Some("100"), description: "Resources asked for per page of a FHIR search (_count)" },
];

pub fn lookup(key: &str) -> Result<&'static Setting, ConfigError> {
    SETTINGS.iter().find(|s| s.key == key).ok_or_else(|| {
        if ["token", "secret", "password"].iter().any(|w| key.contains(w)) {
            let secret = if key.contains("team") {
                "team-password"
            } else if key.contains("fhir") && key.contains("secret") {
                "fhir-client-secret"
            } else if key.contains("fhir") {
                "fhir-token"
            } else if key.contains("ecm") {
                "ecm-token"
            } else if key.contains("secret") {
                "his-client-secret"
            } else {
                "his-token"
            };
            return ConfigError::SecretInConfig { key: key.to_string(), secret };
        }
        ConfigError::UnknownKey {
            key: key.to_string(),
            known: SETTINGS.iter().map(|s| s.key).collect::<Vec<_>>().join(", "),
        }
    })
}

/// Checks `value` for `key` and returns the form to store.
pub fn validate(key: &str, value: &str) -> Result<String, ConfigError> {
    let setting = lookup(key)?;
    let v = value.trim();
    let bad = |reason: String| ConfigError::InvalidValue { key: key.to_string(), reason };
    match setting.kind {
        Kind::Text => {
            if v.is_empty() {
                return Err(bad("it is empty (use `config unset` to clear it)".into()));
            }
            Ok(v.to_string())
        }
        Kind::Url | Kind::UrlTemplate => {
            let probe = v.replace("{0}", "tenant");
            let url = url::Url::parse(&probe).map_err(|e| bad(format!("{v:?} is not a URL ({e})")))?;
            crate::rules::transport::check(&url).map_err(|e| bad(format!("{v:?}: {e}")))?;
            // An authority may leave the tenant to `{0}` or name it itself
            // (MSAL's `https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0`);
            // no other `{...}` stands for anything.
            if setting.kind == Kind::UrlTemplate && v.replace("{0}", "").contains(['{', '}']) {
                return Err(bad(format!("{v:?} may contain only {{0}}, where the tenant goes")));
            }
            Ok(v.to_string())
        }
        Kind::Integer { min, max } => match v.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n.to_string()),
            _ => Err(bad(format!("{v:?} is not a whole number from {min} to {max}"))),
        },
        Kind::Decimal { min, max } => match v.parse::<f64>() {
            Ok(n) if n.is_finite() && (min..=max).contains(&n) => Ok(n.to_string()),
            _ => Err(bad(format!("{v:?} is not a number from {min} to {max}"))),
        },
        Kind::Bool => match v.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Ok("true".into()),
            "false" | "no" | "off" | "0" => Ok("false".into()),
            _ => Err(bad(format!("{v:?} is not true or false"))),
        },
        Kind::OneOf(options) => options
            .iter()
            .find(|o| o.eq_ignore_ascii_case(v))
            .map(|o| o.to_string())
            .ok_or_else(|| bad(format!("{v:?} is not one of {}", options.join(", ")))),
        Kind::Region => v.parse::<Region>().map(|_| v.to_ascii_uppercase()).map_err(|e| bad(e.to_string())),
        Kind::Phone => phone::normalize(v, Region::default()).map(|n| n.to_string()).map_err(|e| bad(e.to_string())),
        Kind::TimeZone => v
            .parse::<chrono_tz::Tz>()
            .map(|tz| tz.name().to_string())
            .map_err(|_| bad(format!("{v:?} is not a time zone name like Europe/Vilnius or America/New_York"))),
        Kind::TimeWindow if v.eq_ignore_ascii_case(crate::rules::quiet_hours::OFF) => {
            Ok(crate::rules::quiet_hours::OFF.to_string())
        }
        Kind::TimeWindow => crate::rules::quiet_hours::SendWindow::parse(v)
            .map(|w| format!("{}-{}", w.start.format("%H:%M"), w.end.format("%H:%M")))
            .map_err(|e| bad(e.to_string())),
        Kind::AbsoluteDir => {
            if v.is_empty() || !std::path::Path::new(v).is_absolute() {
                return Err(bad(format!("{v:?}: {RELATIVE_FOLDER}")));
            }
            Ok(v.to_string())
        }
        Kind::PostgresUrl => match crate::rules::team_url::TeamUrl::parse(v) {
            Ok(_) => Ok(v.to_string()),
            Err(crate::rules::team_url::TeamUrlError::Password) => {
                Err(ConfigError::SecretInConfig { key: key.to_string(), secret: "team-password" })
            }
            Err(e) => Err(bad(e.to_string())),
        },
        Kind::Uri => match url::Url::parse(v) {
            Ok(_) if !v.contains(char::is_whitespace) => Ok(v.to_string()),
            _ => Err(bad(format!(
                "{v:?} is not an absolute URI like urn:caredesk:ecm-patient-id or https://ecm.example/patient-id"
            ))),
        },
    }
}

/// Why a relative folder is refused for `export.dir`.
pub const RELATIVE_FOLDER: &str =
    "it must be an absolute folder, like /home/you/Exports or C:\\Users\\you\\Exports (a relative one would depend on where CareDesk was started)";

/// The OS user name, the default actor.
pub fn os_user_name() -> String {
    whoami::username().unwrap_or_else(|_| "coordinator".to_string())
}

/// The OS user's display name ("Dana Coordinator"), else the user name.
pub fn os_display_name() -> String {
    whoami::realname().ok().map(|n| n.trim().to_string()).filter(|n| !n.is_empty()).unwrap_or_else(os_user_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_keys_validate_and_normalize() {
        assert_eq!(validate("sms.test_mode", "Yes").unwrap(), "true");
        assert_eq!(validate("sms.via", "ECM").unwrap(), "ecm");
        assert_eq!(validate("http.timeout_secs", " 15 ").unwrap(), "15");
        assert_eq!(validate("phone.default_region", "gb").unwrap(), "GB");
        assert_eq!(validate("his.time_zone", " Europe/Vilnius ").unwrap(), "Europe/Vilnius");
        assert!(validate("his.time_zone", "Mars/Olympus").is_err());
        assert!(validate("his.time_zone", "+02:00").is_err());
        assert_eq!(validate("sms.override_number", "(805) 555-0100").unwrap(), "+18055550100");
        assert_eq!(
            validate("his.base_url", "https://smsserver.example/sms/").unwrap(),
            "https://smsserver.example/sms/"
        );
    }

    #[test]
    fn azure_authorities_with_or_without_the_tenant_placeholder() {
        for authority in [
            "https://login.microsoftonline.com/{0}",
            "https://login.microsoftonline.com/{0}/v2.0",
            "https://login.microsoftonline.com/",
            "https://login.microsoftonline.com/contoso.onmicrosoft.com",
            "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0",
            "http://127.0.0.1:8080/{0}",
        ] {
            assert_eq!(validate("his.azure.authority", authority).as_deref(), Ok(authority), "{authority}");
        }
    }

    #[test]
    fn bad_values_say_why() {
        let e = validate("http.timeout_secs", "0").unwrap_err().to_string();
        assert!(e.contains("http.timeout_secs") && e.contains("1 to 600"), "{e}");
        assert!(validate("his.base_url", "ftp://x").is_err());
        assert!(validate("his.base_url", "not a url").is_err());
        assert!(validate("his.azure.authority", "https://login.microsoftonline.com/{tenant}").is_err());
        assert!(validate("his.azure.authority", "login.microsoftonline.com/{0}").is_err());
        assert!(validate("sms.via", "fax").is_err());
    }

    #[test]
    fn plain_http_is_refused_for_every_server_setting_except_this_computer() {
        let servers: Vec<&str> =
            SETTINGS.iter().filter(|s| matches!(s.kind, Kind::Url | Kind::UrlTemplate)).map(|s| s.key).collect();
        assert!(servers.len() >= 3, "{servers:?}");
        for key in servers {
            let e = validate(key, "http://smsserver.example/{0}").unwrap_err().to_string();
            assert!(e.contains("unencrypted"), "{key}: {e}");
            assert!(validate(key, "http://10.1.2.3:8080/").is_err(), "{key}");
            for local in ["http://127.0.0.1:8080/", "http://localhost:3000/", "http://[::1]:9000/"] {
                assert!(validate(key, local).is_ok(), "{key} {local}");
            }
            assert!(validate(key, "https://smsserver.example/").is_ok(), "{key}");
        }
    }

    #[test]
    fn export_folders_are_absolute_and_identifier_systems_are_uris() {
        let dir = std::env::temp_dir().display().to_string();
        assert_eq!(validate("export.dir", &dir).unwrap(), dir);
        for relative in ["exports", "./exports", "../x", "~/Exports", ""] {
            let e = validate("export.dir", relative).unwrap_err().to_string();
            assert!(e.contains("absolute folder"), "{relative}: {e}");
        }
        for uri in ["urn:caredesk:ecm-patient-id", "https://ecm.example/patient-id", "urn:oid:1.2.840.114350"] {
            assert_eq!(validate("fhir.ecm_identifier_system", uri).as_deref(), Ok(uri));
        }
        for bad in ["ecm", "not a uri", "urn:with space"] {
            assert!(validate("fhir.ecm_identifier_system", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_team_database_url_names_a_role_a_host_and_a_database_and_never_a_password() {
        let ok = [
            "postgres://ana@db.clinic.example/caredesk",
            "postgresql://ana@db.clinic.example:6543/caredesk",
            "postgres://ana@127.0.0.1:55432/caredesk?sslmode=disable",
            "postgres://ana@db.clinic.example/caredesk?sslmode=verify-full",
        ];
        for url in ok {
            assert_eq!(validate("team.database_url", url).as_deref(), Ok(url), "{url}");
        }
        let refused = [
            ("https://ana@db.clinic.example/caredesk", "postgres://"),
            ("postgres://db.clinic.example/caredesk", "ROLE"),
            ("postgres://ana@db.clinic.example", "DATABASE"),
            ("postgres://ana@db.clinic.example/caredesk?sslmode=disable", "unencrypted"),
            ("postgres://ana@db.clinic.example/caredesk?sslmode=require", "verify-full"),
            ("postgres://ana:hunter2@db.clinic.example/caredesk", "credentials set team-password"),
        ];
        for (url, says) in refused {
            let e = validate("team.database_url", url).unwrap_err().to_string();
            assert!(e.contains(says) && !e.contains("hunter2"), "{url}: {e}");
        }
        assert!(matches!(
            validate("team.database_url", "postgres://ana:pw@db.clinic.example/caredesk"),
            Err(ConfigError::SecretInConfig { secret: "team-password", .. })
        ));
        assert!(matches!(
            validate("team.password", "x"),
            Err(ConfigError::SecretInConfig { secret: "team-password", .. })
        ));
    }

    #[test]
    fn unknown_keys_and_secrets_are_refused() {
        assert!(matches!(validate("his.url", "x"), Err(ConfigError::UnknownKey { .. })));
        assert!(matches!(validate("ecm.token", "x"), Err(ConfigError::SecretInConfig { secret: "ecm-token", .. })));
        assert!(matches!(validate("fhir.token", "x"), Err(ConfigError::SecretInConfig { secret: "fhir-token", .. })));
        assert!(matches!(
            validate("fhir.client_secret", "x"),
            Err(ConfigError::SecretInConfig { secret: "fhir-client-secret", .. })
        ));
        assert_eq!(
            validate("fhir.token_url", "https://auth.example/oauth/token").unwrap(),
            "https://auth.example/oauth/token"
        );
    }
}
