//! Automatic logoff (45 CFR 164.312(a)(2)(iii)): when the desk locks, how long
//! a wrong unlock passphrase makes the next try wait. Pure state over a
//! clock passed in; the app keeps one [`IdleLock`] and asks it before every
//! command that returns PHI.

use std::time::{Duration, Instant};

/// The longest wait after wrong passphrases.
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(30);

/// The wait after the `failures`-th wrong passphrase in a row: 1 s, 2 s, 4 s … 30 s.
pub fn retry_delay(failures: u32) -> Duration {
    let secs = 1u64.checked_shl(failures.saturating_sub(1)).unwrap_or(u64::MAX);
    Duration::from_secs(secs).min(MAX_RETRY_DELAY)
}

/// The lock of one window. It starts locked: a restarted app asks for the
/// passphrase again.
#[derive(Debug, Clone)]
pub struct IdleLock {
    timeout: Duration,
    last_activity: Instant,
    locked: bool,
    failures: u32,
    retry_at: Option<Instant>,
}

impl IdleLock {
    pub fn new(timeout: Duration, now: Instant) -> IdleLock {
        IdleLock { timeout, last_activity: now, locked: true, failures: 0, retry_at: None }
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// A new timeout counts from the last input already seen.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// Whether the desk is locked now, locking it when the last input is
    /// older than the timeout (whether or not the UI said so).
    pub fn is_locked(&mut self, now: Instant) -> bool {
        if !self.locked && now.saturating_duration_since(self.last_activity) >= self.timeout {
            self.locked = true;
        }
        self.locked
    }

    /// Input in the window: the idle time starts again. Input never unlocks.
    pub fn activity(&mut self, now: Instant) {
        if !self.is_locked(now) {
            self.last_activity = self.last_activity.max(now);
        }
    }

    /// Lock now (Ctrl+L, the Lock button).
    pub fn lock(&mut self) {
        self.locked = true;
    }

    /// How long until the next passphrase may be tried (`None`: now).
    pub fn retry_after(&self, now: Instant) -> Option<Duration> {
        self.retry_at.and_then(|t| t.checked_duration_since(now)).filter(|d| !d.is_zero())
    }

    /// A wrong passphrase: the next try waits longer. Returns the wait.
    pub fn failed(&mut self, now: Instant) -> Duration {
        self.failures = self.failures.saturating_add(1);
        let wait = retry_delay(self.failures);
        self.retry_at = Some(now + wait);
        wait
    }

    /// The right passphrase: unlocked, the waits start over.
    pub fn unlocked(&mut self, now: Instant) {
        self.locked = false;
        self.failures = 0;
        self.retry_at = None;
        self.last_activity = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    #[test]
    fn starts_locked_and_locks_itself_after_the_timeout() {
        let t0 = Instant::now();
        let mut l = IdleLock::new(10 * MIN, t0);
        assert!(l.is_locked(t0), "a started app asks for the passphrase");
        l.activity(t0 + MIN);
        assert!(l.is_locked(t0 + MIN), "input does not unlock");
        l.unlocked(t0 + MIN);
        assert!(!l.is_locked(t0 + 10 * MIN));
        l.activity(t0 + 5 * MIN);
        assert!(!l.is_locked(t0 + 14 * MIN), "input restarts the idle time");
        assert!(l.is_locked(t0 + 15 * MIN), "no input for the timeout: locked, with no UI report needed");
        l.activity(t0 + 16 * MIN);
        assert!(l.is_locked(t0 + 16 * MIN), "input after the lock does not reopen it");
    }

    #[test]
    fn lock_now_and_a_shorter_timeout() {
        let t0 = Instant::now();
        let mut l = IdleLock::new(10 * MIN, t0);
        l.unlocked(t0);
        l.lock();
        assert!(l.is_locked(t0));
        l.unlocked(t0);
        l.set_timeout(MIN);
        assert!(l.is_locked(t0 + MIN));
    }

    #[test]
    fn wrong_passphrases_wait_longer_each_time_up_to_30_s() {
        let secs: Vec<u64> = (1..=8).map(|n| retry_delay(n).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 30, 30, 30]);
        assert_eq!(retry_delay(u32::MAX), MAX_RETRY_DELAY);
        let t0 = Instant::now();
        let mut l = IdleLock::new(MIN, t0);
        assert_eq!(l.retry_after(t0), None);
        assert_eq!(l.failed(t0), Duration::from_secs(1));
        assert_eq!(l.retry_after(t0), Some(Duration::from_secs(1)));
        assert_eq!(l.retry_after(t0 + Duration::from_secs(1)), None);
        assert_eq!(l.failed(t0 + Duration::from_secs(1)), Duration::from_secs(2));
        l.lock();
        assert_eq!(l.failed(t0 + Duration::from_secs(3)), Duration::from_secs(4), "locking again does not reset");
        l.unlocked(t0 + Duration::from_secs(7));
        assert_eq!(l.failed(t0 + Duration::from_secs(8)), Duration::from_secs(1), "the right one resets");
    }
}
