//! Durations in details and logs, as measured: `1.5 s`, never a truncated
//! `1s`.

use std::time::Duration;

/// A duration for an English detail or a log line: milliseconds below
/// 0.1 s (`40 ms`), seconds with one decimal below 10 s (`1.5 s`), whole
/// seconds above (`30 s`), each rounded to the nearest.
pub fn duration_text(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 99.5 {
        format!("{} ms", ms.round() as u64)
    } else if ms < 9_950.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        format!("{} s", (ms / 1000.0).round() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_measured() {
        let t = |ms| duration_text(Duration::from_millis(ms));
        assert_eq!(t(0), "0 ms");
        assert_eq!(t(40), "40 ms");
        assert_eq!(t(99), "99 ms");
        assert_eq!(t(100), "0.1 s");
        assert_eq!(t(1500), "1.5 s");
        assert_eq!(t(1549), "1.5 s");
        assert_eq!(t(1551), "1.6 s");
        assert_eq!(t(9949), "9.9 s");
        assert_eq!(t(9950), "10 s");
        assert_eq!(t(30_000), "30 s");
        assert_eq!(t(120_400), "120 s");
        assert_eq!(duration_text(Duration::from_micros(99_600)), "0.1 s");
    }
}
