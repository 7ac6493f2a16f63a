//! Test instrumentation: call counters and fault injection. Not part of a
//! snapshot.

#[allow(unused_imports)]
use super::*;

impl InMemoryPlatform {
    /// How many calls of `op` were made (through the trait or the endpoints; a listing
    /// counts one call per page; injected failures count too).
    pub fn calls(&self, op: Operation) -> usize {
        self.lock().hooks.calls[op.index()]
    }

    /// Queues `error` as the answer of the next call of `op`, which then
    /// does nothing else. Several may be queued (FIFO).
    pub fn fail_next(&self, op: Operation, error: PlatformError) {
        self.lock().hooks.fail_next[op.index()].push_back(error);
    }

    /// Queues `error` as the answer of the next call of `op` that gets to do
    /// its work: the work is done (and, for keyed operations, its real answer
    /// stored for replay), then `error` is returned, as when a response is lost.
    pub fn fail_after_next(&self, op: Operation, error: PlatformError) {
        self.lock().hooks.fail_after_next[op.index()].push_back(error);
    }

    /// How many token calls presented `secret`.
    pub fn token_attempts_with_secret(&self, secret: &str) -> usize {
        self.lock()
            .hooks
            .token_attempts
            .get(&sha256(secret))
            .copied()
            .unwrap_or(0)
    }

    /// How many access tokens handed out are still unexpired.
    pub fn live_tokens(&self) -> usize {
        let now = self.now();
        self.lock()
            .tokens
            .values()
            .filter(|t| t.expires_at > now)
            .count()
    }
}
