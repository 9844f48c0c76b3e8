//! The one error shape that crosses to the UI: `{ code, message }`.

use caredesk_core::rules::error::CoreError;

/// What every command rejects with; the UI branches on `code`, never on `message`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct UiError {
    pub code: String,
    pub message: String,
}

impl From<CoreError> for UiError {
    fn from(e: CoreError) -> Self {
        let code = serde_json::to_value(e.code())
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_else(|| "internal".into());
        // The message goes to the coordinator only: it may name the patient
        // or the number. The log gets the code.
        tracing::warn!(code = %code, "command failed");
        UiError { code, message: e.to_string() }
    }
}

impl UiError {
    pub fn internal(message: impl Into<String>) -> Self {
        UiError { code: "internal".into(), message: message.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Captures what the app's log would show, at every level.
    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_failed_command_is_logged_by_its_code_never_its_message() {
        let out = Captured::default();
        let writer = out.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .finish();
        let errors = [
            CoreError::OptedOut { number: "+18055550137".into() },
            CoreError::PatientNotFound("Zoltan Quixwell".into()),
            CoreError::InvalidMessage("Dear Zoltan Quixwell, your xylophone visit".into()),
        ];
        let ui: Vec<UiError> =
            tracing::subscriber::with_default(subscriber, || errors.into_iter().map(UiError::from).collect());
        let log = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        assert_eq!(log.matches("command failed").count(), 3, "{log}");
        for word in ["Quixwell", "xylophone", "5550137", "8055550137"] {
            assert!(!log.contains(word), "{word} in {log}");
        }
        assert!(log.contains("code=opted_out"), "{log}");
        assert!(ui[2].message.contains("xylophone"), "the coordinator still reads the whole message");
    }

    #[test]
    fn core_errors_cross_as_code_and_message() {
        let e: UiError = CoreError::PatientNotFound("ecm:9".into()).into();
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({"code": "not_found", "message": "patient ecm:9 not found"})
        );
        let e: UiError = CoreError::NumberNotOnFile { number: "+18055550177".into(), patient: "Ana".into() }.into();
        assert_eq!(e.code, "number_not_on_file", "the UI asks to confirm another number on this code");
        // The patient dialog shows each beside its field, by code.
        use caredesk_core::desk::people::PeopleError;
        let codes: Vec<String> = [
            PeopleError::NameRequired,
            PeopleError::InvalidEcmId(0),
            PeopleError::DuplicateEcmId { ecm: 7, other: 2 },
            PeopleError::DuplicateNumber("+18055550100".into()),
            PeopleError::NumberRequired,
            PeopleError::ContactTooLong { field: "name", len: 101 },
        ]
        .into_iter()
        .map(|e| UiError::from(CoreError::from(e)).code)
        .collect();
        assert_eq!(
            codes,
            [
                "invalid_name",
                "invalid_ecm_id",
                "duplicate_ecm_id",
                "duplicate_number",
                "number_required",
                "invalid_contact"
            ]
        );
    }

    #[test]
    fn team_database_errors_cross_with_the_codes_the_ui_branches_on() {
        use caredesk_core::{gateways::team_db::TeamDbError, rules::team_url::TeamUrlError};
        let s = || "db.clinic.example:5432".to_string();
        let codes: Vec<String> = [
            TeamDbError::Url(TeamUrlError::Insecure { host: "db.clinic.example".into() }),
            TeamDbError::Auth { role: "ana".into(), server: s(), admin: false },
            TeamDbError::Tls { server: s(), host: "db.clinic.example".into(), detail: "UnknownIssuer".into() },
            TeamDbError::Unreachable { server: s(), detail: "refused".into() },
            TeamDbError::NotInitialized { database: "caredesk".into(), server: s() },
            TeamDbError::SchemaNewer { found: 2, known: 1 },
            TeamDbError::SchemaOlder { found: 1, known: 2 },
            TeamDbError::NotMember { role: "ana".into(), database: "caredesk".into(), server: s() },
            TeamDbError::Permission { role: "admin".into(), what: "create a role".into(), detail: "denied".into() },
        ]
        .into_iter()
        .map(|e| UiError::from(CoreError::from(e)).code)
        .collect();
        assert_eq!(
            codes,
            [
                "team_insecure",
                "team_auth",
                "team_tls",
                "team_unreachable",
                "team_not_initialized",
                "team_schema_newer",
                "team_schema_older",
                "team_not_member",
                "team_permission"
            ]
        );
    }
}
