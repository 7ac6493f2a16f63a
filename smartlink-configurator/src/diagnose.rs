//! Network diagnosis for `check`: the proxy in use (credentials hidden),
//! and why the platform cannot be reached (proxy, DNS, connection refused
//! or not answered, TLS, HTTP).

use std::time::Duration;

/// The variables that name a proxy (a URL, which may hold a password).
pub const PROXY_URL_VARIABLES: [&str; 6] = [
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
];

/// Proxy variables in use, with any credentials in their URLs hidden.
pub fn proxy_settings() -> Vec<String> {
    let mut out = Vec::new();
    for name in PROXY_URL_VARIABLES
        .into_iter()
        .chain(["NO_PROXY", "no_proxy"])
    {
        let Ok(value) = std::env::var(name) else {
            continue;
        };
        if value.trim().is_empty() {
            continue;
        }
        let shown = if name.eq_ignore_ascii_case("no_proxy") {
            value
        } else {
            strip_credentials(&value)
        };
        out.push(format!("{name}={shown}"));
    }
    out
}

pub fn strip_credentials(raw: &str) -> String {
    // reqwest accepts proxies without a scheme ("user:pw@host:3128"), which
    // `Url` reads as scheme "user": parse such values as http URLs.
    let parsed = if raw.contains("://") {
        reqwest::Url::parse(raw)
    } else {
        reqwest::Url::parse(&format!("http://{raw}"))
    };
    match parsed {
        Ok(mut url) => {
            if !url.username().is_empty() || url.password().is_some() {
                let _ = url.set_username("***");
                let _ = url.set_password(None);
            }
            let shown = url.to_string();
            if raw.contains("://") {
                shown
            } else {
                shown.trim_start_matches("http://").to_owned()
            }
        }
        // Not a URL: show only whether it holds an '@' part.
        Err(_) => match raw.rsplit_once('@') {
            Some((_, host)) => format!("***@{host}"),
            None => raw.to_owned(),
        },
    }
}

/// Why `url` cannot be reached, as a catalogue key: the proxy in the way,
/// the name not resolved, the connection refused or not answered, or (the
/// connection made) TLS or the HTTP exchange.
pub async fn diagnose(url: &str, explicit_proxy: bool) -> &'static str {
    const STEP: Duration = Duration::from_secs(5);
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return "cause.connect";
    };
    let https = parsed.scheme() == "https";
    let Some(host) = parsed.host_str().map(str::to_owned) else {
        return "cause.connect";
    };
    let port = parsed.port_or_known_default().unwrap_or(443);
    if explicit_proxy || proxy_for(&parsed).is_some() {
        return "cause.proxy";
    }
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let addrs: Vec<std::net::SocketAddr> =
        match tokio::time::timeout(STEP, tokio::net::lookup_host((host.as_str(), port))).await {
            Err(_) => return "cause.timeout",
            Ok(Err(_)) => return "cause.dns",
            Ok(Ok(addrs)) => addrs.collect(),
        };
    let Some(addr) = addrs.first() else {
        return "cause.dns";
    };
    match tokio::time::timeout(STEP, tokio::net::TcpStream::connect(addr)).await {
        Err(_) => "cause.timeout",
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => "cause.refused",
        Ok(Err(_)) => "cause.network",
        Ok(Ok(_)) if https => "cause.tls",
        Ok(Ok(_)) => "cause.http",
    }
}

/// The proxy variable that applies to `url`, if any (NO_PROXY honoured for
/// plain host names and suffixes).
fn proxy_for(url: &reqwest::Url) -> Option<String> {
    let get = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()))
    };
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    if let Some(no_proxy) = get(&["NO_PROXY", "no_proxy"]) {
        let bypass = no_proxy.split(',').map(str::trim).any(|entry| {
            let entry = entry.trim_start_matches('.').to_ascii_lowercase();
            entry == "*"
                || (!entry.is_empty() && (host == entry || host.ends_with(&format!(".{entry}"))))
        });
        if bypass {
            return None;
        }
    }
    if url.scheme() == "https" {
        get(&["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"])
    } else {
        get(&["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"])
    }
}

#[cfg(test)]
mod strip_tests {
    use super::strip_credentials;

    #[test]
    fn proxy_passwords_are_never_shown() {
        for (raw, shown) in [
            (
                "http://user:s3cret@proxy.corp:3128",
                "http://***@proxy.corp:3128/",
            ),
            ("user:s3cret@proxy.corp:3128", "***@proxy.corp:3128/"),
            ("http://proxy.corp:3128", "http://proxy.corp:3128/"),
            ("proxy.corp:3128", "proxy.corp:3128/"),
        ] {
            let out = strip_credentials(raw);
            assert!(!out.contains("s3cret"), "{raw} -> {out}");
            assert_eq!(out, shown);
        }
    }
}
