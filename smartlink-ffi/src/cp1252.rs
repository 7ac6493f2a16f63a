//! Windows-1252 to and from UTF-8, for `ExecInClientDLL`'s CP1252 ids.
//!
//! A table of 32 code points, not `encoding_rs`: that crate's dispatch over
//! every encoding added ~175 KB to the stripped library, this adds almost
//! nothing. The mapping is WHATWG's `windows-1252` (what `encoding_rs`
//! implements; the tests compare the two on every byte and every character):
//! bytes below 0x80 and from 0xA0 are the code points of the same number,
//! 0x80–0x9F are [`HIGH`] — the five bytes Windows leaves undefined (0x81,
//! 0x8D, 0x8F, 0x90, 0x9D) are the C1 controls of the same number, so every
//! byte decodes and decoding never fails.

use std::borrow::Cow;

/// The code points of bytes 0x80–0x9F.
const HIGH: [u16; 32] = [
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, // 80-87
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F, // 88-8F
    0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, // 90-97
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178, // 98-9F
];

/// The byte written for a character Windows-1252 lacks.
pub(crate) const REPLACEMENT: u8 = b'?';

/// CP1252 bytes to UTF-8 (borrowed when they are all ASCII).
pub(crate) fn decode(bytes: &[u8]) -> Cow<'_, str> {
    if bytes.is_ascii() {
        Cow::Borrowed(std::str::from_utf8(bytes).expect("ASCII is UTF-8"))
    } else {
        Cow::Owned(bytes.iter().map(|&b| decode_byte(b)).collect())
    }
}

fn decode_byte(b: u8) -> char {
    match b {
        0x80..=0x9F => char::from_u32(u32::from(HIGH[usize::from(b - 0x80)]))
            .expect("the table holds no surrogate"),
        _ => char::from(b),
    }
}

/// UTF-8 to CP1252; a character CP1252 lacks becomes [`REPLACEMENT`].
pub(crate) fn encode(s: &str) -> Vec<u8> {
    s.chars().map(encode_char).collect()
}

fn encode_char(c: char) -> u8 {
    match u32::from(c) {
        cp @ (0..=0x7F | 0xA0..=0xFF) => cp as u8,
        cp => HIGH
            .iter()
            .position(|&h| u32::from(h) == cp)
            .map_or(REPLACEMENT, |i| 0x80 + i as u8),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// encoding_rs's encoder, with `?` for what it cannot map.
    fn reference_encode(s: &str) -> Vec<u8> {
        use encoding_rs::EncoderResult;
        let mut encoder = encoding_rs::WINDOWS_1252.new_encoder();
        let mut out = vec![0u8; s.len() + 16];
        let (mut read, mut written) = (0, 0);
        loop {
            let (result, r, w) =
                encoder.encode_from_utf8_without_replacement(&s[read..], &mut out[written..], true);
            read += r;
            written += w;
            match result {
                EncoderResult::InputEmpty => break,
                EncoderResult::Unmappable(_) => {
                    out[written] = REPLACEMENT;
                    written += 1;
                }
                EncoderResult::OutputFull => out.resize(out.len() * 2, 0),
            }
        }
        out.truncate(written);
        out
    }

    #[test]
    fn examples() {
        assert_eq!(encode(""), b"");
        assert_eq!(encode("Produção São Paulo"), b"Produ\xe7\xe3o S\xe3o Paulo");
        assert_eq!(encode("€ œ Ÿ ÿ \u{a0}"), b"\x80 \x9c \x9f \xff \xa0");
        assert_eq!(encode("a✓b😀c日\u{80}"), b"a?b?c??");
        assert_eq!(decode(b"Produ\xe7\xe3o \x80\x81"), "Produção €\u{81}");
        assert!(matches!(decode(b"plain"), Cow::Borrowed("plain")));
    }

    #[test]
    fn every_byte_decodes_as_encoding_rs_does_and_comes_back() {
        let all: Vec<u8> = (0..=255).collect();
        let (reference, had_errors) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&all);
        assert!(!had_errors);
        assert_eq!(decode(&all), reference);
        assert_eq!(encode(&decode(&all)), all);
    }

    #[test]
    fn every_character_encodes_as_encoding_rs_does() {
        let all: String = (0..=0x10FFFF).filter_map(char::from_u32).collect();
        assert_eq!(encode(&all), reference_encode(&all));
    }
}
