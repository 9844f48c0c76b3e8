//! `caredesk test-sms`: one message to a given number through the
//! configured route, to check the configuration (spec 002's test harness).
//! It bypasses the outbox and the patient roster on purpose, but not consent
//! or test mode: an opted-out number is refused, and in test mode the
//! sandbox answers.

use std::sync::Mutex;

use crate::{
    desk::Desk,
    engine::routes::Gateways,
    gateways::his::wire::SendSmsRequest,
    rules::error::{CoreError, Result},
    rules::phone,
    rules::redact,
    store::Route,
};

pub const TEST_TEXT: &str = "CareDesk test message: your SMS configuration works. No reply is needed.";

/// Sends the test message and says what the gateway answered.
pub async fn send_test_sms(desk: &Mutex<Desk>, gateways: &Gateways, to: &str, via: Option<Route>) -> Result<String> {
    let (to, route, from, key) = {
        let d = desk.lock().map_err(|_| CoreError::Io("the desk lock was poisoned".into()))?;
        let to = phone::normalize(to, d.region())?;
        if d.db().is_opted_out(to.as_str())? {
            return Err(CoreError::OptedOut { number: to.to_string() });
        }
        let route = via.unwrap_or(gateways.default_route);
        // The ExternalKey it takes and the audit entry: one transaction.
        let key = d.db().atomically(|c| {
            let detail = format!("test message via {} to {}", route.as_str(), redact::phone(to.as_str()));
            d.db().audit_on(c, &d.actor(), "sms.test", None, &detail)?;
            d.db().next_external_key()
        })?;
        (to, route, gateways.his_from().map(String::from).ok(), key)
    };
    match route {
        Route::His => {
            let from =
                from.ok_or_else(|| CoreError::InvalidMessage("set his.from first (see `caredesk numbers`)".into()))?;
            let data = gateways.his()?.send_sms(&SendSmsRequest::new(&from, &to, TEST_TEXT, key)).await?;
            let at = data.created_at.map(|t| format!(" at {t}")).unwrap_or_default();
            Ok(format!("accepted by the hospital SMS server: id {}{at} (from {from} to {to})", data.id))
        }
        Route::Ecm => Err(CoreError::InvalidMessage(
            "the ECM API sends only to a patient: use `caredesk send --patient ecm:N --via ecm --text ...` to test it"
                .into(),
        )),
    }
}
