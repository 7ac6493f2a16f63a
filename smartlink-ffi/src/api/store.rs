//! The host's own state store, through a table of callbacks
//! (`smartlink_store_callbacks`), and the seal key file its documents are
//! sealed with. See docs/c-api.md, *Your own store*.

use std::ffi::{c_char, c_void};

use super::handle::smartlink_configurator;
use crate::error::{FfiError, smartlink_result};
use crate::handle::HandleInner;
use crate::panic::{boundary, try_out, try_str};
use crate::stash::next_serial;

/// The version of `smartlink_store_callbacks` this header describes.
pub const SMARTLINK_STORE_CALLBACKS_VERSION: u32 = 1;

/// A store callback succeeded.
pub const SMARTLINK_STORE_OK: i32 = 0;
/// `compare_and_swap`: the stored version is not the one expected; nothing
/// was written (the stored version goes to `*version`).
pub const SMARTLINK_STORE_CONFLICT: i32 = 1;
/// `compare_and_swap`, `renew_lease`: the lease named is not held (it
/// expired by the store's clock, was taken over or released); nothing was
/// written.
pub const SMARTLINK_STORE_LEASE_LOST: i32 = 2;
/// `acquire_lease`: another holder's lease has not expired yet (by the
/// store's clock); nothing changed.
pub const SMARTLINK_STORE_LEASE_HELD: i32 = 3;
/// Any callback: the store could not be reached or failed; nothing changed.
pub const SMARTLINK_STORE_UNREACHABLE: i32 = 4;
/// `load`: the document does not fit `capacity`; its size goes to
/// `*document_len` and nothing was written to `document`.
pub const SMARTLINK_STORE_BUFFER_TOO_SMALL: i32 = 5;

/// The largest document the library accepts from `load` (8 MiB); a state
/// is a few kilobytes, at most a few hundred with a full history.
pub const SMARTLINK_STORE_MAX_DOCUMENT: usize = 8 << 20;

/// `load`: reads the document and version of (`installation_id`, `line`).
/// Required (a NULL in the table is refused); called from the library's
/// threads, several at once: thread-safe. See `smartlink_store_callbacks`.
#[allow(non_camel_case_types)]
pub type smartlink_store_load_fn = Option<
    unsafe extern "C" fn(
        ctx: *mut c_void,
        installation_id: *const c_char,
        line: *const c_char,
        document: *mut u8,
        capacity: usize,
        document_len: *mut usize,
        version: *mut u64,
    ) -> i32,
>;

/// `compare_and_swap`: the fenced write. `document` is NULL (with length 0)
/// to remove the document. Required (a NULL in the table is refused);
/// called from the library's threads: thread-safe. See
/// `smartlink_store_callbacks`.
#[allow(non_camel_case_types)]
pub type smartlink_store_compare_and_swap_fn = Option<
    unsafe extern "C" fn(
        ctx: *mut c_void,
        installation_id: *const c_char,
        line: *const c_char,
        expected_version: u64,
        holder: *const c_char,
        epoch: u64,
        document: *const u8,
        document_len: usize,
        version: *mut u64,
    ) -> i32,
>;

/// `acquire_lease`: takes the lease. Required (a NULL in the table is
/// refused); called from the library's threads: thread-safe. See
/// `smartlink_store_callbacks`.
#[allow(non_camel_case_types)]
pub type smartlink_store_acquire_lease_fn = Option<
    unsafe extern "C" fn(
        ctx: *mut c_void,
        installation_id: *const c_char,
        line: *const c_char,
        holder: *const c_char,
        ttl_ms: u64,
        epoch: *mut u64,
        version: *mut u64,
    ) -> i32,
>;

/// `renew_lease`: extends a held lease. Required (a NULL in the table is
/// refused); called from the library's threads: thread-safe. See
/// `smartlink_store_callbacks`.
#[allow(non_camel_case_types)]
pub type smartlink_store_renew_lease_fn = Option<
    unsafe extern "C" fn(
        ctx: *mut c_void,
        installation_id: *const c_char,
        line: *const c_char,
        holder: *const c_char,
        epoch: u64,
        ttl_ms: u64,
    ) -> i32,
>;

/// `release_lease`: gives a held lease up. Required (a NULL in the table
/// is refused); called from the library's threads: thread-safe. See
/// `smartlink_store_callbacks`.
#[allow(non_camel_case_types)]
pub type smartlink_store_release_lease_fn = Option<
    unsafe extern "C" fn(
        ctx: *mut c_void,
        installation_id: *const c_char,
        line: *const c_char,
        holder: *const c_char,
        epoch: u64,
    ) -> i32,
>;

/// `release_ctx`: the library is done with `ctx`. May be NULL in the table
/// (nothing to release); called once, from whichever thread frees the
/// handle or ends the last callback. See `smartlink_store_callbacks`.
#[allow(non_camel_case_types)]
pub type smartlink_store_release_ctx_fn = Option<unsafe extern "C" fn(ctx: *mut c_void)>;

/// The host's own state store: a table of callbacks the library calls to
/// keep one installation's state (`smartlink_configurator_new_with_store`).
///
/// The host keeps, per (`installation_id`, `line`): a **document** (opaque
/// bytes, or none), a **version** (`uint64_t`, 0 before the first write)
/// and a **lease** (holder string, epoch `uint64_t`, expiry). The document
/// is the state with the client secret sealed under the configuration's
/// seal key: the host never receives a secret in clear, and must not
/// change the bytes (a changed byte is refused as tampered).
///
/// Fields:
/// - `struct_size`: `sizeof(smartlink_store_callbacks)` as the host was
///   compiled; `version`: `SMARTLINK_STORE_CALLBACKS_VERSION`. A smaller
///   size, a version 0 or a version above this library's (a table made
///   for a newer library, whose callbacks may mean something else) is
///   refused; a larger size with a known version is accepted and the
///   bytes past this library's fields are ignored.
/// - `ctx`: passed as the first argument of every callback, untouched.
/// - the callbacks, all required but `release_ctx` (NULL: nothing to
///   release). Each returns a `SMARTLINK_STORE_*` status.
///
/// **Timing by the store's clock.** Lease expiries are computed and
/// compared by the host's store with its own clock (a database's `now()`,
/// the one service that keeps the records), never with the clock of the
/// machine calling: several machines of one installation must agree on
/// when a lease expired, and their clocks may be minutes apart.
///
/// - `load(ctx, installation_id, line, document, capacity, &document_len,
///   &version)`: writes the stored document into `document` (a buffer of
///   `capacity` bytes owned by the library, valid during the call only),
///   its length into `*document_len` (0: no document) and the version into
///   `*version` (0 when nothing was ever stored). Returns `OK`,
///   `BUFFER_TOO_SMALL` (with the size needed in `*document_len`: the
///   library calls again with a buffer that size, at most
///   `SMARTLINK_STORE_MAX_DOCUMENT`) or `UNREACHABLE`.
/// - `compare_and_swap(ctx, installation_id, line, expected_version,
///   holder, epoch, document, document_len, &version)`: in one atomic
///   step, when the stored version is `expected_version` and the lease is
///   held by `holder` with `epoch` and not expired, replaces the document
///   with the `document_len` bytes at `document` (NULL with 0: remove the
///   document, which is a write too), sets the version to a greater one
///   (`expected_version + 1`) and writes it to `*version`: `OK`. The bytes
///   are borrowed for the call: copy them. Otherwise writes nothing:
///   `CONFLICT` (the stored version in `*version`) when the version
///   differs, `LEASE_LOST` when the lease is not that holder's and epoch's
///   or has expired, `UNREACHABLE`.
/// - `acquire_lease(ctx, installation_id, line, holder, ttl_ms, &epoch,
///   &version)`: when nobody holds the lease or it has expired (by the
///   store's clock; a live lease of the same holder string counts as held),
///   records `holder`, epoch = previous epoch + 1 (1 the first time) and an
///   expiry `ttl_ms` from the store's now, then writes the epoch and the
///   stored version: `OK`. Else `LEASE_HELD`, or `UNREACHABLE`. The record
///   (and version 0) is created when missing.
/// - `renew_lease(ctx, installation_id, line, holder, epoch, ttl_ms)`:
///   when the lease is still `holder`'s with `epoch` and unexpired, sets
///   its expiry `ttl_ms` from the store's now: `OK`; else `LEASE_LOST`, or
///   `UNREACHABLE`. The library renews every third of the lifetime while
///   it works and stops its work when renewals fail.
/// - `release_lease(ctx, installation_id, line, holder, epoch)`: when the
///   lease is `holder`'s with `epoch`, clears its holder and expiry (keeps
///   the epoch); else nothing. The result is ignored (a lease not released
///   only makes the next holder wait for its expiry).
/// - `release_ctx(ctx)`: called once, after the last callback: normally
///   during `smartlink_configurator_free`, later (from a library thread)
///   when a callback was still running past the 5 s the free waits; not
///   called when `smartlink_configurator_new_with_store` fails.
///
/// Strings (`installation_id`, `line`, `holder`) are NUL-terminated UTF-8
/// borrowed for the call. Outputs may be written only on `OK` (and on
/// `CONFLICT` and `BUFFER_TOO_SMALL` as said).
///
/// **Threads.** The callbacks are called from the library's threads (the
/// handle's worker and blocking threads, which run the login gate's
/// background refresh and the background task) and from the host's
/// threads that call the library, possibly several at once: they must be
/// thread-safe. They must not call back into the library (no
/// `smartlink_*` function from a callback). They should answer within a
/// few seconds (bound their own waits, say 5 s, and return `UNREACHABLE`):
/// a slow callback delays the background refresh, the task and the host's
/// calls that read the state. The login gate
/// (`smartlink_needs_configuration`) answers from memory: only its very
/// first call on a handle waits for the first `load`.
///
/// **Errors.** `UNREACHABLE` becomes `state_unreachable` (the login gate
/// keeps its last verdict while the credentials are valid); `CONFLICT` and
/// `LEASE_LOST` stop the work under the lease (nothing lost, decided again
/// on the next run). An unknown status, a length beyond the buffer or a
/// version that does not grow is treated as `UNREACHABLE` with the cause
/// in `status`, never trusted.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Clone, Copy)]
pub struct smartlink_store_callbacks {
    /// `sizeof(smartlink_store_callbacks)`.
    pub struct_size: u32,
    /// `SMARTLINK_STORE_CALLBACKS_VERSION`.
    pub version: u32,
    /// The host's context, the first argument of every callback.
    pub ctx: *mut c_void,
    /// Reads the document and its version.
    pub load: smartlink_store_load_fn,
    /// The fenced compare-and-swap write.
    pub compare_and_swap: smartlink_store_compare_and_swap_fn,
    /// Takes the lease when free or expired.
    pub acquire_lease: smartlink_store_acquire_lease_fn,
    /// Extends a held lease.
    pub renew_lease: smartlink_store_renew_lease_fn,
    /// Gives a held lease up.
    pub release_lease: smartlink_store_release_lease_fn,
    /// Called once when the library is done with `ctx` (may be NULL).
    pub release_ctx: smartlink_store_release_ctx_fn,
}

/// Creates a handle whose state lives in the host's own store, reached
/// through `store`'s callbacks. The configuration is that of
/// `smartlink_configurator_new`, with
/// `"state": {"kind": "callbacks", "seal_key_file": "…", "lease_ttl_ms":
/// 10000, "refresh_ms": 2000}` (`seal_key_file` required: the document is
/// always sealed; `lease_ttl_ms` at least 100, `refresh_ms` at least 10).
///
/// - `config_json` (required): NUL-terminated UTF-8; borrowed for the call.
/// - `store` (required): the callbacks; the table is **copied** during the
///   call (it may be freed afterwards), but `ctx` and the functions must
///   stay valid until `release_ctx` is called (or, without `release_ctx`,
///   until no callback can still run after the handle is freed). NULL
///   callbacks, a `struct_size` smaller
///   than this header's, a `version` 0 or above
///   `SMARTLINK_STORE_CALLBACKS_VERSION` give
///   `SMARTLINK_RESULT_INVALID_CONFIG`.
/// - `out` (required): receives the handle, only on success; free it with
///   `smartlink_configurator_free`.
/// - Returns what `smartlink_configurator_new` returns. No callback is
///   called during this function: the store is first used by the first
///   call that needs the state.
/// - Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn smartlink_configurator_new_with_store(
    config_json: *const c_char,
    store: *const smartlink_store_callbacks,
    out: *mut *mut smartlink_configurator,
) -> smartlink_result {
    boundary(|| {
        let json = try_str!(config_json, "config_json");
        let store = try_out!(store, "store");
        let out = try_out!(out, "out");
        // SAFETY: non-NULL; the caller promises a table, whose first two
        // fields are these. Read unaligned: a table at any address is read,
        // never dereferenced where it is (no trap, no undefined behaviour).
        let [size, version] = unsafe { std::ptr::read_unaligned(store.cast::<[u32; 2]>()) };
        if (size as usize) < std::mem::size_of::<smartlink_store_callbacks>()
            || !(1..=SMARTLINK_STORE_CALLBACKS_VERSION).contains(&version)
        {
            return Err(FfiError::new(
                smartlink_result::InvalidConfig,
                format!(
                    "`store`: struct_size {size} or version {version} is not a smartlink_store_callbacks of this library (size {}, version {SMARTLINK_STORE_CALLBACKS_VERSION})",
                    std::mem::size_of::<smartlink_store_callbacks>()
                ),
            ));
        }
        // SAFETY: non-NULL, and at least as large as the struct (its own
        // size field says so; the caller promises it).
        let table = unsafe { std::ptr::read_unaligned(store) };
        let callbacks = crate::host_store::Callbacks::check(table)?;
        let inner = HandleInner::from_json_with_store(json, Some(callbacks))?;
        let handle = Box::new(smartlink_configurator {
            inner,
            serial: next_serial(),
        });
        // SAFETY: non-NULL, caller's writable pointer.
        unsafe { *out = Box::into_raw(handle) };
        Ok(())
    })
}

/// Creates a seal key file: 32 random bytes at `path`, readable by this
/// account only from its creation (mode 0600; an owner-only DACL on
/// Windows). Never replaces a file. Copy the same file to every machine of
/// the installation, out of shared folders and backups of the state.
///
/// - `path` (required): NUL-terminated UTF-8; borrowed for the call.
/// - Returns `SMARTLINK_RESULT_OK`, `NULL_ARGUMENT`, `INVALID_UTF8`, or
///   `SMARTLINK_RESULT_STATE` (the file exists, its directory is missing,
///   it could not be written; the detail in the last error, never the key).
///   An empty `path`, or a URL or connection string given for it (anything
///   with `://` or a `password=`), is `SMARTLINK_RESULT_STATE` too, writing
///   nothing and never echoing it (it may hold a password).
/// - Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn smartlink_seal_key_create(path: *const c_char) -> smartlink_result {
    boundary(|| {
        let path = try_str!(path, "path");
        if path.trim().is_empty() {
            return Err(FfiError::new(
                smartlink_result::State,
                "seal key file: `path` is empty",
            ));
        }
        if crate::store_config::looks_like_url(path) {
            return Err(FfiError::new(
                smartlink_result::State,
                "seal key file: `path` holds a URL, not a path (it is not shown: it may hold a password)",
            ));
        }
        smartlink_core::SealKey::create_file(path)
            .map(drop)
            .map_err(|e| FfiError::new(smartlink_result::State, e.to_string()))
    })
}
