//! Capped exponential backoff with jitter for the sync jobs: the first retry
//! after about one sync interval, doubling per failure in a row, never more
//! than five minutes.

use std::time::Duration;

use rand::Rng;

/// The longest wait between two tries, whatever the interval.
pub const MAX_BACKOFF: Duration = Duration::from_secs(300);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The wait after the first failure (the sync interval).
    pub base: Duration,
    /// The cap.
    pub max: Duration,
}

impl Default for Backoff {
    /// From the default sync interval, 10 s.
    fn default() -> Self {
        Backoff::from_interval(Duration::from_secs(10))
    }
}

impl Backoff {
    /// From the sync interval (setting `sync.interval_secs`) up to [`MAX_BACKOFF`].
    pub fn from_interval(interval: Duration) -> Backoff {
        let base = interval.max(Duration::from_secs(1));
        Backoff { base, max: MAX_BACKOFF.max(base) }
    }

    /// The longest wait after `failures` failures in a row (1 = the first):
    /// `base * 2^(failures - 1)`, capped.
    pub fn ceiling(&self, failures: u32) -> Duration {
        let exp = failures.saturating_sub(1).min(20);
        self.base.saturating_mul(1u32 << exp).min(self.max)
    }

    /// The wait after `failures` failures with `jitter` in 0.0-1.0: between
    /// half the ceiling and the ceiling, so clients that failed together do
    /// not retry together.
    pub fn delay(&self, failures: u32, jitter: f64) -> Duration {
        let ceiling = self.ceiling(failures);
        let jitter = if jitter.is_nan() { 0.0 } else { jitter.clamp(0.0, 1.0) };
        ceiling / 2 + (ceiling / 2).mul_f64(jitter)
    }

    /// [`Backoff::delay`] with a random jitter.
    pub fn random_delay(&self, failures: u32) -> Duration {
        self.delay(failures, rand::rng().random::<f64>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_from_the_interval_up_to_five_minutes() {
        let b = Backoff::default();
        let secs = |n| b.ceiling(n).as_secs();
        assert_eq!([secs(1), secs(2), secs(3), secs(4), secs(5), secs(6), secs(100)], [10, 20, 40, 80, 160, 300, 300]);
        assert_eq!(b.delay(1, 0.0), Duration::from_secs(5));
        assert_eq!(b.delay(1, 1.0), Duration::from_secs(10));
        assert_eq!(b.delay(50, 1.0), MAX_BACKOFF);
        for n in 1..12 {
            let d = b.random_delay(n);
            assert!(d >= b.ceiling(n) / 2 && d <= b.ceiling(n), "{n}: {d:?}");
        }
        assert_eq!(Backoff::from_interval(Duration::from_secs(600)).ceiling(3), Duration::from_secs(600));
        assert_eq!(Backoff::from_interval(Duration::ZERO).ceiling(1), Duration::from_secs(1));
    }
}
