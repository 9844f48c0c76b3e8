//! The send rate per sender number (spec 002: carriers may throttle to 1-3
//! messages per second). One [`SendLimiter`] per process, shared by every
//! worker: the app's engine and each `send` waiting for its message.

use std::{fmt, time::Duration};

use governor::{
    clock::{Clock, DefaultClock},
    middleware::NoOpMiddleware,
    state::keyed::DefaultKeyedStateStore,
    Quota, RateLimiter,
};

use crate::{
    desk::Desk,
    rules::error::{CoreError, Result},
};

type Keyed<C> = RateLimiter<String, DefaultKeyedStateStore<String>, C, NoOpMiddleware<<C as Clock>::Instant>>;

/// At most `rate_per_sec` SMS per second for each sender (a hospital
/// number or sender name, or `ecm`), evenly spaced: no bursts.
pub struct SendLimiter<C: Clock = DefaultClock> {
    rate_per_sec: f64,
    limiter: Option<Keyed<C>>,
}

impl<C: Clock> fmt::Debug for SendLimiter<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendLimiter").field("rate_per_sec", &self.rate_per_sec).finish()
    }
}

impl SendLimiter {
    /// `rate_per_sec` from setting `sms.rate_per_sec`; 0 (or less) means no
    /// limit.
    pub fn new(rate_per_sec: f64) -> SendLimiter {
        SendLimiter::with_clock(rate_per_sec, DefaultClock::default())
    }

    /// The limiter for the desk's `sms.rate_per_sec`.
    pub fn from_desk(desk: &Desk) -> Result<SendLimiter> {
        let value = desk.setting("sms.rate_per_sec")?.unwrap_or_else(|| "1".into());
        let rate = value.parse::<f64>().map_err(|_| {
            CoreError::InvalidMessage(format!("sms.rate_per_sec {value:?} is not a number; set it again"))
        })?;
        Ok(SendLimiter::new(rate))
    }
}

impl<C: Clock> SendLimiter<C> {
    /// A limiter on a given clock (a fake one in tests).
    pub fn with_clock(rate_per_sec: f64, clock: C) -> SendLimiter<C> {
        let rate = if rate_per_sec.is_finite() { rate_per_sec } else { 0.0 };
        let quota = (rate > 0.0)
            .then(|| Duration::from_secs_f64(1.0 / rate))
            .and_then(|period| Quota::with_period(period.max(Duration::from_nanos(1))));
        let limiter = quota.map(|q| RateLimiter::new(q, DefaultKeyedStateStore::default(), clock));
        SendLimiter { rate_per_sec: if limiter.is_some() { rate } else { 0.0 }, limiter }
    }

    /// 0 when unlimited.
    pub fn rate_per_sec(&self) -> f64 {
        self.rate_per_sec
    }

    /// Takes a slot for one SMS from `sender`, or says how long until the
    /// next slot (and takes nothing).
    pub fn try_acquire(&self, sender: &str) -> std::result::Result<(), Duration> {
        match &self.limiter {
            None => Ok(()),
            Some(l) => l.check_key(&sender.to_string()).map_err(|not_until| not_until.wait_time_from(l.clock().now())),
        }
    }
}

#[cfg(test)]
mod tests {
    use governor::clock::{FakeRelativeClock, Reference};

    use super::*;

    #[test]
    fn each_sender_gets_its_own_evenly_spaced_slots() {
        let clock = FakeRelativeClock::default();
        let l = SendLimiter::with_clock(5.0, clock.clone());
        assert_eq!(l.try_acquire("15550100000"), Ok(()));
        let wait = l.try_acquire("15550100000").unwrap_err();
        assert!(wait > Duration::from_millis(150) && wait <= Duration::from_millis(200), "{wait:?}");
        assert_eq!(l.try_acquire("ecm"), Ok(()), "another sender is not held back");
        clock.advance(Duration::from_millis(100));
        assert!(l.try_acquire("15550100000").is_err());
        clock.advance(Duration::from_millis(100));
        assert_eq!(l.try_acquire("15550100000"), Ok(()));

        // 10 sends at 5/s on the fake clock: the last goes 1.8 s after the first.
        let l = SendLimiter::with_clock(5.0, clock.clone());
        let start = clock.now();
        let mut sent = 0;
        while sent < 10 {
            match l.try_acquire("x") {
                Ok(()) => sent += 1,
                Err(wait) => clock.advance(wait),
            }
        }
        assert_eq!(Duration::from(clock.now().duration_since(start)), Duration::from_millis(1800));
    }

    #[test]
    fn zero_or_nonsense_means_unlimited_and_fractions_work() {
        for rate in [0.0, -1.0, f64::NAN] {
            let l = SendLimiter::with_clock(rate, FakeRelativeClock::default());
            assert!((0..1000).all(|_| l.try_acquire("x").is_ok()));
            assert_eq!(l.rate_per_sec(), 0.0);
        }
        let clock = FakeRelativeClock::default();
        let l = SendLimiter::with_clock(0.5, clock.clone());
        assert!(l.try_acquire("x").is_ok());
        let wait = l.try_acquire("x").unwrap_err();
        assert!(wait > Duration::from_millis(1900) && wait <= Duration::from_secs(2), "{wait:?}");
    }
}
