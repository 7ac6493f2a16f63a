//! `ExecInClientDLL`: the entry point Protheus calls (`ExecInDLLOpen` /
//! `ExecInDllRun`, and TLPP's DynCall), which passes only an integer id and
//! strings. ADVPL cannot hold a pointer, so handles are small integers into a
//! table, each with a generation counter (after mozilla's ffi-support): a
//! closed or stale number is `SMARTLINK_RESULT_INVALID_HANDLE`, never a
//! use-after-free.
//!
//! Why a global: ADVPL code keeps the number, not a pointer, between calls
//! (often across user threads of one AppServer), so the table must outlive
//! any one call. It holds nothing but handles. The crate's other globals
//! (the thread-local last error, the thread-local stash of a response that
//! did not fit, the handle serial counter) are listed in the crate's
//! documentation.
//!
//! Ids (`in` is JSON, `out` receives JSON, the return value is 0 or a
//! `smartlink_result` code):
//!
//! | id | in | out |
//! |----|----|-----|
//! | 1 `OPEN` | the configuration JSON | `{"ok":true,"handle":N}` (the same N for the same configuration while open; each OPEN counts) |
//! | 2 `CLOSE` | `{"handle":N}` | `{"ok":true}` (ends one OPEN; the handle ends with the last) |
//! | 3 `CALL` | `{"handle":N,"op":"…",…}` | the operation's response |
//! | 10–30 | `{"handle":N,…}` | the response of the operation of that id (see [`crate::operations::OPERATIONS`]) |
//!
//! Each id plus [`SMARTLINK_EXEC_CP1252`] (101–103, 110–130) does the same
//! in Windows-1252 instead of UTF-8, for Protheus installations on that code
//! page: `in` is read as CP1252, `out` receives CP1252 (a character CP1252
//! lacks becomes `?`), and the size rule applies to the converted bytes.

use std::borrow::Cow;
use std::collections::hash_map::DefaultHasher;
use std::ffi::{c_char, c_int};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, MutexGuard};

use secrecy::zeroize::Zeroize;
use serde_json::{Map, Value, json};
use smartlink_core::messages::Locale;

use crate::error::{FfiError, set_last_error, smartlink_result};
use crate::handle::HandleInner;
use crate::json_api::error_body;

/// `ExecInClientDLL` id: open a handle.
pub const SMARTLINK_EXEC_OPEN: c_int = 1;
/// `ExecInClientDLL` id: close a handle.
pub const SMARTLINK_EXEC_CLOSE: c_int = 2;
/// `ExecInClientDLL` id: any JSON operation (`op` in the request).
pub const SMARTLINK_EXEC_CALL: c_int = 3;
/// `ExecInClientDLL`: add to any id (`SMARTLINK_EXEC_CP1252 +
/// SMARTLINK_EXEC_SCREEN` is 113) for the same call in Windows-1252: `in` is
/// read as CP1252 and `out` receives CP1252 (characters CP1252 lacks become
/// `?`; the size rule applies to the converted bytes).
pub const SMARTLINK_EXEC_CP1252: c_int = 100;
struct Slot {
    generation: u32,
    entry: Option<Entry>,
}

struct Entry {
    handle: Arc<HandleInner>,
    serial: u64,
    config_hash: u64,
    /// OPENs not yet matched by a CLOSE: the handle lives while any is.
    opens: usize,
}

/// The handle table. Numbers are `generation << 16 | (index + 1)`: positive,
/// below 2^31, so they survive ADVPL's numbers and C's `int`.
struct Table {
    slots: Vec<Slot>,
}

static TABLE: Mutex<Table> = Mutex::new(Table { slots: Vec::new() });

const MAX_SLOTS: usize = 0xFFFF;
const GENERATION_MASK: u32 = 0x7FFF;

fn table() -> MutexGuard<'static, Table> {
    TABLE.lock().unwrap_or_else(|e| e.into_inner())
}

fn encode(index: usize, generation: u32) -> i64 {
    (i64::from(generation & GENERATION_MASK) << 16) | (index as i64 + 1)
}

fn decode(n: i64) -> Option<(usize, u32)> {
    if n <= 0 || n > i64::from(i32::MAX) {
        return None;
    }
    let index = (n & 0xFFFF) as usize;
    if index == 0 {
        return None;
    }
    Some((index - 1, (n >> 16) as u32))
}

fn invalid_handle() -> FfiError {
    FfiError::new(
        smartlink_result::InvalidHandle,
        "the handle is unknown or was closed",
    )
    .with_sub_code("invalid_handle")
}

fn config_hash(json: &str) -> u64 {
    // Canonical form (serde_json sorts keys), hashed: the table never keeps
    // the configuration itself, which holds the token.
    let canonical = serde_json::from_str::<Value>(crate::de::without_bom(json))
        .map(|v| v.to_string())
        .unwrap_or_else(|_| json.to_owned());
    let mut h = DefaultHasher::new();
    canonical.hash(&mut h);
    h.finish()
}

/// Opens a handle, or counts one more OPEN of the open handle of the same
/// configuration (same number).
pub fn open(config_json: &str) -> Result<i64, FfiError> {
    let hash = config_hash(config_json);
    if let Some(n) = reopen(&mut table(), hash) {
        return Ok(n);
    }
    let handle = HandleInner::from_json(config_json)?;
    let mut t = table();
    // Another thread may have opened the same configuration meanwhile.
    if let Some(n) = reopen(&mut t, hash) {
        // Shutting our duplicate down joins its thread: never under the
        // table's lock, which every other call needs.
        drop(t);
        drop(handle);
        return Ok(n);
    }
    let entry = Entry {
        handle,
        serial: crate::stash::next_serial(),
        config_hash: hash,
        opens: 1,
    };
    if let Some(i) = t.slots.iter().position(|s| s.entry.is_none()) {
        let slot = &mut t.slots[i];
        slot.entry = Some(entry);
        return Ok(encode(i, slot.generation));
    }
    if t.slots.len() >= MAX_SLOTS {
        return Err(FfiError::new(
            smartlink_result::Runtime,
            "too many open handles",
        ));
    }
    t.slots.push(Slot {
        generation: 1,
        entry: Some(entry),
    });
    Ok(encode(t.slots.len() - 1, 1))
}

/// Counts one more OPEN of the open handle of this configuration, if any.
fn reopen(t: &mut Table, hash: u64) -> Option<i64> {
    t.slots.iter_mut().enumerate().find_map(|(i, slot)| {
        let e = slot.entry.as_mut().filter(|e| e.config_hash == hash)?;
        e.opens += 1;
        Some(encode(i, slot.generation))
    })
}

fn get(n: i64) -> Result<(Arc<HandleInner>, u64), FfiError> {
    let (index, generation) = decode(n).ok_or_else(invalid_handle)?;
    let t = table();
    let slot = t.slots.get(index).ok_or_else(invalid_handle)?;
    match &slot.entry {
        Some(e) if slot.generation & GENERATION_MASK == generation => {
            Ok((e.handle.clone(), e.serial))
        }
        _ => Err(invalid_handle()),
    }
}

/// Ends one OPEN of a handle. The last one closes it: its number becomes
/// invalid at once, and its threads are joined once calls in flight on
/// other threads have returned. Before that, the number stays valid for the
/// threads that opened it too.
pub fn close(n: i64) -> Result<(), FfiError> {
    let (index, generation) = decode(n).ok_or_else(invalid_handle)?;
    let entry = {
        let mut t = table();
        let slot = t.slots.get_mut(index).ok_or_else(invalid_handle)?;
        if slot.generation & GENERATION_MASK != generation {
            return Err(invalid_handle());
        }
        let entry = slot.entry.as_mut().ok_or_else(invalid_handle)?;
        entry.opens -= 1;
        if entry.opens > 0 {
            return Ok(());
        }
        slot.generation = slot.generation.wrapping_add(1) & GENERATION_MASK;
        if slot.generation == 0 {
            slot.generation = 1;
        }
        slot.entry.take().expect("checked above")
    };
    // Outside the table's lock: closing waits for calls in flight.
    entry.handle.close();
    Ok(())
}

fn handle_number(req: &Map<String, Value>) -> Result<i64, FfiError> {
    req.get("handle").and_then(Value::as_i64).ok_or_else(|| {
        FfiError::new(
            smartlink_result::InvalidRequest,
            "`handle` (the number OPEN returned) is required",
        )
    })
}

fn parse_object(input: &str) -> Result<Map<String, Value>, FfiError> {
    match serde_json::from_str::<Value>(crate::de::without_bom(input)) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(FfiError::new(
            smartlink_result::InvalidRequest,
            "the request must be a JSON object",
        )),
        Err(e) => Err(FfiError::new(
            smartlink_result::InvalidJson,
            format!("request: {e}"),
        )),
    }
}

/// What to do with a response that did not fit the caller's buffer.
enum Undeliverable {
    /// Nothing to keep or undo (an error, or a response with a secret,
    /// which is never kept).
    Drop,
    /// Keep it for the retry, keyed to the handle of this serial.
    Keep(u64),
    /// An OPEN counted for handle N: undo it, so that the retry with a
    /// bigger buffer counts once (the caller never learnt of this one).
    UndoOpen(i64),
}

/// `CLOSE`'s answer. A CLOSE whose answer would not fit closes nothing (the
/// retry with a bigger buffer does it), so its size is checked first.
const CLOSE_OK: &str = r#"{"ok":true}"#;

/// One `ExecInClientDLL` call, as (code, body, what to do with the response
/// when it does not fit). `out_len` is the caller's buffer, for CLOSE.
fn exec(id: c_int, input: &str, out_len: usize) -> (smartlink_result, String, Undeliverable) {
    let fail = |e: FfiError| {
        set_last_error(e.code, &e.to_string());
        (
            e.code,
            error_body(&e, Locale::default(), None).to_string(),
            Undeliverable::Drop,
        )
    };
    match id {
        SMARTLINK_EXEC_OPEN => match open(input) {
            Ok(n) => (
                smartlink_result::Ok,
                json!({"ok": true, "handle": n}).to_string(),
                Undeliverable::UndoOpen(n),
            ),
            Err(e) => fail(e),
        },
        SMARTLINK_EXEC_CLOSE => match parse_object(input)
            .and_then(|r| handle_number(&r))
            .and_then(|n| {
                if out_len <= CLOSE_OK.len() {
                    // Answered (7005, the size needed) without closing.
                    return Err(FfiError::new(
                        smartlink_result::BufferTooSmall,
                        format!(
                            "the output needs {} bytes, the buffer has {out_len}; nothing was closed",
                            CLOSE_OK.len() + 1
                        ),
                    ));
                }
                close(n)
            }) {
            Ok(()) => (smartlink_result::Ok, CLOSE_OK.to_owned(), Undeliverable::Drop),
            Err(e) if e.code == smartlink_result::BufferTooSmall => {
                // Too small for the answer: the copy below reports 7005 and
                // the size, and nothing was done.
                (smartlink_result::Ok, CLOSE_OK.to_owned(), Undeliverable::Drop)
            }
            Err(e) => fail(e),
        },
        _ => {
            let op = if id == SMARTLINK_EXEC_CALL {
                None
            } else {
                match crate::operations::by_id(id) {
                    Some(op) => Some(op.name),
                    None => {
                        return fail(
                            FfiError::new(
                                smartlink_result::UnknownOperation,
                                format!("unknown ExecInClientDLL id {id}"),
                            )
                            .with_sub_code("unknown_operation"),
                        );
                    }
                }
            };
            let mut req = match parse_object(input) {
                Ok(r) => r,
                Err(e) => return fail(e),
            };
            let (handle, serial) = match handle_number(&req).and_then(get) {
                Ok(h) => h,
                Err(e) => return fail(e),
            };
            req.remove("handle");
            if let Some(op) = op {
                // The id names the operation: an `op` naming another one
                // (the request of id 3 sent with id 13) is refused, never
                // replaced without a word.
                match req.get("op") {
                    None => {}
                    Some(Value::String(given)) if given == op => {}
                    Some(given) => {
                        let e = FfiError::new(
                            smartlink_result::InvalidRequest,
                            format!(
                                "`op`: {given} is not the operation of id {id} (`{op}`); \
                                 send it with id {SMARTLINK_EXEC_CALL} (CALL), or leave `op` out"
                            ),
                        );
                        set_last_error(e.code, &e.to_string());
                        // The handle is known: its locale, as for the
                        // operations' own refusals.
                        let body = error_body(&e, handle.locale(), None).to_string();
                        return (e.code, body, Undeliverable::Drop);
                    }
                }
                req.insert("op".into(), json!(op));
            }
            let request = Value::Object(req).to_string();
            let response =
                crate::stash::run_request(serial, &handle, &stash_key(id, input), &request);
            let keep = if response.holds_secret {
                Undeliverable::Drop
            } else {
                Undeliverable::Keep(serial)
            };
            (response.code, response.body, keep)
        }
    }
}

/// The Protheus entry point (`ExecInDLLOpen`/`ExecInDllRun`, TLPP DynCall):
/// runs the operation named by `id` on the JSON in `input` and copies the
/// JSON response into `out`.
///
/// - `input` (required: NULL gives `SMARTLINK_RESULT_NULL_ARGUMENT`): NUL-terminated UTF-8 JSON, borrowed for the call.
/// - `id` plus `SMARTLINK_EXEC_CP1252` (101-103, 110-130): the same call in
///   Windows-1252, both ways: `input` is read as CP1252, the response is
///   written as CP1252 (a character CP1252 lacks becomes `?`), and the size
///   rules below count the converted bytes.
/// - `out` (may be NULL only when `out_size` is 0): `out_size` writable bytes.
/// - Returns an `int`, not a `smartlink_result`: 0 (`SMARTLINK_RESULT_OK`)
///   when the operation succeeded, else its `smartlink_result` code (also
///   `NULL_ARGUMENT`, `INVALID_UTF8`, `PANIC` for the call itself); the JSON
///   response (`"ok": false` with the
///   error) is written in both cases when it fits. When it does not fit,
///   returns `SMARTLINK_RESULT_BUFFER_TOO_SMALL` and writes instead the short
///   `{"ok":false,"error":{…,"needed":N}}` if that fits, else nothing; calling
///   again with the same id and input on the same thread delivers the kept
///   response without running the operation twice. An OPEN or CLOSE whose
///   answer does not fit does nothing (the OPEN is not counted, nothing is
///   closed): the retry with a bigger buffer does it, once.
/// - Thread-safe; integer handles may be shared between threads. Each OPEN
///   of a configuration counts (the same number for the same configuration)
///   and each CLOSE ends one: the handle lives until the last CLOSE, so each
///   user thread may OPEN and CLOSE on its own.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ExecInClientDLL(
    id: c_int,
    input: *mut c_char,
    out: *mut c_char,
    out_size: c_int,
) -> c_int {
    let out_len = usize::try_from(out_size).unwrap_or(0);
    let body = || -> Result<smartlink_result, FfiError> {
        if input.is_null() {
            return Err(FfiError::new(
                smartlink_result::NullArgument,
                "argument `input` is NULL",
            ));
        }
        crate::buffer::check_buffer(out, out_len, "out", "out_size")?;
        let (id, cp1252) = split_id(id);
        // SAFETY: non-NULL, NUL-terminated (caller's promise).
        let raw = unsafe { std::ffi::CStr::from_ptr(input) }.to_bytes();
        let input = if cp1252 {
            // Every byte has a meaning in CP1252: this cannot fail.
            crate::cp1252::decode(raw)
        } else {
            Cow::Borrowed(std::str::from_utf8(raw).map_err(|_| {
                FfiError::new(
                    smartlink_result::InvalidUtf8,
                    "argument `input` is not valid UTF-8",
                )
            })?)
        };
        let input = input.as_ref();
        let (code, mut response, undeliverable) = exec(id, input, out_len);
        let mut bytes = if cp1252 {
            Cow::Owned(crate::cp1252::encode(&response))
        } else {
            Cow::Borrowed(response.as_bytes())
        };
        let mut needed = 0usize;
        let copied = crate::buffer::copy_out_bytes(&bytes, out, out_len, &mut needed);
        if let Cow::Owned(encoded) = &mut bytes {
            encoded.zeroize();
        }
        drop(bytes);
        match copied {
            Ok(()) => {
                // What was copied out may hold a secret: wipe our copy.
                response.zeroize();
                Ok(code)
            }
            Err(e) => {
                match undeliverable {
                    // Keyed like smartlink_call's stash, so the retry with a
                    // bigger buffer does not run the operation again.
                    Undeliverable::Keep(serial) => crate::stash::stash_undelivered(
                        serial,
                        &stash_key(id, input),
                        crate::json_api::Response {
                            body: response,
                            code,
                            holds_secret: false,
                        },
                    ),
                    Undeliverable::UndoOpen(n) => {
                        // The caller did not get the number: this OPEN
                        // does not count (the retry counts once).
                        let _ = close(n);
                    }
                    Undeliverable::Drop => response.zeroize(),
                }
                set_last_error(e.code, &e.to_string());
                let short = json!({"ok": false, "error": {
                    "result": smartlink_result::BufferTooSmall as u32,
                    "code": "buffer_too_small", "needed": needed}})
                .to_string();
                let _ = crate::buffer::copy_out(&short, out, out_len, std::ptr::null_mut());
                Ok(smartlink_result::BufferTooSmall)
            }
        }
    };
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)) {
        Ok(Ok(code)) => code as c_int,
        Ok(Err(e)) => {
            set_last_error(e.code, &e.to_string());
            e.code as c_int
        }
        Err(payload) => {
            let what = crate::panic::panic_message(payload.as_ref());
            set_last_error(smartlink_result::Panic, &format!("panic: {what}"));
            smartlink_result::Panic as c_int
        }
    }
}

/// The id without [`SMARTLINK_EXEC_CP1252`], and whether it was added. Only
/// known ids count: 104 stays an unknown id 104.
fn split_id(id: c_int) -> (c_int, bool) {
    match id.checked_sub(SMARTLINK_EXEC_CP1252) {
        Some(base)
            if matches!(
                base,
                SMARTLINK_EXEC_OPEN | SMARTLINK_EXEC_CLOSE | SMARTLINK_EXEC_CALL
            ) || crate::operations::by_id(base).is_some() =>
        {
            (base, true)
        }
        _ => (id, false),
    }
}

fn stash_key(id: c_int, input: &str) -> String {
    format!("\u{1}ExecInClientDLL:{id}:{input}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cp1252_ids_map_to_their_base() {
        assert_eq!(split_id(101), (SMARTLINK_EXEC_OPEN, true));
        assert_eq!(split_id(103), (SMARTLINK_EXEC_CALL, true));
        assert_eq!(split_id(102), (SMARTLINK_EXEC_CLOSE, true));
        for op in crate::operations::OPERATIONS {
            assert_eq!(split_id(op.id + SMARTLINK_EXEC_CP1252), (op.id, true));
        }
        assert_eq!(split_id(113), (13, true));
        assert_eq!(split_id(127), (27, true));
        assert_eq!(split_id(128), (28, true));
        assert_eq!(split_id(129), (29, true));
        assert_eq!(split_id(130), (30, true));
        for id in [13, 100, 104, 109, 131, 201, i32::MIN, i32::MAX] {
            assert_eq!(split_id(id), (id, false), "{id}");
        }
    }
}
