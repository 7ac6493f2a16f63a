//! The TLS settings of a libpq connection string that the driver does not
//! take, read and removed before the rest is handed to it:
//!
//! - `sslmode=verify-full` and `verify-ca` (what a PostgreSQL administrator
//!   writes for a verified connection) become `require`: this library always
//!   verifies the server's certificate and its host name, so both mean the
//!   strictest of them here;
//! - `sslrootcert=PATH`: the PEM file of the certificate authorities that
//!   sign the server's certificate (an installation's own CA), trusted
//!   instead of the operating system's roots; `sslrootcert=system` means
//!   the system's roots, as in libpq.
//!
//! Both forms are read: `postgres://…?sslmode=verify-full&sslrootcert=…`
//! and `host=… sslmode=verify-full sslrootcert='C:\certs\ca.pem'`.
//!
//! The keyword/value reader also serves the support report, which finds
//! the password of a connection string in every spelling to redact it.

use std::borrow::Cow;

/// What was taken out of the connection string.
#[derive(Debug, Default, PartialEq, Eq)]
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) struct TlsSettings {
    /// `sslrootcert`, when it names a file.
    pub root_cert: Option<String>,
}

/// The connection string without the settings the driver does not take,
/// and those settings. `None` when the string cannot be read (the caller
/// reports it as invalid without quoting it).
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) fn split_tls_settings(conninfo: &str) -> Option<(String, TlsSettings)> {
    let mut settings = TlsSettings::default();
    if conninfo.starts_with("postgres://") || conninfo.starts_with("postgresql://") {
        let Some((base, query)) = conninfo.split_once('?') else {
            return Some((conninfo.to_owned(), settings));
        };
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let key_text = decode(key)?;
            let value_text = decode(value)?;
            match take(&key_text, &value_text, &mut settings) {
                Keep::Verbatim => kept.push(pair.to_owned()),
                Keep::Replace(v) => kept.push(format!("{key}={v}")),
                Keep::Drop => {}
            }
        }
        let out = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        return Some((out, settings));
    }
    let mut out = Vec::new();
    for (key, value) in key_values(conninfo)? {
        match take(&key, &value, &mut settings) {
            Keep::Verbatim => out.push(format!("{key}={}", quote(&value))),
            Keep::Replace(v) => out.push(format!("{key}={}", quote(v))),
            Keep::Drop => {}
        }
    }
    Some((out.join(" "), settings))
}

enum Keep {
    Verbatim,
    Replace(&'static str),
    Drop,
}

fn take(key: &str, value: &str, settings: &mut TlsSettings) -> Keep {
    match (key, value) {
        ("sslmode", "verify-full" | "verify-ca") => Keep::Replace("require"),
        ("sslrootcert", "system" | "") => Keep::Drop,
        ("sslrootcert", path) => {
            settings.root_cert = Some(path.to_owned());
            Keep::Drop
        }
        _ => Keep::Verbatim,
    }
}

/// Percent-decoding of one URL query component (`+` is kept as libpq does).
pub(crate) fn decode(text: &str) -> Option<String> {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .ok()
        .map(Cow::into_owned)
}

/// The `key=value` pairs of a libpq keyword/value string: spaces around
/// `=` allowed, values in single quotes with `\'` and `\\` escapes.
pub(crate) fn key_values(text: &str) -> Option<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return Some(pairs);
        }
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && !c.is_whitespace()) {
            key.push(c);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next() != Some('=') || key.is_empty() {
            return None;
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next()? {
                    '\\' => value.push(chars.next()?),
                    '\'' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                if c == '\\' {
                    value.push(chars.next()?);
                } else {
                    value.push(c);
                }
            }
        }
        pairs.push((key, value));
    }
}

/// A value quoted for a keyword/value string.
pub(crate) fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if c == '\'' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(s: &str) -> (String, Option<String>) {
        let (rest, settings) = split_tls_settings(s).expect("readable");
        (rest, settings.root_cert)
    }

    #[test]
    fn urls_lose_what_the_driver_does_not_take_and_keep_the_rest_verbatim() {
        assert_eq!(
            split(
                "postgres://u:p%40ss@db.example:5433/erp?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&application_name=x"
            ),
            (
                "postgres://u:p%40ss@db.example:5433/erp?sslmode=require&application_name=x".into(),
                Some("/etc/ca.pem".into())
            )
        );
        assert_eq!(
            split("postgresql://db/erp?sslrootcert=system&sslmode=verify-ca"),
            ("postgresql://db/erp?sslmode=require".into(), None)
        );
        assert_eq!(
            split("postgres://db/erp?sslrootcert=%2Fca.pem"),
            ("postgres://db/erp".into(), Some("/ca.pem".into()))
        );
        assert_eq!(
            split("postgres://db/erp"),
            ("postgres://db/erp".into(), None)
        );
        assert_eq!(
            split("postgres://db/erp?sslmode=require"),
            ("postgres://db/erp?sslmode=require".into(), None)
        );
        assert!(split_tls_settings("postgres://db/erp?sslrootcert=%FF").is_none());
    }

    #[test]
    fn keyword_strings_are_read_with_quotes_and_escapes() {
        let (rest, cert) = split(
            r"host=db port = 5432 password='a \'b\' c' sslmode=verify-full sslrootcert='C:\\certs\\my ca.pem'",
        );
        assert_eq!(
            rest,
            r"host='db' port='5432' password='a \'b\' c' sslmode='require'"
        );
        assert_eq!(cert.as_deref(), Some(r"C:\certs\my ca.pem"));
        assert!(split_tls_settings("host=db password='open").is_none());
        assert!(split_tls_settings("host").is_none());
        assert!(split_tls_settings("=x").is_none());
        assert_eq!(split(""), (String::new(), None));
    }
}
