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

/// The first field of the JSON object `given` that `parsed` (deserialized
/// from it) does not hold: a field serde skipped without a word. Nested
/// objects (`action`, `target`) are checked this way so that a field placed
/// in them by mistake (a `confirm` inside `target`) is refused, as at the
/// request's top level, with the fields they do take.
pub(crate) fn unread_field<T: serde::Serialize>(
    name: &str,
    given: &Value,
    parsed: &T,
) -> Result<(), String> {
    let (Value::Object(given), Ok(Value::Object(read))) = (given, serde_json::to_value(parsed))
    else {
        return Ok(());
    };
    match given.keys().find(|k| !read.contains_key(k.as_str())) {
        None => Ok(()),
        Some(unknown) => Err(format!(
            "`{name}.{unknown}`: unknown field; this `{name}` takes {}",
            read.keys()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// `text` without a leading UTF-8 byte order mark, which editors such as
/// Notepad write at the start of a file (RFC 8259 lets a parser ignore it):
/// a configuration or request read from such a file parses as it reads.
pub(crate) fn without_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}
