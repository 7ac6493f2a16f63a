//! The host's store behind `smartlink_store_callbacks`: a
//! [`HostBackend`] that calls the host's functions, checking every answer
//! (an unknown status, a length beyond the buffer, a missing output are
//! typed errors, never trusted).

use std::ffi::{CString, c_void};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use smartlink_core::{HostBackend, HostDocument, HostStoreError, LeaseInfo};

use crate::api::store::{
    SMARTLINK_STORE_BUFFER_TOO_SMALL, SMARTLINK_STORE_CONFLICT, SMARTLINK_STORE_LEASE_HELD,
    SMARTLINK_STORE_LEASE_LOST, SMARTLINK_STORE_MAX_DOCUMENT, SMARTLINK_STORE_OK,
    SMARTLINK_STORE_UNREACHABLE, smartlink_store_callbacks,
};
use crate::error::{FfiError, smartlink_result};

/// The first buffer `load` gets (a state is a few kilobytes).
const FIRST_CAPACITY: usize = 16 << 10;

/// A checked table of callbacks (every required one present).
#[derive(Clone, Copy)]
pub(crate) struct Callbacks(smartlink_store_callbacks);

// SAFETY: the host promises (docs/c-api.md, the header) that its callbacks
// and `ctx` may be used from any thread, several at once.
unsafe impl Send for Callbacks {}
unsafe impl Sync for Callbacks {}

impl std::fmt::Debug for Callbacks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Callbacks")
    }
}

impl Callbacks {
    /// Refuses a table with a required callback missing.
    pub(crate) fn check(table: smartlink_store_callbacks) -> Result<Self, FfiError> {
        let missing = [
            ("load", table.load.is_none()),
            ("compare_and_swap", table.compare_and_swap.is_none()),
            ("acquire_lease", table.acquire_lease.is_none()),
            ("renew_lease", table.renew_lease.is_none()),
            ("release_lease", table.release_lease.is_none()),
        ]
        .into_iter()
        .filter(|(_, none)| *none)
        .map(|(name, _)| name)
        .collect::<Vec<_>>();
        if !missing.is_empty() {
            return Err(FfiError::new(
                smartlink_result::InvalidConfig,
                format!("`store`: the callback(s) {} are NULL", missing.join(", ")),
            ));
        }
        Ok(Self(table))
    }
}

/// The backend of one handle: the callbacks, and the installation and line
/// as C strings.
pub(crate) struct CallbackBackend {
    callbacks: Callbacks,
    installation_id: CString,
    line: CString,
    /// Set once the handle exists: only then does dropping the backend
    /// call `release_ctx` (a failed opening leaves `ctx` to the host).
    armed: Arc<AtomicBool>,
}

impl CallbackBackend {
    pub(crate) fn new(
        callbacks: Callbacks,
        installation_id: &str,
        line: &str,
        armed: Arc<AtomicBool>,
    ) -> Result<Self, FfiError> {
        let c = |s: &str| {
            CString::new(s).map_err(|_| {
                FfiError::new(
                    smartlink_result::InvalidInstallation,
                    "installation: a NUL character",
                )
            })
        };
        Ok(Self {
            callbacks,
            installation_id: c(installation_id)?,
            line: c(line)?,
            armed,
        })
    }

    fn ctx(&self) -> *mut c_void {
        self.callbacks.0.ctx
    }
}

impl Drop for CallbackBackend {
    fn drop(&mut self) {
        if self.armed.load(Ordering::SeqCst)
            && let Some(release) = self.callbacks.0.release_ctx
        {
            // SAFETY: the host's function, given its own ctx, once.
            unsafe { release(self.ctx()) };
        }
    }
}

fn unknown(callback: &str, status: i32) -> HostStoreError {
    HostStoreError::invalid(format!(
        "the {callback} callback returned {status}, not a status it may return"
    ))
}

fn unreachable(callback: &str) -> HostStoreError {
    HostStoreError::Unreachable {
        cause: format!("the {callback} callback answered SMARTLINK_STORE_UNREACHABLE"),
        fault: smartlink_core::StoreFault::Unreachable,
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn holder(lease_holder: &str) -> Result<CString, HostStoreError> {
    CString::new(lease_holder).map_err(|_| HostStoreError::invalid("a holder id with a NUL"))
}

impl HostBackend for CallbackBackend {
    fn load(&self) -> Result<HostDocument, HostStoreError> {
        let load = self.callbacks.0.load.expect("checked");
        let mut capacity = FIRST_CAPACITY;
        // The document may grow between a BUFFER_TOO_SMALL and the next
        // call: a few attempts, each with the size last asked for.
        for _ in 0..4 {
            let mut buffer = zeroize::Zeroizing::new(vec![0u8; capacity]);
            let mut len: usize = 0;
            let mut version: u64 = 0;
            // SAFETY: the host's function; the buffer holds `capacity`
            // bytes and the outputs are live for the call.
            let status = unsafe {
                load(
                    self.ctx(),
                    self.installation_id.as_ptr(),
                    self.line.as_ptr(),
                    buffer.as_mut_ptr(),
                    capacity,
                    &mut len,
                    &mut version,
                )
            };
            match status {
                SMARTLINK_STORE_OK if len > capacity => {
                    return Err(HostStoreError::invalid(format!(
                        "the load callback reported {len} bytes in a buffer of {capacity}"
                    )));
                }
                SMARTLINK_STORE_OK => {
                    let document = (len > 0).then(|| {
                        buffer.truncate(len);
                        std::mem::take(&mut buffer)
                    });
                    return Ok(HostDocument { document, version });
                }
                SMARTLINK_STORE_BUFFER_TOO_SMALL
                    if len > capacity && len <= SMARTLINK_STORE_MAX_DOCUMENT =>
                {
                    capacity = len;
                }
                SMARTLINK_STORE_BUFFER_TOO_SMALL => {
                    return Err(HostStoreError::invalid(format!(
                        "the load callback asked for {len} bytes (the buffer had {capacity}; at most {SMARTLINK_STORE_MAX_DOCUMENT})"
                    )));
                }
                SMARTLINK_STORE_UNREACHABLE => return Err(unreachable("load")),
                other => return Err(unknown("load", other)),
            }
        }
        Err(HostStoreError::invalid(
            "the load callback kept answering SMARTLINK_STORE_BUFFER_TOO_SMALL",
        ))
    }

    fn compare_and_swap(
        &self,
        expected: u64,
        lease: &LeaseInfo,
        document: Option<&[u8]>,
    ) -> Result<u64, HostStoreError> {
        let cas = self.callbacks.0.compare_and_swap.expect("checked");
        let holder = holder(&lease.holder)?;
        let (ptr, len) = match document {
            Some(d) => (d.as_ptr(), d.len()),
            None => (std::ptr::null(), 0),
        };
        let mut version: u64 = 0;
        // SAFETY: the host's function; the document is borrowed for the
        // call and the output is live.
        let status = unsafe {
            cas(
                self.ctx(),
                self.installation_id.as_ptr(),
                self.line.as_ptr(),
                expected,
                holder.as_ptr(),
                lease.epoch,
                ptr,
                len,
                &mut version,
            )
        };
        match status {
            SMARTLINK_STORE_OK => Ok(version),
            SMARTLINK_STORE_CONFLICT => Err(HostStoreError::Conflict { found: version }),
            SMARTLINK_STORE_LEASE_LOST => Err(HostStoreError::LeaseLost),
            SMARTLINK_STORE_UNREACHABLE => Err(unreachable("compare_and_swap")),
            other => Err(unknown("compare_and_swap", other)),
        }
    }

    fn acquire_lease(
        &self,
        lease_holder: &str,
        ttl: Duration,
    ) -> Result<Option<(u64, u64)>, HostStoreError> {
        let acquire = self.callbacks.0.acquire_lease.expect("checked");
        let holder = holder(lease_holder)?;
        let (mut epoch, mut version) = (0u64, 0u64);
        // SAFETY: the host's function; the outputs are live for the call.
        let status = unsafe {
            acquire(
                self.ctx(),
                self.installation_id.as_ptr(),
                self.line.as_ptr(),
                holder.as_ptr(),
                millis(ttl),
                &mut epoch,
                &mut version,
            )
        };
        match status {
            SMARTLINK_STORE_OK if epoch == 0 => Err(HostStoreError::invalid(
                "the acquire_lease callback granted the lease with epoch 0 (epochs start at 1)",
            )),
            SMARTLINK_STORE_OK => Ok(Some((epoch, version))),
            SMARTLINK_STORE_LEASE_HELD => Ok(None),
            SMARTLINK_STORE_UNREACHABLE => Err(unreachable("acquire_lease")),
            other => Err(unknown("acquire_lease", other)),
        }
    }

    fn renew_lease(&self, lease: &LeaseInfo, ttl: Duration) -> Result<(), HostStoreError> {
        let renew = self.callbacks.0.renew_lease.expect("checked");
        let holder = holder(&lease.holder)?;
        // SAFETY: the host's function, with strings borrowed for the call.
        let status = unsafe {
            renew(
                self.ctx(),
                self.installation_id.as_ptr(),
                self.line.as_ptr(),
                holder.as_ptr(),
                lease.epoch,
                millis(ttl),
            )
        };
        match status {
            SMARTLINK_STORE_OK => Ok(()),
            SMARTLINK_STORE_LEASE_LOST => Err(HostStoreError::LeaseLost),
            SMARTLINK_STORE_UNREACHABLE => Err(unreachable("renew_lease")),
            other => Err(unknown("renew_lease", other)),
        }
    }

    fn release_lease(&self, lease: &LeaseInfo) {
        let release = self.callbacks.0.release_lease.expect("checked");
        let Ok(holder) = holder(&lease.holder) else {
            return;
        };
        // SAFETY: the host's function, with strings borrowed for the call.
        let _ = unsafe {
            release(
                self.ctx(),
                self.installation_id.as_ptr(),
                self.line.as_ptr(),
                holder.as_ptr(),
                lease.epoch,
            )
        };
    }
}
