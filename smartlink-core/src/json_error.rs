//! serde_json errors described without the input they quote.

/// Describes a serde_json error by category and position only: its message
/// may quote the input (an unknown variant, an invalid value), which may
/// hold secrets. The position is left out when the error has none (a
/// document decoded from a `serde_json::Value`).
pub(crate) fn describe(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Io => "read error",
        Category::Syntax => "invalid JSON",
        Category::Data => "unexpected content",
        Category::Eof => "truncated JSON",
    };
    if e.line() > 0 {
        format!("{what} at line {} column {}", e.line(), e.column())
    } else {
        what.to_string()
    }
}
