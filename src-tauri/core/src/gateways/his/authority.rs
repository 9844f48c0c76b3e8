//! The Azure AD authority (spec 003 §2, `AADInstance`) read liberally:
//! `https://login.microsoftonline.com/{0}` as the spec writes it, MSAL's
//! `.../<tenant>/v2.0`, or the token endpoint itself, all giving
//! `<scheme>://<host>[:port]/<tenant>/oauth2/v2.0/token`.

use super::{
    auth::{AzureConfig, DEFAULT_AUTHORITY},
    error::HisError,
};

/// `{0}` as the URL parser writes it in a path.
const PLACEHOLDER: &str = "%7B0%7D";

/// Where an authority leaves the tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
enum TenantSlot {
    /// `{0}`, or no path at all: his.azure.tenant goes there.
    Setting,
    /// The authority names it (`.../contoso.onmicrosoft.com/v2.0`).
    Named(String),
}

/// An authority read liberally: its scheme, host and port, the path before
/// the tenant, and the tenant's slot. MSAL's `/v2.0` and a token endpoint
/// given by mistake (`/oauth2/v2.0/token`, `/oauth2/v2.0`, `/oauth2/token`)
/// are dropped.
fn parse_authority(template: &str) -> Result<(url::Url, Vec<String>, TenantSlot), HisError> {
    let raw = match template.trim() {
        "" => DEFAULT_AUTHORITY,
        t => t,
    };
    let bad = |why: String| HisError::Config(format!("his.azure.authority {raw:?} {why}"));
    let url = url::Url::parse(raw).map_err(|e| bad(format!("is not a URL ({e})")))?;
    crate::rules::transport::check(&url).map_err(|e| bad(format!("is refused: {e}")))?;
    if url.cannot_be_a_base() || url.host_str().is_none() {
        return Err(bad("is not an http(s) address with a host".into()));
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not carry a ?query, #fragment or user@".into()));
    }
    let mut path: Vec<String> =
        url.path_segments().into_iter().flatten().filter(|s| !s.is_empty()).map(String::from).collect();
    let last_is = |path: &[String], word: &str| path.last().is_some_and(|s| s.eq_ignore_ascii_case(word));
    if last_is(&path, "token") {
        path.pop();
    }
    if last_is(&path, "v2.0") && path.len() >= 2 && path[path.len() - 2].eq_ignore_ascii_case("oauth2") {
        path.truncate(path.len() - 2);
    } else if last_is(&path, "oauth2") {
        path.pop();
    }
    if last_is(&path, "v2.0") {
        path.pop();
    }
    let slot = match path.pop() {
        None => TenantSlot::Setting,
        Some(s) if s.eq_ignore_ascii_case(PLACEHOLDER) => TenantSlot::Setting,
        Some(s) => TenantSlot::Named(s),
    };
    let placeholder_elsewhere = path.iter().any(|s| s.to_ascii_uppercase().contains(PLACEHOLDER))
        || matches!(&slot, TenantSlot::Named(s) if s.to_ascii_uppercase().contains(PLACEHOLDER))
        || url.host_str().is_some_and(|h| h.contains("{0}"));
    if placeholder_elsewhere {
        return Err(bad(
            "may have {0} only as the last part of its path, like https://login.microsoftonline.com/{0}".into()
        ));
    }
    let mut base = url;
    base.set_path("");
    Ok((base, path, slot))
}

fn check_tenant(tenant: &str, setting: &str) -> Result<(), HisError> {
    if tenant.is_empty() || !tenant.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.') {
        return Err(HisError::Config(format!(
            "{setting} {tenant:?} is not a tenant id or domain (like 00000000-0000-0000-0000-000000000000 or contoso.onmicrosoft.com)"
        )));
    }
    Ok(())
}

/// The tenant `authority` names itself (MSAL's form,
/// `https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0`), or
/// `None` when it leaves the tenant to his.azure.tenant (`{0}`, or no path)
/// or cannot be read (then [`AzureConfig::token_url`] says why).
pub fn authority_tenant(authority: &str) -> Option<String> {
    match parse_authority(authority).ok()?.2 {
        TenantSlot::Named(t) => Some(t),
        TenantSlot::Setting => None,
    }
}

impl AzureConfig {
    /// `<scheme>://<host>[:port]/<tenant>/oauth2/v2.0/token`, from any of
    /// `https://login.microsoftonline.com/{0}` (also with `/` or MSAL's
    /// `/v2.0` after it), `https://login.microsoftonline.com/` (the tenant
    /// setting is appended), an authority naming its tenant
    /// (`.../contoso.onmicrosoft.com`, `.../<tenant id>/v2.0`: used as is, the
    /// tenant setting optional and, if different, overruled with a warning),
    /// or the token endpoint itself. A path before the tenant is kept. Plain
    /// http is accepted only for a server on this machine (tests, the sandbox).
    pub fn token_url(&self) -> Result<url::Url, HisError> {
        let (mut url, mut path, slot) = parse_authority(&self.authority_template)?;
        let setting = self.tenant.trim();
        let tenant = match slot {
            TenantSlot::Named(named) => {
                check_tenant(&named, "the tenant in his.azure.authority")?;
                if !setting.is_empty() && !setting.eq_ignore_ascii_case(&named) {
                    tracing::warn!(
                        authority_tenant = %named,
                        setting_tenant = %setting,
                        "his.azure.authority names a tenant other than his.azure.tenant; using the authority's"
                    );
                }
                named
            }
            TenantSlot::Setting if setting.is_empty() => {
                return Err(HisError::Config(
                    "his.azure.tenant is not set, and his.azure.authority does not name a tenant".into(),
                ))
            }
            TenantSlot::Setting => {
                check_tenant(setting, "his.azure.tenant")?;
                setting.to_string()
            }
        };
        path.extend([tenant, "oauth2".into(), "v2.0".into(), "token".into()]);
        url.set_path(&path.join("/"));
        Ok(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::secret::Secret;

    fn config(authority: &str, tenant: &str) -> AzureConfig {
        AzureConfig {
            authority_template: authority.into(),
            tenant: tenant.into(),
            client_id: "c".into(),
            scope: "s".into(),
            client_secret: Secret::new("x"),
        }
    }

    const GUID: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

    #[test]
    fn authorities_in_every_form_give_the_v2_token_endpoint() {
        let ms = "https://login.microsoftonline.com";
        let contoso = format!("{ms}/contoso.onmicrosoft.com/oauth2/v2.0/token");
        let tenant_url = format!("{ms}/{GUID}/oauth2/v2.0/token");
        // (authority, his.azure.tenant, token endpoint)
        let cases: Vec<(String, &str, String)> = vec![
            (format!("{ms}/{{0}}"), GUID, tenant_url.clone()),
            (format!("{ms}/{{0}}/"), GUID, tenant_url.clone()),
            (format!("{ms}/{{0}}/v2.0"), GUID, tenant_url.clone()),
            (format!("{ms}/{{0}}/v2.0/"), GUID, tenant_url.clone()),
            (format!("{ms}/{{0}}/oauth2/v2.0/token"), GUID, tenant_url.clone()),
            (format!("{ms}/{{0}}/oauth2/v2.0"), GUID, tenant_url.clone()),
            (format!("{ms}/{{0}}/oauth2/token"), GUID, tenant_url.clone()),
            (format!(" {ms}/{{0}} "), GUID, tenant_url.clone()),
            (format!("{ms}/"), GUID, tenant_url.clone()),
            (ms.to_string(), GUID, tenant_url.clone()),
            (format!("{ms}/oauth2/v2.0/token"), GUID, tenant_url.clone()),
            (String::new(), GUID, tenant_url.clone()),
            (format!("{ms}/contoso.onmicrosoft.com"), "", contoso.clone()),
            (format!("{ms}/contoso.onmicrosoft.com/"), "", contoso.clone()),
            (format!("{ms}/contoso.onmicrosoft.com/v2.0"), "", contoso.clone()),
            (format!("{ms}/contoso.onmicrosoft.com/oauth2/v2.0/token"), "", contoso.clone()),
            (format!("{ms}/contoso.onmicrosoft.com/OAuth2/V2.0/Token"), "", contoso.clone()),
            (format!("{ms}/{GUID}/v2.0"), "", tenant_url.clone()),
            (format!("{ms}/{GUID}/v2.0"), GUID, tenant_url.clone()),
            // The authority names the tenant: it wins over a different setting.
            (format!("{ms}/contoso.onmicrosoft.com/v2.0"), GUID, contoso.clone()),
            (
                "https://login.microsoftonline.us/{0}/".into(),
                "t1",
                "https://login.microsoftonline.us/t1/oauth2/v2.0/token".into(),
            ),
            ("http://127.0.0.1:8080/{0}".into(), "t1", "http://127.0.0.1:8080/t1/oauth2/v2.0/token".into()),
            ("http://localhost:8080/".into(), "t1", "http://localhost:8080/t1/oauth2/v2.0/token".into()),
            ("http://[::1]:9/t2/v2.0".into(), "", "http://[::1]:9/t2/oauth2/v2.0/token".into()),
            (
                "https://proxy.example/aad/{0}/v2.0".into(),
                "t1",
                "https://proxy.example/aad/t1/oauth2/v2.0/token".into(),
            ),
        ];
        for (authority, tenant, want) in cases {
            let got = config(&authority, tenant).token_url().map(|u| u.to_string());
            assert_eq!(got.as_deref(), Ok(want.as_str()), "{authority:?} with tenant {tenant:?}");
        }
    }

    #[test]
    fn bad_authorities_and_tenants_are_config_errors() {
        let ms = "https://login.microsoftonline.com";
        // (authority, his.azure.tenant, words in the error)
        let cases = [
            ("http://login.example/{0}", "t1", "https"),
            ("ftp://login.example/{0}", "t1", "https"),
            ("not a url", "t1", "not a URL"),
            (&format!("{ms}/{{0}}") as &str, "", "his.azure.tenant is not set"),
            (&format!("{ms}/") as &str, "", "his.azure.tenant is not set"),
            (&format!("{ms}/{{0}}") as &str, "evil/../x", "not a tenant id"),
            (&format!("{ms}/{{0}}") as &str, "a b", "not a tenant id"),
            (&format!("{ms}/ev%2Fil/v2.0") as &str, "", "not a tenant id"),
            (&format!("{ms}/{{0}}/x") as &str, "t1", "only as the last part"),
            ("https://{0}.b2clogin.com/", "t1", "only as the last part"),
            (&format!("{ms}/{{0}}?dc=x") as &str, "t1", "?query"),
            ("https://user@login.microsoftonline.com/{0}", "t1", "user@"),
        ];
        for (authority, tenant, words) in cases {
            match config(authority, tenant).token_url() {
                Err(HisError::Config(m)) => assert!(m.contains(words), "{authority:?}: {m}"),
                other => panic!("{authority:?} with {tenant:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_tenant_an_authority_names() {
        let ms = "https://login.microsoftonline.com";
        assert_eq!(
            authority_tenant(&format!("{ms}/contoso.onmicrosoft.com/v2.0")).as_deref(),
            Some("contoso.onmicrosoft.com")
        );
        assert_eq!(authority_tenant(&format!("{ms}/{GUID}")).as_deref(), Some(GUID));
        for leaves_it in
            [format!("{ms}/{{0}}"), format!("{ms}/{{0}}/v2.0"), format!("{ms}/"), String::new(), "nope".into()]
        {
            assert_eq!(authority_tenant(&leaves_it), None, "{leaves_it:?}");
        }
    }
}
