//! How the window's web view paints on Linux.
//!
//! WebKitGTK composites the page with OpenGL by default. Without a GPU (a
//! virtual desktop, a thin client, Xvfb) that OpenGL is Mesa's software
//! rasterizer, and the composited layers, their textures and the rasterizer
//! cost 85 to 110 MiB across the app and its web process
//! (`tests/bench/app-startup.sh`: 335 MiB idle with compositing, 223 to
//! 251 MiB without, for a bare Tauri window 252 MiB). CareDesk is text, lists and
//! forms: it has nothing to gain from a GPU, so it asks WebKit to paint
//! without compositing, as many WebKitGTK apps do on drivers where
//! compositing draws nothing at all.
//!
//! `WEBKIT_DISABLE_COMPOSITING_MODE` set before start (to `0` to keep
//! compositing) is left as it is.

/// The environment variable WebKitGTK reads when it creates a web view.
pub const COMPOSITING_ENV: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";

/// What to set `COMPOSITING_ENV` to, given its value at start: `None` keeps
/// what the user chose.
pub fn compositing_setting(current: Option<&std::ffi::OsStr>) -> Option<&'static str> {
    match current {
        Some(_) => None,
        None => Some("1"),
    }
}

/// Applies [`compositing_setting`]. Call first thing in `main`, before any
/// thread starts (the environment is process-wide).
pub fn choose_painting() {
    if cfg!(target_os = "linux") {
        if let Some(value) = compositing_setting(std::env::var_os(COMPOSITING_ENV).as_deref()) {
            std::env::set_var(COMPOSITING_ENV, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compositing_is_turned_off_unless_the_user_chose() {
        assert_eq!(compositing_setting(None), Some("1"));
        assert_eq!(compositing_setting(Some(std::ffi::OsStr::new("0"))), None);
        assert_eq!(compositing_setting(Some(std::ffi::OsStr::new("1"))), None);
    }
}
