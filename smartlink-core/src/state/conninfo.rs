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

/// Why a connection string cannot be read: a fixed text that quotes
/// nothing of the string (it may hold a password).
pub(crate) type Unreadable = &'static str;

/// The connection string without the settings the driver does not take,
/// and those settings. An error names why the string cannot be read,
/// never quoting it (the caller reports it as invalid).
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) fn split_tls_settings(conninfo: &str) -> Result<(String, TlsSettings), Unreadable> {
    let mut settings = TlsSettings::default();
    if conninfo.trim().is_empty() {
        return Err("it is empty");
    }
    if conninfo.starts_with("postgres://") || conninfo.starts_with("postgresql://") {
        check_escapes(conninfo)?;
        // The driver ends the user name and password at the first `@`: a
        // second one before the host's end would make the password's
        // rest a host name, shown wherever the host is.
        let rest = conninfo.split_once("://").map_or("", |(_, r)| r);
        if let Some((_, after)) = rest.split_once('@')
            && after
                .split(['/', '?'])
                .next()
                .unwrap_or_default()
                .contains('@')
        {
            return Err("an `@` in the user name or password (it is written %40)");
        }
        let Some((base, query)) = conninfo.split_once('?') else {
            return Ok((conninfo.to_owned(), settings));
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
        return Ok((out, settings));
    }
    let first_key = conninfo
        .trim_start()
        .split(|c: char| c == '=' || c.is_whitespace())
        .next()
        .unwrap_or_default();
    if first_key.contains("://") {
        return Err("a URL starts with postgres:// or postgresql://, in lower case");
    }
    let mut out = Vec::new();
    for (key, value) in key_values(conninfo)? {
        match take(&key, &value, &mut settings) {
            Keep::Verbatim => out.push(format!("{key}={}", quote(&value))),
            Keep::Replace(v) => out.push(format!("{key}={}", quote(v))),
            Keep::Drop => {}
        }
    }
    Ok((out.join(" "), settings))
}

/// Every `%` of a URL starts an escape of two hexadecimal digits (libpq
/// refuses the URL otherwise; the driver would take the text as it is).
fn check_escapes(url: &str) -> Result<(), Unreadable> {
    let bytes = url.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'%'
            && !(bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
        {
            return Err(
                "a `%` not followed by two hexadecimal digits (a `%` in a user name or password is written %25)",
            );
        }
    }
    Ok(())
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
pub(crate) fn decode(text: &str) -> Result<String, Unreadable> {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .map(Cow::into_owned)
        .map_err(|_| "a `%` escape of a parameter decodes to bytes that are not UTF-8")
}

/// The `key=value` pairs of a libpq keyword/value string: spaces around
/// `=` allowed, values in single quotes with `\'` and `\\` escapes.
pub(crate) fn key_values(text: &str) -> Result<Vec<(String, String)>, Unreadable> {
    const NO_EQUALS: Unreadable = "a parameter without `=` (the keyword form is key=value pairs separated by spaces; a value with spaces is quoted: password='a b')";
    const UNCLOSED: Unreadable = "a quoted value is not closed";
    const TRAILING_BACKSLASH: Unreadable = "a `\\` ends a value: it escapes nothing";
    let mut pairs = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return Ok(pairs);
        }
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && !c.is_whitespace()) {
            key.push(c);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next() != Some('=') || key.is_empty() {
            return Err(NO_EQUALS);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next().ok_or(UNCLOSED)? {
                    '\\' => value.push(chars.next().ok_or(UNCLOSED)?),
                    '\'' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                if c == '\\' {
                    value.push(chars.next().ok_or(TRAILING_BACKSLASH)?);
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
        assert!(
            split_tls_settings("postgres://db/erp?sslrootcert=%FF")
                .unwrap_err()
                .contains("not UTF-8")
        );
        for two in ["postgres://u:p@ss@db/erp", "postgres://u@x:p@db:5432"] {
            assert!(
                split_tls_settings(two).unwrap_err().contains("%40"),
                "{two}"
            );
        }
        assert!(split_tls_settings("postgres://u:p%40ss@db/erp?application_name=a@b").is_ok());
        for broken in [
            "postgres://u:50%off@db/erp",
            "postgres://db/erp?x=%4",
            "postgres://db/e%",
        ] {
            assert!(
                split_tls_settings(broken).unwrap_err().contains("%25"),
                "{broken}"
            );
        }
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
        assert!(
            split_tls_settings("host=db password='open")
                .unwrap_err()
                .contains("not closed")
        );
        assert!(
            split_tls_settings(r"host=db password=x\")
                .unwrap_err()
                .contains("ends a value")
        );
        assert!(
            split_tls_settings("host")
                .unwrap_err()
                .contains("without `=`")
        );
        assert!(
            split_tls_settings("=x")
                .unwrap_err()
                .contains("without `=`")
        );
        for other in [
            "POSTGRES://u:pw@db/erp?sslmode=require",
            "pg://db",
            "http://db",
        ] {
            assert!(
                split_tls_settings(other)
                    .unwrap_err()
                    .contains("lower case"),
                "{other}"
            );
        }
        // `://` in a value is a value.
        assert!(split_tls_settings("host=db password='a://b'").is_ok());
        assert_eq!(split_tls_settings(""), Err("it is empty"));
        assert_eq!(split_tls_settings(" \t"), Err("it is empty"));
    }
}
