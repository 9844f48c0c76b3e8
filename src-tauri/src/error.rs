//! The one error shape that crosses to the UI: `{ code, message }`.

use caredesk_core::CoreError;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UiError {
    pub code: String,
    pub message: String,
}

impl From<CoreError> for UiError {
    fn from(e: CoreError) -> Self {
        tracing::warn!(error = %e, "command failed");
        let code = serde_json::to_value(e.code())
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_else(|| "internal".into());
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

    #[test]
    fn core_errors_cross_as_code_and_message() {
        let e: UiError = CoreError::PatientNotFound("ecm:9".into()).into();
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({"code": "not_found", "message": "patient ecm:9 not found"})
        );
        let e: UiError = CoreError::NumberNotOnFile { number: "+18055550177".into(), patient: "Ana".into() }.into();
        assert_eq!(e.code, "number_not_on_file", "the UI asks to confirm another number on this code");
    }
}
