//! Median time of one JSON wizard step through the C ABI, with no network:
//! `apply start` / `apply back` alternating (welcome <-> name screen), each a
//! full `smartlink_call` (parse, apply, screen + localized texts, serialize,
//! copy out). Also the typed login gate.
//!
//! `cargo bench -p smartlink-ffi --bench json_step` (a plain harness: no
//! criterion, to keep the dependency tree small). Targets: ≤ 20 µs per step,
//! ≤ 10 µs per login gate.

use std::ffi::{CString, c_char};
use std::ptr::null_mut;
use std::time::Instant;

use smartlink::error::smartlink_result as R;
use smartlink::*;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let config = cr#"{"platform_url":"http://127.0.0.1:9","token":"t","state":"memory","installation":{"id":"bench-01","line":"protheus","kind":"production"},"locale":"pt-BR"}"#;
    let mut h = null_mut();
    assert_eq!(
        unsafe { smartlink_configurator_new(config.as_ptr(), &mut h) },
        R::Ok
    );
    let start = CString::new(r#"{"op":"apply","action":{"action":"start"}}"#).unwrap();
    let back = CString::new(r#"{"op":"apply","action":{"action":"back"}}"#).unwrap();
    let screen = CString::new(r#"{"op":"screen"}"#).unwrap();
    let mut buf = vec![0 as c_char; 16 * 1024];
    let mut needed = 0usize;
    let mut step = |req: &CString| {
        let rc =
            unsafe { smartlink_call(h, req.as_ptr(), buf.as_mut_ptr(), buf.len(), &mut needed) };
        assert_eq!(rc, R::Ok);
    };
    for _ in 0..2000 {
        step(&start);
        step(&back);
    }
    let n = 20_000;
    let mut samples = Vec::with_capacity(n);
    for i in 0..n {
        let req = if i % 2 == 0 { &start } else { &back };
        let t = Instant::now();
        step(req);
        samples.push(t.elapsed().as_secs_f64() * 1e6);
    }
    let apply = median(samples);
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        step(&screen);
        samples.push(t.elapsed().as_secs_f64() * 1e6);
    }
    let screen_us = median(samples);
    let mut samples = Vec::with_capacity(n);
    let mut needs = false;
    for _ in 0..n {
        let t = Instant::now();
        assert_eq!(
            unsafe { smartlink_needs_configuration(h, &mut needs) },
            R::Ok
        );
        samples.push(t.elapsed().as_secs_f64() * 1e6);
    }
    let gate = median(samples);
    unsafe { smartlink_configurator_free(h) };
    println!("json apply step (start/back): median {apply:.2} µs (target ≤ 20)");
    println!("json screen: median {screen_us:.2} µs (target ≤ 20)");
    println!("login gate (smartlink_needs_configuration): median {gate:.3} µs (target ≤ 10)");
}
