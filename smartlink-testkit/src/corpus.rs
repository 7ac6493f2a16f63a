//! Hand-made nasty inputs, generated in code (no 10 MB file is committed).
//! Used by `smartlink-core/tests/bad_input.rs` and
//! `smartlink-ffi/tests/bad_input.rs`.
//!
//! Two kinds: whole documents ([`documents`]: bytes that are fed as they
//! are, valid JSON or not) and JSON values ([`values`]: the text of one JSON
//! value, valid or subtly not, to splice into an otherwise valid document in
//! place of a field's value).

/// Nesting depth of the deep documents.
pub const DEEP: usize = 100_000;
/// Size of the huge string value.
pub const HUGE: usize = 10 * 1024 * 1024;

/// Random JSON for the property tests of both files.
pub mod random {
    use proptest::prelude::*;
    use serde_json::{Value, json};

    /// Numbers, edges included (largest integers, negative zero).
    pub fn number() -> impl Strategy<Value = Value> {
        prop_oneof![
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            (-3i64..5).prop_map(Value::from),
            any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
                .map(Value::Number)),
            Just(json!(u64::MAX)),
            Just(json!(i64::MIN)),
            Just(json!(-0.0)),
        ]
    }

    /// A scalar: null, bool, number, or a string from `strings`.
    pub fn leaf(strings: BoxedStrategy<String>) -> BoxedStrategy<Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            number(),
            strings.prop_map(Value::String),
        ]
        .boxed()
    }

    /// A tree up to four levels deep, its object keys from `keys`.
    pub fn tree(
        strings: BoxedStrategy<String>,
        keys: BoxedStrategy<String>,
    ) -> BoxedStrategy<Value> {
        leaf(strings)
            .prop_recursive(4, 24, 5, move |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                    prop::collection::vec((keys.clone(), inner), 0..5)
                        .prop_map(|kv| Value::Object(kv.into_iter().collect())),
                ]
            })
            .boxed()
    }
}

/// One nasty input: a name for failure messages and its bytes.
pub struct Nasty {
    pub name: &'static str,
    pub bytes: Vec<u8>,
}

fn n(name: &'static str, bytes: impl Into<Vec<u8>>) -> Nasty {
    Nasty {
        name,
        bytes: bytes.into(),
    }
}

/// JSON value texts (each may be spliced as a field value). `huge` adds the
/// 10 MB string and the 100,000-deep nestings (slow to splice everywhere).
pub fn values(huge: bool) -> Vec<Nasty> {
    let mut v = vec![
        n("null", "null"),
        n("true", "true"),
        n("zero", "0"),
        n("minus zero", "-0"),
        n("minus zero float", "-0.0"),
        n("u64 max + 1", "18446744073709551616"),
        n("i64 min - 1", "-9223372036854775809"),
        n("u64 max", "18446744073709551615"),
        n("1e999999", "1e999999"),
        n("-1e999999", "-1e999999"),
        n("1e-999999", "1e-999999"),
        n("10k digits", "9".repeat(10_000)),
        n("float", "3.5"),
        n("negative", "-1"),
        n("empty string", r#""""#),
        n("spaces", r#""   ""#),
        n("escaped NUL", r#""a\u0000b""#),
        n("only escaped NUL", r#""\u0000""#),
        n("lone high surrogate", r#""\ud800""#),
        n("lone low surrogate", r#""\udc00""#),
        n("reversed pair", r#""\udc00\ud800""#),
        n("bad escape", r#""\x41""#),
        n("raw control char", "\"a\tb\nc\""),
        n("bidi and zero width", "\"\u{202e}abc\u{200b}\""),
        n("combining marks", "\"e\u{301}\u{301}\u{301}\u{301}\""),
        n("emoji", "\"\u{1F600}\u{1F600}\""),
        n("path traversal", r#""../../../../etc/passwd""#),
        n("url with creds", r#""https://user:pw@example.com/""#),
        n("javascript url", r#""javascript:alert(1)""#),
        n("percent junk", r#""%00%ff%2e%2e""#),
        n("long string 100k", format!("\"{}\"", "x".repeat(100_000))),
        n("empty array", "[]"),
        n("empty object", "{}"),
        n("array of junk", r#"[1, "a", null, {}, [], -0, 1e308]"#),
        n(
            "object with dup keys",
            r#"{"action":"start","action":"cancel"}"#,
        ),
        n(
            "nested 100",
            format!("{}{}", "[".repeat(100), "]".repeat(100)),
        ),
        n(
            "nested 200",
            format!("{}{}", "[".repeat(200), "]".repeat(200)),
        ),
        n(
            "long key",
            format!("{{\"{}\": 1}}", "k".repeat(1024 * 1024)),
        ),
        n("truncated string", "\"abc"),
        n("truncated object", "{\"a\":"),
        n("bare word", "undefined"),
        n("NaN", "NaN"),
        n("Infinity", "Infinity"),
        n("hex", "0x10"),
        n("leading zero", "0123"),
        n("trailing comma", "[1,2,]"),
        n("single quotes", "'x'"),
    ];
    if huge {
        v.push(n("10 MB string", format!("\"{}\"", "a".repeat(HUGE))));
        v.push(n(
            "100k deep arrays",
            format!("{}{}", "[".repeat(DEEP), "]".repeat(DEEP)),
        ));
        v.push(n("100k deep unclosed", "[".repeat(DEEP)));
        v.push(n("100k deep objects", "{\"a\":".repeat(DEEP)));
    }
    v
}

/// Whole documents (bytes as they are). Includes every value of
/// [`values(true)`] as a document of its own.
pub fn documents() -> Vec<Nasty> {
    let mut d = vec![
        n("empty", ""),
        n("whitespace", " \t\r\n "),
        n("BOM + object", b"\xEF\xBB\xBF{}".to_vec()),
        n("BOM + config", b"\xEF\xBB\xBF{\"op\":\"version\"}".to_vec()),
        n("UTF-16 BOM", b"\xFF\xFE{\x00}\x00".to_vec()),
        n("invalid UTF-8 0xff", b"{\"op\":\"\xff\xfe\"}".to_vec()),
        n("overlong NUL", b"{\"op\":\"\xc0\x80\"}".to_vec()),
        n("encoded surrogate", b"{\"op\":\"\xed\xa0\x80\"}".to_vec()),
        n("truncated multibyte", b"{\"op\":\"\xe2\x82\"}".to_vec()),
        n("lone continuation", b"\x80\x80\x80".to_vec()),
        n("raw NUL inside", b"{\"op\":\"ver\x00sion\"}".to_vec()),
        n("raw NUL first", b"\x00{\"op\":\"version\"}".to_vec()),
        n("raw NULs only", vec![0u8; 64]),
        n(
            "duplicate keys",
            r#"{"op":"version","op":"status","op":"credentials"}"#,
        ),
        n("two documents", r#"{"op":"version"}{"op":"status"}"#),
        n("trailing garbage", r#"{"op":"version"} x"#),
        n("comment", r#"/* c */ {"op":"version"}"#),
        n("deep closed objects", {
            let mut s = "{\"a\":".repeat(DEEP);
            s.push('1');
            s.push_str(&"}".repeat(DEEP));
            s
        }),
        n(
            "10 MB key",
            format!("{{\"{}\": \"version\"}}", "o".repeat(HUGE)),
        ),
        n(
            "10 MB op value",
            format!("{{\"op\": \"{}\"}}", "v".repeat(HUGE)),
        ),
        n("100k keys", {
            let mut s = String::from("{");
            for i in 0..100_000 {
                s.push_str(&format!("\"k{i}\":{i},"));
            }
            s.push_str("\"op\":\"version\"}");
            s
        }),
        n("100k array items", format!("[{}0]", "0,".repeat(100_000))),
    ];
    d.extend(values(true));
    d
}

/// `template` with `@` replaced by `value` (bytes, so invalid UTF-8 survives).
pub fn splice(template: &str, value: &[u8]) -> Vec<u8> {
    let at = template.find('@').expect("template has a @");
    let mut out = Vec::with_capacity(template.len() + value.len());
    out.extend_from_slice(&template.as_bytes()[..at]);
    out.extend_from_slice(value);
    out.extend_from_slice(&template.as_bytes()[at + 1..]);
    out
}

/// Proptest case count: `bounded` normally, `long` with `SMARTLINK_LONG=1`.
pub fn cases(bounded: u32, long: u32) -> u32 {
    match std::env::var("SMARTLINK_LONG").as_deref() {
        Ok("1") => long,
        _ => bounded,
    }
}
