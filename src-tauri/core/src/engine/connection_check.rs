//! "Check connection" in Settings: one harmless request per server with the
//! current settings and secrets, and its result in words.

use std::time::Instant;

use crate::{
    engine::routes::{Gateways, Mode},
    gateways::his::wire::sender_for_wire,
    rules::error::CoreError,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    His,
    Ecm,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct ConnectionCheck {
    pub service: Service,
    pub ok: bool,
    pub message: String,
    pub elapsed_ms: u64,
}

/// One hospital sender number from Get numbers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct SenderNumber {
    /// A hospital phone number (international digits) or a sender name.
    pub number: String,
}

fn where_(gateways: &Gateways) -> &'static str {
    match gateways.mode {
        Mode::Sandbox => " (the built-in sandbox)",
        Mode::Real => "",
    }
}

/// The hospital SMS server: Get numbers (proves the address, the
/// authorization and the sender). ECM: an empty request its parameter check
/// refuses after accepting the token.
pub async fn check(gateways: &Gateways, service: Service) -> ConnectionCheck {
    let started = Instant::now();
    let result: Result<String, CoreError> = match service {
        Service::His => {
            async {
                let his = gateways.his()?;
                let numbers = his.numbers().await?;
                let sender = match gateways.his_from() {
                    Ok(from) => sender_note(from, numbers.iter().map(|n| n.number.as_str())),
                    Err(_) => "; choose a sender number".to_string(),
                };
                Ok(format!("Connected{}: {} sender number(s){sender}", where_(gateways), numbers.len()))
            }
            .await
        }
        Service::Ecm => {
            async {
                gateways.ecm()?.probe().await?;
                Ok(format!("Connected{}: the ECM Communications API accepted the token", where_(gateways)))
            }
            .await
        }
    };
    let elapsed_ms = started.elapsed().as_millis() as u64;
    match result {
        Ok(message) => ConnectionCheck { service, ok: true, message, elapsed_ms },
        Err(e) => ConnectionCheck { service, ok: false, message: e.to_string(), elapsed_ms },
    }
}

/// The server's spelling of `from` (setting `his.from`) among its numbers:
/// numbers compared as they go on the wire (`+370 600 00001` and
/// `370-600-00001` are `37060000001`), sender names regardless of case.
pub fn find_sender<'a>(from: &str, numbers: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let wanted = sender_for_wire(from);
    numbers.into_iter().find(|n| !wanted.is_empty() && sender_for_wire(n).eq_ignore_ascii_case(&wanted))
}

/// The check's words about `his.from`.
fn sender_note<'a>(from: &str, numbers: impl IntoIterator<Item = &'a str>) -> String {
    match find_sender(from, numbers) {
        Some(n) if sender_for_wire(n) != sender_for_wire(from) => format!(
            "; the sender set in his.from is one of them, written {n} by the server (set his.from to {n} if sends are refused)"
        ),
        Some(_) => "; the sender number is one of them".to_string(),
        None => "; the sender number set in his.from is NOT among them".to_string(),
    }
}

/// The hospital's sender numbers, for choosing `his.from`.
pub async fn sender_numbers(gateways: &Gateways) -> Result<Vec<SenderNumber>, CoreError> {
    let numbers = gateways.his()?.numbers().await?;
    Ok(numbers.into_iter().map(|n| SenderNumber { number: n.number }).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        desk::secrets::{Secret, SecretName},
        desk::Desk,
        desk::DeskOptions,
        engine::routes::GatewayPlan,
        sandbox::SandboxOptions,
    };

    fn desk() -> (tempfile::TempDir, Desk) {
        let dir = tempfile::tempdir().unwrap();
        let desk = Desk::open(DeskOptions {
            data_dir: Some(dir.path().to_path_buf()),
            keyring: crate::desk::KeyringChoice::Given(crate::desk::secrets::memory_store()),
        })
        .unwrap();
        (dir, desk)
    }

    #[test]
    fn the_sender_is_compared_as_it_goes_on_the_wire() {
        let numbers = ["37060000001", "RSL_HOSP", "37000000000"];
        // (his.from, the server's number it matches)
        let cases = [
            ("37060000001", Some("37060000001")),
            ("+370 600 00001", Some("37060000001")),
            ("370-600-00001", Some("37060000001")),
            (" (370) 600.00001 ", Some("37060000001")),
            ("RSL_HOSP", Some("RSL_HOSP")),
            ("rsl_hosp", Some("RSL_HOSP")),
            ("Rsl_Hosp ", Some("RSL_HOSP")),
            ("37060000002", None),
            ("3706000000", None),
            ("RSL HOSP", None),
            ("", None),
        ];
        for (from, want) in cases {
            assert_eq!(find_sender(from, numbers), want, "{from:?}");
        }
        assert!(find_sender("+370 600 00001", ["+370 600 00001"]).is_some(), "a server writing + and spaces");
        assert_eq!(sender_note("+370 600 00001", numbers), "; the sender number is one of them");
        assert!(sender_note("rsl_hosp", numbers).contains("written RSL_HOSP"), "{}", sender_note("rsl_hosp", numbers));
        assert!(sender_note("37060000009", numbers).contains("NOT among them"));
    }

    #[tokio::test]
    async fn a_wrong_ecm_address_is_reported_in_words() {
        use wiremock::{Mock, MockServer, ResponseTemplate};
        let server = MockServer::start().await;
        Mock::given(wiremock::matchers::any())
            .respond_with(ResponseTemplate::new(404).set_body_raw("<html><h1>Not Found</h1></html>", "text/html"))
            .mount(&server)
            .await;
        let (_d, desk) = desk();
        desk.set_setting("servers.mode", "real").unwrap();
        desk.set_setting("ecm.base_url", &server.uri()).unwrap();
        desk.set_credential(SecretName::EcmToken, &Secret::new("ecm-token-value-1")).unwrap();
        let gw = GatewayPlan::from_desk(&desk).unwrap().connect(SandboxOptions::default()).await.unwrap();
        let ecm = check(&gw, Service::Ecm).await;
        assert!(!ecm.ok, "{ecm:?}");
        assert!(
            ecm.message.contains("does not look like the ECM Communications API")
                && ecm.message.contains("HTTP 404")
                && ecm.message.contains("check ecm.base_url"),
            "{}",
            ecm.message
        );
        assert!(!ecm.message.contains("ecm-token-value-1"), "{}", ecm.message);
    }

    #[tokio::test]
    async fn azure_with_msals_authority_needs_no_tenant_setting() {
        use crate::sandbox::{
            SANDBOX_AZURE_CLIENT_ID, SANDBOX_AZURE_CLIENT_SECRET, SANDBOX_AZURE_SCOPE, SANDBOX_AZURE_TENANT,
        };
        let (_d, desk) = desk();
        let sandbox = crate::sandbox::Sandbox::start(SandboxOptions::for_tests()).await.unwrap();
        desk.set_setting("servers.mode", "real").unwrap();
        desk.set_setting("his.base_url", sandbox.his_base_url().as_str()).unwrap();
        desk.set_setting("his.from", crate::sandbox::magic::HOSPITAL_NUMBER).unwrap();
        desk.set_setting("his.auth", "azure").unwrap();
        desk.set_setting("his.azure.client_id", SANDBOX_AZURE_CLIENT_ID).unwrap();
        desk.set_setting("his.azure.scope", SANDBOX_AZURE_SCOPE).unwrap();
        desk.set_credential(SecretName::HisClientSecret, &Secret::new(SANDBOX_AZURE_CLIENT_SECRET)).unwrap();
        // {0} without his.azure.tenant: the missing setting is named.
        let gw = GatewayPlan::from_desk(&desk).unwrap().connect(SandboxOptions::default()).await.unwrap();
        let his = check(&gw, Service::His).await;
        assert!(!his.ok && his.message.contains("his.azure.tenant is not set"), "{his:?}");
        // MSAL's form names the tenant: no tenant setting needed.
        let authority = format!("{}{SANDBOX_AZURE_TENANT}/v2.0", sandbox.base_url());
        desk.set_setting("his.azure.authority", &authority).unwrap();
        // Another authority: the client secret entered for Microsoft's is gone.
        assert!(!desk.credentials().is_stored(SecretName::HisClientSecret).unwrap());
        desk.set_credential(SecretName::HisClientSecret, &Secret::new(SANDBOX_AZURE_CLIENT_SECRET)).unwrap();
        let gw = GatewayPlan::from_desk(&desk).unwrap().connect(SandboxOptions::default()).await.unwrap();
        let his = check(&gw, Service::His).await;
        assert!(his.ok, "{his:?}");
        assert_eq!(sandbox.state().token_requests, 1);
        sandbox.shutdown().await;
    }

    #[tokio::test]
    async fn both_services_check_out_against_the_sandbox() {
        let (_d, desk) = desk();
        let gw = GatewayPlan::from_desk(&desk).unwrap().connect(SandboxOptions::default()).await.unwrap();
        let his = check(&gw, Service::His).await;
        assert!(his.ok, "{his:?}");
        assert!(his.message.contains("sandbox") && his.message.contains("sender number"), "{}", his.message);
        let ecm = check(&gw, Service::Ecm).await;
        assert!(ecm.ok, "{ecm:?}");
        assert!(!sender_numbers(&gw).await.unwrap().is_empty());
        gw.shutdown().await;
    }

    #[tokio::test]
    async fn a_wrong_token_and_an_unreachable_server_fail_in_words() {
        let (_d, desk) = desk();
        let sandbox = crate::sandbox::Sandbox::start(SandboxOptions::for_tests()).await.unwrap();
        desk.set_setting("servers.mode", "real").unwrap();
        desk.set_setting("ecm.base_url", sandbox.ecm_base_url().as_str()).unwrap();
        desk.set_credential(SecretName::EcmToken, &Secret::new("not-the-token")).unwrap();
        // Nothing listens on port 9 of loopback.
        desk.set_setting("his.base_url", "http://127.0.0.1:9/").unwrap();
        desk.set_credential(SecretName::HisToken, &Secret::new("x")).unwrap();
        desk.set_setting("his.from", "CLINIC").unwrap();
        let gw = GatewayPlan::from_desk(&desk).unwrap().connect(SandboxOptions::default()).await.unwrap();
        let ecm = check(&gw, Service::Ecm).await;
        assert!(!ecm.ok);
        assert!(ecm.message.contains("refused the token"), "{}", ecm.message);
        let his = check(&gw, Service::His).await;
        assert!(!his.ok);
        assert!(his.message.contains("reach"), "{}", his.message);
        sandbox.shutdown().await;
    }
}
