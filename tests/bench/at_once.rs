//! A read that every ERP thread makes, timed for one thread alone and for
//! two threads calling at once.
//!
//! On a machine whose two cores are shared with other work, two threads
//! started together often do not run at the same moment: one waits for a
//! core while the other runs, and a plain median then shows no contention
//! even where there is plenty. So each thread times its calls in short
//! batches and notes when each batch ran; the two-thread figure is the
//! median of the batches that ran while the other thread was itself in the
//! middle of a batch (both on a core), leaving out batches that were
//! interrupted (taking over 50 times the one-thread figure: the thread lost
//! its core). The row says how many batches that was.

use std::time::{Duration, Instant};

use crate::median;

/// One batch: when it started and how long it took per call.
#[derive(Clone, Copy)]
struct Batch {
    start: Instant,
    end: Instant,
    per_call: Duration,
}

fn batches(count: usize, size: usize, call: &(impl Fn() + Sync)) -> Vec<Batch> {
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let start = Instant::now();
        for _ in 0..size {
            call();
        }
        let end = Instant::now();
        out.push(Batch {
            start,
            end,
            per_call: (end - start) / size as u32,
        });
    }
    out
}

/// The figures of [`measure`].
pub struct AtOnce {
    /// Per call, one thread alone (median over batches).
    pub alone: Duration,
    /// Per call, two threads at once (median over the batches that ran
    /// while the other thread ran too); `None` when there were none.
    pub together: Option<Duration>,
    /// How many batches `together` is the median of.
    pub overlapped: usize,
}

impl AtOnce {
    /// The two-thread figure, its ratio to one thread, and its basis.
    pub fn figure(&self, fmt: fn(Duration) -> String) -> String {
        match self.together {
            Some(t) => format!(
                "{} ({:.2}× one thread's {}; {} batches)",
                fmt(t),
                t.as_nanos() as f64 / self.alone.as_nanos().max(1) as f64,
                fmt(self.alone),
                self.overlapped
            ),
            None => "- (the two threads never ran at the same moment)".into(),
        }
    }
}

/// Times `call` in `count` batches of `size` calls on one thread, then on
/// two threads started together, in rounds until `count` batches ran at
/// once (or 20 rounds).
pub fn measure(count: usize, size: usize, call: impl Fn() + Sync) -> AtOnce {
    let alone = median(
        batches(count, size, &call)
            .into_iter()
            .map(|b| b.per_call)
            .collect(),
    );
    let cutoff = alone * 50;
    let mut together = Vec::new();
    for _ in 0..20 {
        let start = std::sync::Barrier::new(2);
        let (a, b) = std::thread::scope(|s| {
            let run = || {
                start.wait();
                batches(count, size, &call)
            };
            let a = s.spawn(run);
            let b = s.spawn(run);
            (a.join().unwrap(), b.join().unwrap())
        });
        together.extend(overlapped(&a, &b, cutoff));
        together.extend(overlapped(&b, &a, cutoff));
        if together.len() >= count {
            break;
        }
    }
    AtOnce {
        alone,
        overlapped: together.len(),
        together: (!together.is_empty()).then(|| median(together.clone())),
    }
}

/// The per-call times of `mine`'s uninterrupted batches during whose
/// middle `other` was inside an uninterrupted batch of its own.
fn overlapped(mine: &[Batch], other: &[Batch], cutoff: Duration) -> Vec<Duration> {
    mine.iter()
        .filter(|b| b.per_call <= cutoff)
        .filter(|b| {
            let middle = b.start + (b.end - b.start) / 2;
            // Batches follow one another: the last one started by then.
            let i = other.partition_point(|o| o.start <= middle);
            i > 0 && {
                let o = other[i - 1];
                middle <= o.end && o.per_call <= cutoff
            }
        })
        .map(|b| b.per_call)
        .collect()
}
