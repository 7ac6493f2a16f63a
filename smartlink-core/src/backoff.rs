//! The one backoff-and-jitter rule of the library: full jitter over an
//! exponential ceiling (a uniformly random wait between zero and
//! `min(cap, base × 2^(attempt−1))`), as the platform client waits between
//! attempts and anything else that must try again later.

use std::time::Duration;

/// The ceiling of the wait before attempt `attempt + 1` (1-based `attempt`):
/// `base × 2^(attempt−1)`, at most `cap`, saturating instead of overflowing.
pub fn ceiling(base: Duration, cap: Duration, attempt: u32) -> Duration {
    let exponent = attempt.saturating_sub(1).min(20);
    base.saturating_mul(1u32 << exponent).min(cap)
}

/// A uniformly random duration in `[0, ceiling]`.
pub fn full_jitter(ceiling: Duration) -> Duration {
    ceiling.mul_f64(fastrand::f64())
}

/// [`full_jitter`] of [`ceiling`]: the wait before attempt `attempt + 1`.
pub fn delay(base: Duration, cap: Duration, attempt: u32) -> Duration {
    full_jitter(ceiling(base, cap, attempt))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ceiling_doubles_up_to_the_cap_and_never_overflows() {
        let base = Duration::from_millis(250);
        let cap = Duration::from_secs(8);
        assert_eq!(ceiling(base, cap, 1), base);
        assert_eq!(ceiling(base, cap, 2), base * 2);
        assert_eq!(ceiling(base, cap, 4), base * 8);
        assert_eq!(ceiling(base, cap, 10), cap);
        assert_eq!(
            ceiling(Duration::MAX, Duration::MAX, u32::MAX),
            Duration::MAX
        );
    }

    #[test]
    fn jitter_stays_within_the_ceiling_and_varies() {
        let c = Duration::from_millis(100);
        let waits: Vec<Duration> = (0..200).map(|_| full_jitter(c)).collect();
        assert!(waits.iter().all(|w| *w <= c));
        assert!(waits.iter().any(|w| *w != waits[0]), "not constant");
        assert_eq!(full_jitter(Duration::ZERO), Duration::ZERO);
    }
}
