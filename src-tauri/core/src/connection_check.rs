//! "Check connection" in Settings: one harmless request per server with the
//! current settings and secrets, and its result in words.

use std::time::Instant;

use crate::{
    error::CoreError,
    gateways::{Gateways, Mode},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    His,
    Ecm,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ConnectionCheck {
    pub service: Service,
    pub ok: bool,
    pub message: String,
    pub elapsed_ms: u64,
}

/// One hospital sender number from Get numbers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
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
                    Ok(from) if numbers.iter().any(|n| n.number == from) => {
                        "; the sender number is one of them".to_string()
                    }
                    Ok(_) => "; the sender number set in his.from is NOT among them".to_string(),
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

/// The hospital's sender numbers, for choosing `his.from`.
pub async fn sender_numbers(gateways: &Gateways) -> Result<Vec<SenderNumber>, CoreError> {
    let numbers = gateways.his()?.numbers().await?;
    Ok(numbers.into_iter().map(|n| SenderNumber { number: n.number }).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        gateways::GatewayPlan,
        sandbox::SandboxOptions,
        secrets::{Secret, SecretName},
        Desk, DeskOptions,
    };

    fn desk() -> (tempfile::TempDir, Desk) {
        let dir = tempfile::tempdir().unwrap();
        let desk = Desk::open(DeskOptions {
            data_dir: Some(dir.path().to_path_buf()),
            keyring: crate::desk::KeyringChoice::Given(crate::secrets::memory_store()),
        })
        .unwrap();
        (dir, desk)
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
