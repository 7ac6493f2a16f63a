//! The kept response: one response per thread that did not fit the
//! caller's buffer, so that asking again with a bigger buffer never runs the
//! operation twice; and the serial numbers that key it to its handle.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{self, smartlink_result};
use crate::handle::HandleInner;
use crate::json_api::{self, Response};

static NEXT_SERIAL: AtomicU64 = AtomicU64::new(1);

/// A number unique in this process for a new handle, so that a kept
/// response is delivered on its own handle only.
pub(crate) fn next_serial() -> u64 {
    NEXT_SERIAL.fetch_add(1, Ordering::Relaxed)
}

thread_local! {
    /// A response that did not fit the caller's buffer: (handle serial,
    /// request, body). Retrying the same request on the same handle and
    /// thread delivers it instead of running the operation again, so that
    /// "grow the buffer and call again" never applies an action twice.
    /// The response's own failure (code and detail) travels with it, so
    /// the delivery puts it back in the last error.
    static UNDELIVERED: RefCell<Option<Undelivered>> = const { RefCell::new(None) };
}

/// A response kept for the retry with a bigger buffer.
struct Undelivered {
    serial: u64,
    key: String,
    response: Response,
    failure: Option<(smartlink_result, String)>,
}

/// Runs a request, or takes the undelivered response of the same request.
pub(crate) fn run_request(serial: u64, inner: &HandleInner, key: &str, request: &str) -> Response {
    // try_with: a call from a thread-exit destructor finds no storage; it
    // then simply has nothing stashed.
    let stashed = UNDELIVERED
        .try_with(|u| {
            let mut u = u.try_borrow_mut().ok()?;
            match u.take() {
                Some(kept) if kept.serial == serial && kept.key == key => Some(kept),
                _ => None,
            }
        })
        .ok()
        .flatten();
    match stashed {
        Some(kept) => {
            // The delivered response's failure is the last error again,
            // not the "buffer too small" of the call that kept it.
            if let Some((code, message)) = &kept.failure {
                error::set_last_error(*code, message);
            }
            kept.response
        }
        None => json_api::handle_request(inner, request),
    }
}

/// Keeps a response that did not fit, for the retry. Responses that hold
/// a secret are never kept (see [`Response::holds_secret`]).
///
/// Called right after the response was made (or delivered again), while the
/// thread's last error still holds the response's own failure.
pub(crate) fn stash_undelivered(serial: u64, request: &str, response: Response) {
    if response.holds_secret {
        return;
    }
    let failure = if response.code == smartlink_result::Ok {
        None
    } else {
        error::last_error().filter(|(code, _)| *code == response.code)
    };
    let _ = UNDELIVERED.try_with(|u| {
        if let Ok(mut slot) = u.try_borrow_mut() {
            *slot = Some(Undelivered {
                serial,
                key: request.to_owned(),
                response,
                failure,
            });
        }
    });
}
