//! `check` goes through the library's HTTP configuration: an explicit
//! `--proxy` carries every request it makes, the clock probe included.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

mod support;
use smartlink_testkit::TOKEN;
use smartlink_testkit::platforms::demo_sandbox;
use support::run;

/// A plain HTTP forward proxy on 127.0.0.1 that notes the path of every
/// request it carries. One request per connection (it asks the server to
/// close), which is all a test needs.
fn counting_proxy() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let noted = seen.clone();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let noted = noted.clone();
            std::thread::spawn(move || forward(client, &noted));
        }
    });
    (url, seen)
}

fn forward(mut client: TcpStream, seen: &Mutex<Vec<String>>) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match client.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let (first, rest) = head.split_once("\r\n").unwrap();
    let mut parts = first.split(' ');
    let (method, target, version) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let without_scheme = target.strip_prefix("http://").expect("absolute-form");
    let (host, path) = match without_scheme.find('/') {
        Some(at) => (&without_scheme[..at], &without_scheme[at..]),
        None => (without_scheme, "/"),
    };
    seen.lock().unwrap().push(path.to_owned());
    let Ok(mut upstream) = TcpStream::connect(host) else {
        return;
    };
    let request = format!("{method} {path} {version}\r\nConnection: close\r\n{rest}");
    if upstream.write_all(request.as_bytes()).is_err() {
        return;
    }
    let mut to_upstream = upstream.try_clone().unwrap();
    let mut from_client = client.try_clone().unwrap();
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut from_client, &mut to_upstream);
    });
    let _ = std::io::copy(&mut upstream, &mut client);
    let _ = client.shutdown(std::net::Shutdown::Both);
}

#[test]
fn check_sends_every_request_through_the_configured_proxy() {
    let sandbox = demo_sandbox();
    let (proxy, seen) = counting_proxy();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let out = run(
        &[
            "check",
            "--state",
            state.to_str().unwrap(),
            "--locale",
            "en",
            "--platform-url",
            &sandbox.url(),
            "--token",
            TOKEN,
            "--proxy",
            &proxy,
        ],
        "",
    );
    let stdout = &out.stdout;
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        stdout.contains("--proxy"),
        "the proxy in use is shown: {stdout}"
    );
    let seen = seen.lock().unwrap().clone();
    assert!(
        seen.iter().any(|p| p.starts_with("/v1/environments")),
        "the listing went through the proxy: {seen:?}"
    );
    assert!(
        seen.iter().any(|p| p == "/"),
        "the clock probe went through the proxy too: {seen:?}"
    );
    assert!(
        !stdout.contains("Date"),
        "the server's clock was read: {stdout}"
    );
    drop(sandbox);
}

#[test]
fn an_unreadable_ca_file_is_a_usage_error_naming_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let out = run(
        &[
            "check",
            "--state",
            state.to_str().unwrap(),
            "--locale",
            "en",
            "--platform-url",
            "https://platform.invalid",
            "--token",
            TOKEN,
            "--ca-file",
            "/nonexistent/ca.pem",
        ],
        "",
    );
    let all = out.all();
    assert_eq!(out.code, 2, "{all}");
    assert!(!all.contains(TOKEN), "{all}");
    // The usage error is the configuration's, not a missing flag's.
    assert!(!all.contains("--state"), "{all}");
}
