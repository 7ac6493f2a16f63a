//! # smartlink-contract
//!
//! The bodies that travel on the wire between a client of the SmartLink
//! platform and the platform (`docs/platform-api.md`), written once: the
//! HTTP client of `smartlink-core` sends and reads them, the sandbox and the
//! in-memory platform of `smartlink-sandbox` read and answer them.
//!
//! The bodies are generic over the domain types they carry (ids, names,
//! kinds, environments, secrets), so each side fills them with its own
//! validated types: `smartlink-core` owns the domain, this crate only the
//! shapes. Field names, which fields are optional and their defaults are
//! decided here and nowhere else.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

use std::fmt;

use serde::{Deserialize, Serialize};

/// The query of `GET /v1/environments`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListQuery {
    /// The ERP line asking (`protheus`, `rm`, `datasul`).
    pub line: Option<String>,
    /// The installation asking.
    pub installation_id: Option<String>,
    /// Where the previous page ended.
    pub cursor: Option<String>,
}

impl ListQuery {
    /// The query's pairs, in the order they are sent, without the absent ones.
    pub fn pairs(&self) -> Vec<(&'static str, &str)> {
        [
            ("line", &self.line),
            ("installation_id", &self.installation_id),
            ("cursor", &self.cursor),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.as_deref().map(|v| (name, v)))
        .collect()
    }
}

/// One page of `GET /v1/environments`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<E> {
    /// The environments of this page.
    pub environments: Vec<E>,
    /// The cursor of the next page; `null` on the last one. Required, though
    /// it may be null: a server that forgets it must not make a listing end
    /// silently early.
    #[serde(deserialize_with = "Option::deserialize")]
    pub next_cursor: Option<String>,
}

/// The body of `POST /v1/environments`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateBody<N, K> {
    /// The new environment's name.
    pub name: N,
    /// Its kind.
    pub kind: K,
}

/// The body of `PUT /v1/environments/{id}/bindings/{line}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BindBody<I, N, K> {
    /// The installation to bind.
    pub installation_id: I,
    /// Its friendly name.
    pub installation_name: N,
    /// Its kind (must be the environment's).
    pub installation_kind: K,
    /// Take the line from another installation.
    #[serde(default)]
    pub overwrite: bool,
}

/// The body of `POST /v1/environments/{id}/credentials`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueBody<I> {
    /// The installation bound there.
    pub installation_id: I,
    /// Return the current credentials when they are still valid.
    #[serde(default)]
    pub reuse_if_valid: bool,
}

/// The body of `DELETE /v1/environments/{id}/bindings/{line}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnbindBody<I> {
    /// The installation that holds the line.
    pub installation_id: I,
}

/// The `grant_type` of every token request.
pub const CLIENT_CREDENTIALS: &str = "client_credentials";

/// The form of `POST /oauth2/token` (`application/x-www-form-urlencoded`).
/// The client id and secret may come in HTTP Basic credentials instead.
/// `Debug` redacts the secret.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenForm<S> {
    /// Always [`CLIENT_CREDENTIALS`].
    pub grant_type: Option<String>,
    /// The credentials' client id.
    pub client_id: Option<String>,
    /// The credentials' secret.
    pub client_secret: Option<S>,
}

impl<S> fmt::Debug for TokenForm<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenForm")
            .field("grant_type", &self.grant_type)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

/// The answer of `POST /oauth2/token` (RFC 6749 §5.1). `Debug` redacts the
/// token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenAnswer<S> {
    /// The bearer token.
    pub access_token: S,
    /// `Bearer` (a client accepts it in any case, and its absence).
    #[serde(default)]
    pub token_type: Option<String>,
    /// Lifetime in seconds (RFC 6749 §5.1: recommended, so a client assumes
    /// a default when it is absent).
    #[serde(default)]
    pub expires_in: Option<u64>,
}

impl<S> fmt::Debug for TokenAnswer<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenAnswer")
            .field("access_token", &"[redacted]")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

/// Describes a serde_json error by category and position only: its message
/// may quote the input (an unknown variant, an invalid value), which may
/// hold secrets. The position is left out when the error has none (a
/// document decoded from a `serde_json::Value`).
pub fn describe_json_error(e: &serde_json::Error) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_cursor_is_required_but_may_be_null() {
        let page: Page<u8> =
            serde_json::from_str(r#"{"environments":[1],"next_cursor":null}"#).unwrap();
        assert_eq!(page.next_cursor, None);
        assert!(serde_json::from_str::<Page<u8>>(r#"{"environments":[]}"#).is_err());
    }

    #[test]
    fn flags_default_to_false() {
        let bind: BindBody<String, String, String> = serde_json::from_str(
            r#"{"installation_id":"i","installation_name":"n","installation_kind":"production"}"#,
        )
        .unwrap();
        assert!(!bind.overwrite);
        let issue: IssueBody<String> = serde_json::from_str(r#"{"installation_id":"i"}"#).unwrap();
        assert!(!issue.reuse_if_valid);
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        let answer = TokenAnswer {
            access_token: "at_secret".to_owned(),
            token_type: Some("Bearer".into()),
            expires_in: Some(60),
        };
        let form = TokenForm {
            grant_type: Some(CLIENT_CREDENTIALS.into()),
            client_id: Some("cli".into()),
            client_secret: Some("s3cret".to_owned()),
        };
        assert!(!format!("{answer:?}").contains("at_secret"));
        assert!(!format!("{form:?}").contains("s3cret"));
    }

    #[test]
    fn list_query_pairs_skip_what_is_absent() {
        let q = ListQuery {
            line: Some("rm".into()),
            installation_id: Some("i-1".into()),
            cursor: None,
        };
        assert_eq!(q.pairs(), vec![("line", "rm"), ("installation_id", "i-1")]);
    }

    #[test]
    fn json_errors_quote_nothing() {
        let e = serde_json::from_str::<Page<u8>>(r#"{"environments":["s3cret"]}"#).unwrap_err();
        let text = describe_json_error(&e);
        assert!(text.starts_with("unexpected content at line 1"), "{text}");
        assert!(!text.contains("s3cret"));
    }
}
