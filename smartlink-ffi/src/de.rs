//! Deserializing JSON values with the field at fault named, for the
//! configuration and the requests alike.

use serde_json::Value;

/// Deserializes `value`, naming the field at fault in the error
/// (`deadline_ms: invalid type: string "abc", expected u64`).
pub(crate) fn from_value_named<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, String> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path.is_empty() || path == "." {
            inner.to_string()
        } else {
            format!("`{path}`: {inner}")
        }
    })
}
