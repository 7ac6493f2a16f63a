//! A host may call the library from a thread-exit destructor, after the
//! library's own thread-local storage is gone: the call must fail with a
//! code, not abort the process.

use std::ptr::null_mut;

use smartlink::error::smartlink_result as R;
use smartlink::*;

struct CallsOnExit;

impl Drop for CallsOnExit {
    fn drop(&mut self) {
        // Runs during thread teardown, after the library's thread-locals
        // (registered later, so destroyed earlier).
        let rc = unsafe { smartlink_cancel(null_mut()) };
        assert_eq!(rc, R::NullArgument);
    }
}

thread_local! {
    static GUARD: CallsOnExit = const { CallsOnExit };
}

#[test]
fn a_call_from_a_thread_exit_destructor_does_not_abort() {
    let worker = std::thread::spawn(|| {
        // Register the host's destructor first...
        GUARD.with(|_| {});
        // ...then let the library create its per-thread error slot.
        assert_eq!(unsafe { smartlink_cancel(null_mut()) }, R::NullArgument);
    });
    // Before the fix the process aborted here ("cannot access a Thread Local
    // Storage value during or after destruction").
    worker.join().expect("the worker thread ended normally");
}
