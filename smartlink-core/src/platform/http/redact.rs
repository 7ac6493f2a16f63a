//! Redaction of response excerpts kept for support: secret values by key
//! (JSON, forms, headers, `Bearer`) and every known secret, wherever it
//! appears: raw, form-urlencoded and JSON-escaped, and a client's secret as
//! the Base64 of HTTP Basic credentials.

use secrecy::SecretString;
use secrecy::zeroize::Zeroizing;

use super::*;

// ---------------------------------------------------------------------------
// Redaction
// ---------------------------------------------------------------------------

/// Keys whose values are secrets, wherever they appear (JSON, forms, headers).
pub(super) const SECRET_KEYS: &[&str] = &[
    "client_secret",
    "access_token",
    "refresh_token",
    "id_token",
    "password",
    "bearer",
];

/// At most [`BODY_EXCERPT_CHARS`] characters of `body`, with the `known`
/// secrets and the values of [`SECRET_KEYS`] replaced by `[redacted]`.
pub(super) fn excerpt(body: &[u8], known: &[&str]) -> String {
    let text = redact(&String::from_utf8_lossy(body), known);
    let mut chars = text.char_indices();
    match chars.nth(BODY_EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

pub(crate) fn redact(text: &str, known: &[&str]) -> String {
    let mut out = redact_keyed(text);
    let mut forms: Vec<Zeroizing<String>> = Vec::new();
    for secret in known.iter().filter(|s| !s.is_empty()) {
        forms.extend(spellings(secret));
    }
    // Longest first, so that no shorter spelling cuts into a longer one
    // before that one is replaced whole.
    forms.sort_by_key(|form| std::cmp::Reverse(form.len()));
    for form in forms.iter().filter(|f| !f.is_empty()) {
        if out.contains(form.as_str()) {
            out = out.replace(form.as_str(), REDACTED);
        }
    }
    out
}

/// The spellings of `secret` a server may echo: as it is; form-urlencoded
/// as it was sent (`+` as `%2B`, `/` as `%2F`, `=` as `%3D`, a space as `+`
/// or `%20`, hex digits in either case); and each of those JSON-escaped
/// (`\"`, `\u00e9`, `/` as `\/`).
pub(super) fn spellings(secret: &str) -> Vec<Zeroizing<String>> {
    let form: Zeroizing<String> =
        Zeroizing::new(url::form_urlencoded::byte_serialize(secret.as_bytes()).collect());
    let mut plain: Vec<Zeroizing<String>> = vec![Zeroizing::new(secret.to_owned())];
    if *form != secret {
        let percent_space = Zeroizing::new(form.replace('+', "%20"));
        let lower_hex = Zeroizing::new(lowercase_percent_escapes(&form));
        let lower_percent_space = Zeroizing::new(lowercase_percent_escapes(&percent_space));
        plain.extend([form, percent_space, lower_hex, lower_percent_space]);
    }
    let mut out = Vec::with_capacity(plain.len() * 3);
    for spelling in plain {
        let quoted = Zeroizing::new(serde_json::to_string(spelling.as_str()).unwrap_or_default());
        let escaped = Zeroizing::new(
            quoted
                .strip_prefix('"')
                .and_then(|e| e.strip_suffix('"'))
                .unwrap_or(&quoted)
                .to_owned(),
        );
        let slash_escaped = Zeroizing::new(escaped.replace('/', "\\/"));
        out.extend([spelling, escaped, slash_escaped]);
    }
    out
}

/// `%2B` → `%2b`: a percent-encoding with lowercase hex digits.
fn lowercase_percent_escapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let escape = rest.get(at..at + 3).unwrap_or("%");
        out.push_str(&escape.to_ascii_lowercase());
        rest = &rest[at + escape.len()..];
    }
    out.push_str(rest);
    out
}

/// The HTTP Basic credentials (RFC 7617) of a client: the Base64 of
/// `client_id:secret`, both as they are and form-urlencoded first
/// (RFC 6749 §2.3.1). A server may echo the `Authorization` header it got,
/// or build it from the form.
pub(super) fn basic_credentials(client_id: &str, secret: &str) -> Vec<SecretString> {
    use base64::Engine as _;
    let encode =
        |text: &str| -> String { url::form_urlencoded::byte_serialize(text.as_bytes()).collect() };
    let raw = Zeroizing::new(format!("{client_id}:{secret}"));
    let encoded = Zeroizing::new(format!("{}:{}", encode(client_id), encode(secret)));
    let mut out = vec![SecretString::from(
        base64::engine::general_purpose::STANDARD.encode(raw.as_bytes()),
    )];
    if encoded != raw {
        out.push(SecretString::from(
            base64::engine::general_purpose::STANDARD.encode(encoded.as_bytes()),
        ));
    }
    // The header as this client sends it (a space as `%20`).
    let sent = super::transport::basic_authorization(client_id, secret);
    if let Some(b64) = sent.strip_prefix("Basic ")
        && !out
            .iter()
            .any(|s| secrecy::ExposeSecret::expose_secret(s) == b64)
    {
        out.push(SecretString::from(b64.to_owned()));
    }
    out
}

pub(super) fn redact_keyed(text: &str) -> String {
    let ranges = secret_value_ranges(text);
    if ranges.is_empty() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end) in ranges {
        if start < at {
            // Overlaps the previous value: extend that redaction.
            at = at.max(end);
            continue;
        }
        out.push_str(&text[at..start]);
        out.push_str(REDACTED);
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

/// Byte ranges of the values that follow a secret key (`"key": "v"`,
/// `key=v`, `Bearer v`), sorted. Every boundary sits next to an ASCII byte,
/// so slicing there is safe.
pub(super) fn secret_value_ranges(text: &str) -> Vec<(usize, usize)> {
    let lower = text.to_ascii_lowercase();
    let bytes = text.as_bytes();
    let is_quote = |b: u8| matches!(b, b'"' | b'\'' | b'\\');
    let mut ranges = Vec::new();
    for key in SECRET_KEYS {
        let mut from = 0;
        while let Some(found) = lower[from..].find(key) {
            let key_start = from + found;
            from = key_start + key.len();
            let mut i = from;
            if *key == "bearer" {
                // "Bearer <token>": the value follows whitespace.
                let spaces = bytes[i..]
                    .iter()
                    .take_while(|b| matches!(b, b' ' | b'\t'))
                    .count();
                if spaces == 0 {
                    continue;
                }
                i += spaces;
            } else {
                while i < bytes.len() && (is_quote(bytes[i]) || bytes[i].is_ascii_whitespace()) {
                    i += 1;
                }
                if i >= bytes.len() || !matches!(bytes[i], b':' | b'=') {
                    continue;
                }
                i += 1;
                while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                    i += 1;
                }
            }
            let run = i;
            while i < bytes.len() && is_quote(bytes[i]) {
                i += 1;
            }
            let opening = bytes[run..i].iter().position(|b| matches!(b, b'"' | b'\''));
            let start;
            if let Some(at) = opening {
                // A quoted value runs to its closing quote, whatever it holds
                // (spaces, commas, braces, escaped quotes): stopping at the
                // first space would leave the rest of the secret in view.
                let quote = bytes[run + at];
                // `\"` opens a JSON text quoted inside a string: `\"` closes it.
                let escaped = at > 0;
                i = run + at + 1;
                start = i;
                while i < bytes.len() {
                    if bytes[i] == b'\\' {
                        if escaped && bytes.get(i + 1) == Some(&quote) {
                            break;
                        }
                        i += 2;
                        continue;
                    }
                    if bytes[i] == quote {
                        break;
                    }
                    i += 1;
                }
                i = i.min(bytes.len());
            } else {
                start = i;
                while i < bytes.len()
                    && !matches!(bytes[i], b'"' | b'\'')
                    && !bytes[i].is_ascii_whitespace()
                    && !matches!(bytes[i], b',' | b'}' | b']' | b'&' | b';')
                {
                    // A JSON escape (`\/`) is part of the value, not its end;
                    // a backslash before a quote ends it (`\"` closes an
                    // escaped JSON string).
                    if bytes[i] == b'\\' {
                        if matches!(bytes.get(i + 1), Some(b'"' | b'\'') | None) {
                            break;
                        }
                        i += 2;
                        continue;
                    }
                    i += 1;
                }
                i = i.min(bytes.len());
            }
            if *key == "bearer" && opening.is_none() && is_plain_word(&bytes[start..i]) {
                // "a valid bearer token is required": a word, not a token.
                continue;
            }
            if i > start {
                ranges.push((start, i));
            }
        }
    }
    ranges.sort_unstable();
    ranges
}

/// Whether `value` reads as a word of prose rather than a token: ASCII
/// letters only, and short. Tokens carry digits, dots, dashes or other
/// symbols, or are long; the caller's known secrets are redacted anyway.
pub(super) fn is_plain_word(value: &[u8]) -> bool {
    !value.is_empty() && value.len() < 16 && value.iter().all(u8::is_ascii_alphabetic)
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn redaction_hides_secret_values_in_json_forms_and_headers() {
        let body = r#"{"client_secret": "abc123", "access_token":"tok-9", "x": 1} client_secret=zz&a=b Authorization: Bearer eyJhbGci.x.y {\"refresh_token\":\"rt\"}"#;
        let out = redact(body, &[]);
        for leaked in ["abc123", "tok-9", "zz&", "eyJhbGci", "\"rt"] {
            assert!(!out.contains(leaked), "{leaked} in {out}");
        }
        assert!(out.contains("\"x\": 1"));
        assert!(out.contains("a=b"));
        // "token_type":"Bearer" is no secret and stays.
        assert_eq!(
            redact(r#"{"token_type":"Bearer"}"#, &[]),
            r#"{"token_type":"Bearer"}"#
        );
    }

    #[test]
    fn redaction_keeps_the_word_after_bearer_in_prose() {
        assert_eq!(
            redact("a valid bearer token is required", &[]),
            "a valid bearer token is required"
        );
        assert_eq!(
            redact("Authorization: Bearer s3cr3t-tok", &[]),
            "Authorization: Bearer [redacted]"
        );
        assert_eq!(
            redact("Bearer abcdefghijklmnopqrstuvwxyz", &[]),
            "Bearer [redacted]"
        );
    }

    #[test]
    fn redaction_hides_json_escaped_secrets_and_tokens() {
        let out = redact(r#"{"detail":"Authorization: Bearer ab\/cd+efgh"}"#, &[]);
        assert!(!out.contains("cd+efgh"), "{out}");
        let out = redact(
            r#"{"detail":"token ab\/cd+efgh rejected"}"#,
            &["ab/cd+efgh"],
        );
        assert!(!out.contains("cd+efgh"), "{out}");
    }

    #[test]
    fn redaction_hides_form_encoded_and_basic_spellings() {
        let secret = "ab+cd/ef= gh";
        for echo in [
            "ab%2Bcd%2Fef%3D+gh",
            "ab%2Bcd%2Fef%3D%20gh",
            "ab%2bcd%2fef%3d+gh",
            "ab%2bcd%2fef%3d%20gh",
        ] {
            let out = redact(&format!("client_secret {echo} is not valid"), &[secret]);
            assert_eq!(out, "client_secret [redacted] is not valid", "{echo}");
        }
        let basics = basic_credentials("cli_1", secret);
        assert_eq!(
            basics.len(),
            3,
            "the raw pair, the form-urlencoded one, and the one sent (a space as %20)"
        );
        let known: Vec<&str> = std::iter::once(secret)
            .chain(basics.iter().map(|b| b.expose_secret()))
            .collect();
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD;
        for pair in ["cli_1:ab+cd/ef= gh", "cli_1:ab%2Bcd%2Fef%3D+gh"] {
            let encoded = b64.encode(pair);
            let out = redact(&format!("Authorization: Basic {encoded}"), &known);
            assert_eq!(out, "Authorization: Basic [redacted]", "{pair}");
            let out = redact(
                &format!(r#"{{"detail":"Basic {encoded} refused"}}"#),
                &known,
            );
            assert!(!out.contains(&encoded), "{out}");
        }
    }

    #[test]
    fn redaction_hides_known_secrets_anywhere() {
        let out = redact("echo: canary-123 and again canary-123", &["canary-123"]);
        assert!(!out.contains("canary-123"));
    }

    #[test]
    fn excerpt_is_bounded_in_characters() {
        let body = "é".repeat(2000);
        let out = excerpt(body.as_bytes(), &[]);
        assert_eq!(out.chars().count(), BODY_EXCERPT_CHARS + 1);
        assert!(out.ends_with('…'));
        assert_eq!(excerpt(b"short", &[]), "short");
    }

    #[test]
    fn quoted_secret_values_are_redacted_whole() {
        for body in [
            r#"{"client_secret":" leading-space"}"#,
            r#"{"client_secret":"two words"}"#,
            r#"{"password":"a,b}c]d;e&f"}"#,
            r#"{"access_token":"esc\"aped quote"}"#,
            r#"{"refresh_token":"back\\slash space"}"#,
            "client_secret='single quoted'",
            r#"{\"id_token\":\"in a string\"}"#,
        ] {
            let out = redact(body, &[]);
            for word in [
                "leading", "space", "two", "words", "b}c", "e&f", "aped", "quote", "slash",
                "single", "quoted", "in a", "string",
            ] {
                assert!(!out.contains(word), "{word} in {out}");
            }
        }
        // What follows the value stays.
        assert_eq!(
            redact(r#"{"client_secret":"a b","x":1}"#, &[]),
            r#"{"client_secret":"[redacted]","x":1}"#
        );
    }

    #[test]
    fn secret_keys_cut_at_the_end_are_still_redacted() {
        let out = redact(r#"{"client_secret":"abcdef"#, &[]);
        assert!(!out.contains("abcdef"));
    }
}
