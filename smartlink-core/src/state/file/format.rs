//! The file's format: the envelope, decoding with the upgrade of older
//! versions, and errors that name no contents (see the parent module's
//! documentation).

use serde::Serialize;
use serde_json::Value;

use super::{FORMAT_TAG, FORMAT_VERSION};
use crate::json_error::describe;
use crate::state::LocalState;
use crate::state::seal::SealedBlob;

/// The envelope as written. A sealed state carries its credentials in
/// `sealed` (see `state/seal.rs`) and none in `state`.
#[derive(Serialize)]
pub(crate) struct EnvelopeRef<'a> {
    pub(crate) format: &'static str,
    pub(crate) version: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) sealed: Option<&'a SealedBlob>,
    pub(crate) state: &'a LocalState,
}

/// What decoding a file's bytes found wrong.
pub(crate) enum DecodeError {
    /// Not understandable; the detail names no contents.
    Corrupt(String),
    /// A version newer than [`FORMAT_VERSION`].
    Newer(u64),
}

/// Upgrades a document of format `version` to `version + 1`.
///
/// Version 0 is a bare [`LocalState`] object (no envelope); version 1 wraps
/// it in the envelope. A future version 2 adds its step here, so files of
/// every older version keep loading. Errors name no contents.
fn migrate(version: u64, value: Value) -> Result<Value, String> {
    match version {
        0 => {
            if !value.is_object() {
                return Err("version 0 document is not an object".into());
            }
            Ok(serde_json::json!({
                "format": FORMAT_TAG,
                "version": 1,
                "state": value,
            }))
        }
        other => Err(format!("no migration from version {other}")),
    }
}

/// Decodes a file's bytes, upgrading older versions; the sealed
/// credentials, when the file holds some, come apart (still sealed).
pub(crate) fn decode(bytes: &[u8]) -> Result<(LocalState, Option<SealedBlob>), DecodeError> {
    let mut value: Value =
        serde_json::from_slice(bytes).map_err(|e| DecodeError::Corrupt(describe(&e)))?;
    let Some(object) = value.as_object() else {
        return Err(DecodeError::Corrupt("not a JSON object".into()));
    };
    let mut version = match object.get("format") {
        Some(Value::String(tag)) if tag == FORMAT_TAG => match object.get("version") {
            Some(v) => v
                .as_u64()
                .ok_or_else(|| DecodeError::Corrupt("version is not an unsigned integer".into()))?,
            None => return Err(DecodeError::Corrupt("version missing".into())),
        },
        Some(_) => return Err(DecodeError::Corrupt("wrong format tag".into())),
        // Version 0: a bare state, recognised by its mandatory field.
        None if object.contains_key("installation_id") => 0,
        None => return Err(DecodeError::Corrupt("no format tag".into())),
    };
    if version > FORMAT_VERSION {
        return Err(DecodeError::Newer(version));
    }
    while version < FORMAT_VERSION {
        value = migrate(version, value)
            .map_err(|d| DecodeError::Corrupt(format!("upgrade from version {version}: {d}")))?;
        version += 1;
    }
    let (state, sealed) = match value {
        Value::Object(mut map) => (
            map.remove("state")
                .ok_or_else(|| DecodeError::Corrupt("state missing".into()))?,
            map.remove("sealed"),
        ),
        _ => return Err(DecodeError::Corrupt("not a JSON object".into())),
    };
    let state: LocalState = serde_json::from_value(state)
        .map_err(|e| DecodeError::Corrupt(format!("invalid state ({})", describe(&e))))?;
    let sealed = match sealed {
        None | Some(Value::Null) => None,
        Some(blob) => {
            let blob: SealedBlob = serde_json::from_value(blob).map_err(|e| {
                DecodeError::Corrupt(format!("invalid sealed secret ({})", describe(&e)))
            })?;
            if state.credentials.is_some() {
                return Err(DecodeError::Corrupt(
                    "credentials both sealed and in clear".into(),
                ));
            }
            Some(blob)
        }
    };
    Ok((state, sealed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrate_wraps_a_bare_state() {
        let bare = serde_json::json!({"installation_id": "x", "line": "rm"});
        let up = migrate(0, bare.clone()).unwrap();
        assert_eq!(up["format"], FORMAT_TAG);
        assert_eq!(up["version"], 1);
        assert_eq!(up["state"], bare);
        assert!(migrate(0, Value::Null).is_err());
        assert!(migrate(1, bare).is_err());
    }

    #[test]
    fn error_details_never_quote_contents() {
        let secret = r#"{"format":"smartlink-state","version":1,"state":{"installation_id":"i","line":"s3cr3t-value"}}"#;
        match decode(secret.as_bytes()) {
            Err(DecodeError::Corrupt(d)) => assert!(!d.contains("s3cr3t"), "{d}"),
            _ => panic!("expected corrupt"),
        }
        match decode(b"{\"s3cr3t\": tru") {
            Err(DecodeError::Corrupt(d)) => assert!(!d.contains("s3cr3t"), "{d}"),
            _ => panic!("expected corrupt"),
        }
    }

    #[test]
    fn newer_versions_are_recognised() {
        let doc = br#"{"format":"smartlink-state","version":7,"state":{}}"#;
        assert!(matches!(decode(doc), Err(DecodeError::Newer(7))));
    }
}
