//! The login gate's verdict for a store on this machine's disk (or in
//! memory): asked by every ERP thread at login, so reading it must not
//! make threads that ask at once wait for each other.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, AtomicU64, Ordering, fence};
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};

/// What the gate last concluded, and under which stamp of the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Verdict {
    /// The store's stamp when the state was read.
    pub(super) stamp: Option<u128>,
    /// `false`: read the state again (never read, or invalidated).
    pub(super) loaded: bool,
    /// `None`: not configured; `Some(t)`: configured until `t`.
    pub(super) configured_until: Option<DateTime<Utc>>,
}

impl Verdict {
    const UNLOADED: Self = Self {
        stamp: None,
        loaded: false,
        configured_until: None,
    };

    /// Whether the configurator must be shown at `now`.
    pub(super) fn needs_configuration_at(&self, now: DateTime<Utc>) -> bool {
        match self.configured_until {
            None => true,
            Some(until) => now >= until,
        }
    }
}

/// The verdict, changed under a mutex and mirrored in atomics that readers
/// take without writing anything (a sequence lock: a reader keeps what it
/// read only when the sequence number was even, no write under way, and
/// the same before and after). A reader that meets a write under way takes
/// the mutex instead.
pub(super) struct GateCache {
    /// The verdict itself; every change goes through [`GateWriter`].
    verdict: Mutex<Verdict>,
    /// Odd while the mirror is being written.
    seq: AtomicU64,
    loaded: AtomicBool,
    has_stamp: AtomicBool,
    stamp_high: AtomicU64,
    stamp_low: AtomicU64,
    configured: AtomicBool,
    until_secs: AtomicI64,
    until_nanos: AtomicU32,
}

impl GateCache {
    pub(super) fn new() -> Self {
        Self {
            verdict: Mutex::new(Verdict::UNLOADED),
            seq: AtomicU64::new(0),
            loaded: AtomicBool::new(false),
            has_stamp: AtomicBool::new(false),
            stamp_high: AtomicU64::new(0),
            stamp_low: AtomicU64::new(0),
            configured: AtomicBool::new(false),
            until_secs: AtomicI64::new(0),
            until_nanos: AtomicU32::new(0),
        }
    }

    /// The verdict as last written, without a lock; `None` when a write was
    /// under way meanwhile (then ask [`GateCache::writer`]).
    #[inline]
    pub(super) fn read(&self) -> Option<Verdict> {
        let before = self.seq.load(Ordering::Acquire);
        if before & 1 == 1 {
            return None;
        }
        let loaded = self.loaded.load(Ordering::Relaxed);
        let has_stamp = self.has_stamp.load(Ordering::Relaxed);
        let high = self.stamp_high.load(Ordering::Relaxed);
        let low = self.stamp_low.load(Ordering::Relaxed);
        let configured = self.configured.load(Ordering::Relaxed);
        let secs = self.until_secs.load(Ordering::Relaxed);
        let nanos = self.until_nanos.load(Ordering::Relaxed);
        // Orders the loads above before the second read of `seq`: had any
        // of them seen a write begun after `before`, `seq` has moved.
        fence(Ordering::Acquire);
        if self.seq.load(Ordering::Relaxed) != before {
            return None;
        }
        let configured_until = if configured {
            // Written from a valid time; a failure here would be a torn
            // read, which the sequence check above rules out.
            Some(DateTime::<Utc>::from_timestamp(secs, nanos)?)
        } else {
            None
        };
        Some(Verdict {
            stamp: has_stamp.then_some((u128::from(high) << 64) | u128::from(low)),
            loaded,
            configured_until,
        })
    }

    /// The verdict under its mutex, for a reader that must read the state
    /// again or a writer.
    pub(super) fn writer(&self) -> GateWriter<'_> {
        GateWriter {
            cache: self,
            verdict: self.verdict.lock().unwrap_or_else(|e| e.into_inner()),
        }
    }
}

/// The verdict, held under its mutex.
pub(super) struct GateWriter<'a> {
    cache: &'a GateCache,
    verdict: MutexGuard<'a, Verdict>,
}

impl GateWriter<'_> {
    pub(super) fn get(&self) -> Verdict {
        *self.verdict
    }

    /// Replaces the verdict: lock-free readers see the new one from the
    /// moment this returns (and never a mix of the old and the new).
    pub(super) fn set(&mut self, verdict: Verdict) {
        *self.verdict = verdict;
        let c = self.cache;
        // Only holders of the mutex write `seq`.
        let seq = c.seq.load(Ordering::Relaxed);
        c.seq.store(seq.wrapping_add(1), Ordering::Relaxed);
        fence(Ordering::Release);
        let stamp = verdict.stamp.unwrap_or(0);
        c.loaded.store(verdict.loaded, Ordering::Relaxed);
        c.has_stamp
            .store(verdict.stamp.is_some(), Ordering::Relaxed);
        c.stamp_high.store((stamp >> 64) as u64, Ordering::Relaxed);
        c.stamp_low.store(stamp as u64, Ordering::Relaxed);
        c.configured
            .store(verdict.configured_until.is_some(), Ordering::Relaxed);
        let until = verdict.configured_until.unwrap_or_default();
        c.until_secs.store(until.timestamp(), Ordering::Relaxed);
        c.until_nanos
            .store(until.timestamp_subsec_nanos(), Ordering::Relaxed);
        c.seq.store(seq.wrapping_add(2), Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(stamp: Option<u128>, loaded: bool, until: Option<DateTime<Utc>>) -> Verdict {
        Verdict {
            stamp,
            loaded,
            configured_until: until,
        }
    }

    #[test]
    fn a_written_verdict_reads_back_exactly() {
        let cache = GateCache::new();
        assert_eq!(cache.read(), Some(Verdict::UNLOADED));
        let at = DateTime::<Utc>::from_timestamp(1_900_000_000, 123_456_789).unwrap();
        for v in [
            verdict(Some(u128::MAX - 5), true, Some(at)),
            verdict(Some(7 << 64 | 9), true, None),
            verdict(None, true, Some(DateTime::<Utc>::MAX_UTC)),
            verdict(Some(1), false, Some(DateTime::<Utc>::MIN_UTC)),
        ] {
            cache.writer().set(v);
            assert_eq!(cache.read(), Some(v));
            assert_eq!(cache.writer().get(), v);
        }
    }

    #[test]
    fn readers_never_see_a_mix_of_two_verdicts() {
        let at = |s| DateTime::<Utc>::from_timestamp(s, 0).unwrap();
        // Each verdict's fields agree with one another, so a torn read
        // would show up as a disagreement.
        let nth = |i: i64| verdict(Some(i as u128 * 0x1_0000_0001), i % 2 == 0, Some(at(i)));
        let cache = GateCache::new();
        cache.writer().set(nth(0));
        // The reader reads while the writer keeps writing, until it has
        // read 20,000 whole verdicts.
        let done = AtomicBool::new(false);
        let written = std::thread::scope(|s| {
            s.spawn(|| {
                let mut seen = 0;
                while seen < 20_000 {
                    if let Some(v) = cache.read() {
                        let i = v.configured_until.unwrap().timestamp();
                        assert_eq!(v, nth(i), "a torn read");
                        seen += 1;
                    }
                }
                done.store(true, Ordering::Relaxed);
            });
            let mut i = 0;
            while !done.load(Ordering::Relaxed) {
                i += 1;
                cache.writer().set(nth(i));
            }
            i
        });
        assert_eq!(cache.read(), Some(nth(written)));
    }
}
