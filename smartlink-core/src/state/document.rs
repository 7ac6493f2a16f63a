//! The sealed document: the state as a shared store keeps it, shared by
//! the PostgreSQL store and the host's own store ([`super::hosted`]).
//!
//! The document is the file store's envelope
//! (`{"format":"smartlink-state","version":1,"sealed":…,"state":…}`) with
//! the credentials always sealed under the store's [`SealKey`], the
//! installation id, the ERP line and the format bound as associated data
//! (see [`super::seal`]). So a store that keeps documents never holds the
//! client secret in clear, and a state moves between the stores unchanged.

use std::path::PathBuf;

use crate::installation::{ErpLine, InstallationId};
use crate::json_error::describe;
use crate::state::file::format::{DecodeError, EnvelopeRef, decode};
use crate::state::file::{FORMAT_TAG, FORMAT_VERSION};
use crate::state::seal::{self, SealContext, SealError, SealKey};
use crate::state::{LocalState, StateError};

/// Encodes and decodes the documents of one installation and line, sealed
/// under one key. `Debug` shows neither the key nor any document.
pub struct SealedDocument {
    key: SealKey,
    installation_id: InstallationId,
    line: ErpLine,
    key_id: String,
    /// How errors name the store (`postgres host:port …`, `host store`).
    store_name: String,
}

impl std::fmt::Debug for SealedDocument {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedDocument")
            .field("installation_id", &self.installation_id)
            .field("line", &self.line)
            .field("store", &self.store_name)
            .finish_non_exhaustive()
    }
}

impl SealedDocument {
    /// The codec of `installation_id` on `line`, sealing with `key`;
    /// errors name the store as `store_name` (never a password).
    pub fn new(
        key: SealKey,
        installation_id: InstallationId,
        line: ErpLine,
        store_name: impl Into<String>,
    ) -> Self {
        Self {
            key_id: seal::key_id(&key),
            key,
            installation_id,
            line,
            store_name: store_name.into(),
        }
    }

    /// The installation the documents belong to.
    pub fn installation_id(&self) -> &InstallationId {
        &self.installation_id
    }

    /// Its line.
    pub fn line(&self) -> ErpLine {
        self.line
    }

    /// The seal key's fingerprint (16 hex characters; reveals nothing of
    /// the key).
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// How errors name the store.
    pub fn store_name(&self) -> &str {
        &self.store_name
    }

    fn context(&self) -> SealContext<'_> {
        SealContext {
            installation_id: &self.installation_id,
            line: self.line,
            format: FORMAT_TAG,
            version: FORMAT_VERSION,
        }
    }

    fn place(&self) -> PathBuf {
        PathBuf::from(&self.store_name)
    }

    /// A sealing failure of this store.
    pub fn sealed_err(&self, source: SealError) -> StateError {
        StateError::Sealed {
            path: self.place(),
            source,
        }
    }

    /// The document for `state`: the envelope with the credentials sealed
    /// (wiped from memory when dropped).
    pub fn encode(&self, state: &LocalState) -> Result<zeroize::Zeroizing<String>, StateError> {
        if !state.belongs_to(&self.installation_id, self.line) {
            return Err(StateError::Encode(
                "the state belongs to another installation than the store's".into(),
            ));
        }
        let sealed = match &state.credentials {
            Some(credentials) => Some(
                seal::seal_credentials(&self.key, &self.context(), credentials)
                    .map_err(|e| self.sealed_err(e))?,
            ),
            None => None,
        };
        let mut rest = state.clone();
        rest.credentials = None;
        let text = serde_json::to_string(&EnvelopeRef {
            format: FORMAT_TAG,
            version: FORMAT_VERSION,
            sealed: sealed.as_ref(),
            state: &rest,
        })
        .map_err(|e| StateError::Encode(describe(&e)))?;
        Ok(zeroize::Zeroizing::new(text))
    }

    /// Refuses to replace `document` when its credentials are sealed under
    /// another key ([`SealError::WrongKey`]): a machine with a stale or
    /// wrong key never overwrites the good state. A document that cannot
    /// be read, or holds no sealed credentials, is left to the write.
    pub fn check_replaceable(&self, document: &[u8]) -> Result<(), StateError> {
        match decode(document) {
            Ok((_, Some(blob))) if !seal::key_matches(&self.key, &blob) => {
                Err(self.sealed_err(SealError::WrongKey))
            }
            _ => Ok(()),
        }
    }

    /// The state in a document. A document that cannot be read is reported
    /// ([`StateError::Corrupt`], naming the store, never its contents) and
    /// left where it is; one in clear, of another installation or sealed
    /// under another key is refused.
    pub fn decode(&self, document: &[u8]) -> Result<LocalState, StateError> {
        let place = self.place();
        let corrupt = |detail: String| StateError::Corrupt {
            path: place.clone(),
            kept_at: place.clone(),
            detail,
        };
        let (mut state, sealed) = match decode(document) {
            Ok(decoded) => decoded,
            Err(DecodeError::Corrupt(detail)) => return Err(corrupt(detail)),
            Err(DecodeError::Newer(found)) => {
                return Err(corrupt(format!(
                    "format version {found}, newer than this library's {FORMAT_VERSION}"
                )));
            }
        };
        if state.credentials.is_some() {
            return Err(corrupt("credentials stored in clear".into()));
        }
        if !state.belongs_to(&self.installation_id, self.line) {
            return Err(self.sealed_err(SealError::OtherInstallation));
        }
        if let Some(blob) = sealed {
            let credentials = seal::open_credentials(&self.key, &self.context(), &blob)
                .map_err(|e| self.sealed_err(e))?;
            state.credentials = Some(credentials);
        }
        Ok(state)
    }
}
