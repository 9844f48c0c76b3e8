//! The window's lock as the backend keeps it (automatic logoff). The backend,
//! not the UI, decides: every command that returns PHI asks
//! [`DeskLock::require_unlocked`] (through `AppState::with_desk`), and the
//! lock closes itself when the UI's last `report_activity` is older than the
//! timeout, whether or not the UI is still running its own timer.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use caredesk_core::desk::idle_lock::IdleLock;

use crate::error::UiError;

/// The code of every command refused while locked; the UI branches on it.
pub const LOCKED: &str = "locked";

/// Shortens the idle timeout to this many seconds (only ever shortens it):
/// for the end-to-end test, which cannot wait a minute.
pub const IDLE_LOCK_SECS_ENV: &str = "CAREDESK_IDLE_LOCK_SECS";

/// `security.idle_lock_minutes`' default.
const DEFAULT_MINUTES: u64 = 10;

/// The timeout from the setting (minutes), shortened by [`IDLE_LOCK_SECS_ENV`].
pub fn idle_timeout(minutes: Option<&str>, env_secs: Option<&str>) -> Duration {
    let minutes = minutes.and_then(|m| m.parse::<u64>().ok()).filter(|m| *m >= 1).unwrap_or(DEFAULT_MINUTES);
    let setting = Duration::from_secs(minutes * 60);
    match env_secs.and_then(|s| s.trim().parse::<u64>().ok()).filter(|s| *s >= 1) {
        Some(secs) => setting.min(Duration::from_secs(secs)),
        None => setting,
    }
}

/// Where the window stands: `setup` (no passphrase yet: first start), `locked` or `unlocked`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum LockState {
    Setup,
    Locked,
    Unlocked,
}

/// Where the window stands, for the UI.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct LockView {
    pub state: LockState,
    /// How long until a passphrase may be tried again.
    pub retry_after_ms: u64,
    /// The idle timeout, so the UI reports input often enough.
    pub idle_lock_secs: u64,
}

/// Cheap to clone; one per app.
#[derive(Clone)]
pub struct DeskLock {
    gate: Arc<Mutex<IdleLock>>,
    /// One passphrase check at a time, so parallel tries cannot skip the wait.
    turn: Arc<tokio::sync::Mutex<()>>,
}

impl Default for DeskLock {
    fn default() -> Self {
        let env = std::env::var(IDLE_LOCK_SECS_ENV).ok();
        DeskLock {
            gate: Arc::new(Mutex::new(IdleLock::new(idle_timeout(None, env.as_deref()), Instant::now()))),
            turn: Default::default(),
        }
    }
}

impl DeskLock {
    fn with<T>(&self, f: impl FnOnce(&mut IdleLock) -> T) -> Option<T> {
        self.gate.lock().ok().map(|mut g| f(&mut g))
    }

    /// Locked now (a poisoned lock counts as locked).
    pub fn is_locked(&self) -> bool {
        self.with(|g| g.is_locked(Instant::now())).unwrap_or(true)
    }

    /// `Err` with code [`LOCKED`] while locked.
    pub fn require_unlocked(&self) -> Result<(), UiError> {
        if self.is_locked() {
            return Err(UiError {
                code: LOCKED.into(),
                message: "CareDesk is locked. Unlock it with the unlock passphrase.".into(),
            });
        }
        Ok(())
    }

    pub fn activity(&self) {
        self.with(|g| g.activity(Instant::now()));
    }

    pub fn lock(&self) {
        self.with(|g| g.lock());
    }

    /// The setting changed (or the desk opened): `minutes` as stored.
    pub fn set_minutes(&self, minutes: Option<&str>) {
        let env = std::env::var(IDLE_LOCK_SECS_ENV).ok();
        let timeout = idle_timeout(minutes, env.as_deref());
        self.with(|g| g.set_timeout(timeout));
    }

    pub fn view(&self, passphrase_set: bool) -> LockView {
        let now = Instant::now();
        self.with(|g| LockView {
            state: match (passphrase_set, g.is_locked(now)) {
                (false, _) => LockState::Setup,
                (true, true) => LockState::Locked,
                (true, false) => LockState::Unlocked,
            },
            retry_after_ms: g.retry_after(now).map_or(0, |d| d.as_millis() as u64),
            idle_lock_secs: g.timeout().as_secs(),
        })
        .unwrap_or(LockView { state: LockState::Locked, retry_after_ms: 0, idle_lock_secs: 0 })
    }

    /// Waits for the one passphrase check at a time; `Err` (code
    /// `unlock_wait`) while an earlier wrong passphrase's wait runs.
    pub async fn turn(&self) -> Result<tokio::sync::MutexGuard<'_, ()>, UiError> {
        let turn = self.turn.lock().await;
        match self.with(|g| g.retry_after(Instant::now())).flatten() {
            Some(wait) => Err(UiError {
                code: "unlock_wait".into(),
                message: format!("Too many wrong passphrases. Try again in {} s.", secs_up(wait)),
            }),
            None => Ok(turn),
        }
    }

    /// A wrong passphrase: the error to return, naming the wait.
    pub fn failed(&self) -> UiError {
        let wait = self.with(|g| g.failed(Instant::now())).unwrap_or(idle_lock_max());
        UiError {
            code: "wrong_passphrase".into(),
            message: format!("That is not the unlock passphrase. Try again in {} s.", secs_up(wait)),
        }
    }

    pub fn unlocked(&self) {
        self.with(|g| g.unlocked(Instant::now()));
    }
}

fn idle_lock_max() -> Duration {
    caredesk_core::desk::idle_lock::MAX_RETRY_DELAY
}

/// Whole seconds, rounded up (a wait of 0.4 s still says 1 s).
fn secs_up(d: Duration) -> u64 {
    d.as_millis().div_ceil(1000) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timeout_comes_from_the_setting_and_the_env_only_shortens_it() {
        for (minutes, env, secs) in [
            (None, None, 600),
            (Some("1"), None, 60),
            (Some("30"), None, 1800),
            (Some("0"), None, 600),
            (Some("junk"), None, 600),
            (Some("1"), Some("3"), 3),
            (None, Some("3"), 3),
            (Some("1"), Some("3600"), 60),
            (Some("1"), Some("0"), 60),
            (Some("1"), Some("x"), 60),
        ] {
            assert_eq!(idle_timeout(minutes, env), Duration::from_secs(secs), "{minutes:?} {env:?}");
        }
    }

    #[test]
    fn starts_locked_refuses_then_opens() {
        let l = DeskLock::default();
        assert_eq!(l.require_unlocked().unwrap_err().code, LOCKED);
        assert_eq!(l.view(false).state, LockState::Setup);
        assert_eq!(l.view(true).state, LockState::Locked);
        l.unlocked();
        assert!(l.require_unlocked().is_ok());
        assert_eq!(l.view(true).state, LockState::Unlocked);
        l.lock();
        assert_eq!(l.require_unlocked().unwrap_err().code, LOCKED);
    }

    #[test]
    fn a_wrong_passphrase_says_how_long_to_wait_and_the_next_try_is_refused() {
        let l = DeskLock::default();
        let e = l.failed();
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("wrong_passphrase", "That is not the unlock passphrase. Try again in 1 s.")
        );
        let refused = tauri::async_runtime::block_on(async { l.turn().await.map(|_| ()) });
        assert_eq!(refused.unwrap_err().code, "unlock_wait");
        assert!(l.view(true).retry_after_ms > 0);
    }
}
