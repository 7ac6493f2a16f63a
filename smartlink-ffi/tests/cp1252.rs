//! `ExecInClientDLL` ids plus `SMARTLINK_EXEC_CP1252` (101-103, 110-127):
//! the same calls in Windows-1252, for Protheus installations on that code
//! page. `in` is CP1252, `out` is CP1252 (a character CP1252 lacks is `?`),
//! and the size rule counts the converted bytes.

use std::ffi::c_int;

use serde_json::Value;
use smartlink::error::smartlink_result as R;
use smartlink::operations::exec_id;
use smartlink::protheus::*;

fn screen_id() -> i32 {
    exec_id("screen").unwrap()
}

fn apply_id() -> i32 {
    exec_id("apply").unwrap()
}

const CANARY: u8 = 0xEE;
const GUARD: usize = 32;

/// "Filial São Paulo - Produção" in CP1252.
const NAME_1252: &[u8] = b"Filial S\xe3o Paulo - Produ\xe7\xe3o";

/// A CP1252 configuration (pt-BR, memory state, nothing listening).
fn config_1252(id: &str) -> Vec<u8> {
    let mut c = Vec::new();
    c.extend_from_slice(
        br#"{"platform_url":"http://127.0.0.1:9","token":"cp1252-test-token","state":"memory","locale":"pt-BR","installation":{"id":""#,
    );
    c.extend_from_slice(id.as_bytes());
    c.extend_from_slice(br#"","line":"protheus","kind":"production","name":""#);
    c.extend_from_slice(NAME_1252);
    c.extend_from_slice(br#""}}"#);
    c
}

/// Calls `ExecInClientDLL` with `out_size` bytes between canaries. Returns
/// the code and the bytes written before the NUL (None: nothing written).
fn exec(id: c_int, input: &[u8], out_size: usize) -> (i32, Option<Vec<u8>>) {
    assert!(!input.contains(&0));
    let mut c = input.to_vec();
    c.push(0);
    let mut buf = vec![CANARY; out_size + 2 * GUARD];
    let out = unsafe { buf.as_mut_ptr().add(GUARD) }.cast();
    let rc = unsafe { ExecInClientDLL(id, c.as_mut_ptr().cast(), out, out_size as c_int) };
    assert!(buf[..GUARD].iter().all(|b| *b == CANARY), "write before");
    assert!(
        buf[GUARD + out_size..].iter().all(|b| *b == CANARY),
        "write past out_size"
    );
    let written = &buf[GUARD..GUARD + out_size];
    let body = match written.iter().position(|b| *b == 0) {
        Some(end) => Some(written[..end].to_vec()),
        None => {
            assert!(written.iter().all(|b| *b == CANARY), "bytes without a NUL");
            None
        }
    };
    (rc, body)
}

fn json_1252(bytes: &[u8]) -> Value {
    let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// No byte of a UTF-8 multi-byte sequence for Latin letters (0xC2/0xC3 lead
/// bytes followed by a continuation byte).
fn has_utf8_latin(bytes: &[u8]) -> bool {
    bytes
        .windows(2)
        .any(|w| matches!(w[0], 0xC2 | 0xC3) && (0x80..0xC0).contains(&w[1]))
}

fn open_1252(id: &str) -> (i64, Vec<u8>) {
    let (rc, out) = exec(
        SMARTLINK_EXEC_CP1252 + SMARTLINK_EXEC_OPEN,
        &config_1252(id),
        4096,
    );
    let out = out.expect("OPEN response");
    assert_eq!(rc, 0, "{}", String::from_utf8_lossy(&out));
    let n = json_1252(&out)["handle"].as_i64().unwrap();
    (n, format!(r#"{{"handle":{n}}}"#).into_bytes())
}

fn close(handle: &[u8]) {
    let (rc, out) = exec(SMARTLINK_EXEC_CP1252 + SMARTLINK_EXEC_CLOSE, handle, 256);
    assert_eq!(rc, 0);
    assert_eq!(out.unwrap(), br#"{"ok":true}"#);
}

#[test]
fn the_offset_is_100() {
    assert_eq!(SMARTLINK_EXEC_CP1252, 100);
}

#[test]
fn screens_come_back_in_cp1252() {
    let (_, handle) = open_1252("cp1252-screens");
    // The welcome screen (pt-BR): "aplicações ... instalação" as CP1252.
    let (rc, out) = exec(SMARTLINK_EXEC_CP1252 + screen_id(), &handle, 65536);
    let out = out.unwrap();
    assert_eq!(rc, 0);
    assert!(!has_utf8_latin(&out), "UTF-8 in a CP1252 response");
    assert!(
        contains(
            &out,
            b"Para usar as aplica\xe7\xf5es da Plataforma TOTVS, esta instala\xe7\xe3o do ERP"
        ),
        "{}",
        String::from_utf8_lossy(&out)
    );
    assert!(contains(&out, b"Documenta\xe7\xe3o: "));
    let v = json_1252(&out);
    assert_eq!(v["screen"]["screen"], "welcome", "{v}");
    assert_eq!(v["texts"]["title"], "Configurador SmartLink");

    // The same through the UTF-8 id: the same document, other bytes.
    let (rc, utf8) = exec(screen_id(), &handle, 65536);
    assert_eq!(rc, 0);
    let utf8 = utf8.unwrap();
    assert!(contains(&utf8, "aplicações".as_bytes()));
    assert_eq!(
        serde_json::from_slice::<Value>(&utf8).unwrap(),
        v,
        "the CP1252 response is the UTF-8 one, converted"
    );

    // Start: the name screen, pre-filled with the host's CP1252 name.
    let mut start = handle[..handle.len() - 1].to_vec();
    start.extend_from_slice(br#","action":{"action":"start"}}"#);
    let (rc, out) = exec(SMARTLINK_EXEC_CP1252 + apply_id(), &start, 65536);
    let out = out.unwrap();
    assert_eq!(rc, 0, "{}", String::from_utf8_lossy(&out));
    assert!(!has_utf8_latin(&out));
    let mut quoted = b"\"".to_vec();
    quoted.extend_from_slice(NAME_1252);
    quoted.push(b'"');
    assert!(contains(&out, &quoted), "{}", String::from_utf8_lossy(&out));
    assert!(contains(&out, b"Identifique a instala\xe7\xe3o"));
    let v = json_1252(&out);
    assert_eq!(v["screen"]["name"], "Filial São Paulo - Produção");
    close(&handle);
}

#[test]
fn characters_cp1252_lacks_become_question_marks() {
    let (_, handle) = open_1252("cp1252-unmappable");
    let mut start = handle[..handle.len() - 1].to_vec();
    start.extend_from_slice(br#","action":{"action":"start"}}"#);
    assert_eq!(exec(SMARTLINK_EXEC_CP1252 + apply_id(), &start, 65536).0, 0);
    // A name too long (so the screen echoes it with the error): "€" is
    // CP1252 0x80 (sent raw), "✓" has no CP1252 byte (sent as a JSON escape).
    let mut set = handle[..handle.len() - 1].to_vec();
    set.extend_from_slice(
        b",\"action\":{\"action\":\"set_name\",\"name\":\"Produ\xe7\xe3o \x80 \\u2713 ",
    );
    set.extend_from_slice(&[b'x'; 90]);
    set.extend_from_slice(br#""}}"#);
    let (rc, out) = exec(SMARTLINK_EXEC_CP1252 + apply_id(), &set, 65536);
    let out = out.unwrap();
    assert_ne!(rc, 0, "the name is refused");
    assert!(
        contains(&out, b"\"Produ\xe7\xe3o \x80 ? xxx"),
        "{}",
        String::from_utf8_lossy(&out)
    );
    assert!(!has_utf8_latin(&out));
    assert!(!contains(&out, "✓".as_bytes()));
    let v = json_1252(&out);
    assert_eq!(v["ok"], false);
    assert_eq!(v["error"]["result"], rc);
    assert_eq!(v["screen"]["screen"], "name_installation", "{v}");
    close(&handle);
}

#[test]
fn the_size_rule_counts_the_converted_bytes() {
    let (_, handle) = open_1252("cp1252-sizes");
    let id = SMARTLINK_EXEC_CP1252 + screen_id();
    let full = exec(id, &handle, 65536).1.unwrap();
    let need = full.len() + 1;
    let utf8 = exec(screen_id(), &handle, 65536).1.unwrap();
    assert!(utf8.len() + 1 > need, "UTF-8 is longer than CP1252");

    // One byte short: 7005 and the short answer with the CP1252 size.
    let (rc, out) = exec(id, &handle, need - 1);
    assert_eq!(rc, R::BufferTooSmall as i32);
    let v = json_1252(&out.expect("the short answer fits"));
    assert_eq!(v["error"]["needed"], need);
    assert_eq!(v["error"]["code"], "buffer_too_small");

    // Too small even for the short answer: nothing at all.
    let (rc, out) = exec(id, &handle, 16);
    assert_eq!(rc, R::BufferTooSmall as i32);
    assert_eq!(out, None);

    // Exactly the size it asked for: the whole CP1252 response.
    let (rc, out) = exec(id, &handle, need);
    assert_eq!(rc, 0);
    assert_eq!(out.unwrap(), full);

    // The UTF-8 size would not do for the UTF-8 id.
    let (rc, out) = exec(screen_id(), &handle, need);
    assert_eq!(rc, R::BufferTooSmall as i32);
    assert_eq!(json_1252(&out.unwrap())["error"]["needed"], utf8.len() + 1);
    close(&handle);
}

#[test]
fn only_known_ids_take_the_offset() {
    let (_, handle) = open_1252("cp1252-ids");
    for id in [104, 109, 131, 200] {
        let (rc, out) = exec(id, &handle, 4096);
        assert_eq!(rc, R::UnknownOperation as i32, "{id}");
        let v = json_1252(&out.unwrap());
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains(&id.to_string()),
            "{v}"
        );
    }
    // CALL (103) and VERSION (110) in CP1252.
    let mut call = handle[..handle.len() - 1].to_vec();
    call.extend_from_slice(br#","op":"version"}"#);
    let (rc, out) = exec(SMARTLINK_EXEC_CP1252 + SMARTLINK_EXEC_CALL, &call, 4096);
    assert_eq!(rc, 0);
    let a = json_1252(&out.unwrap());
    let (rc, out) = exec(
        SMARTLINK_EXEC_CP1252 + exec_id("version").unwrap(),
        &handle,
        4096,
    );
    assert_eq!(rc, 0);
    assert_eq!(json_1252(&out.unwrap()), a);
    close(&handle);
}

#[test]
fn the_same_configuration_in_utf8_and_cp1252_is_one_handle() {
    let (n, handle) = open_1252("cp1252-same");
    let config = config_1252("cp1252-same");
    let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&config);
    let (rc, out) = exec(SMARTLINK_EXEC_OPEN, text.as_bytes(), 4096);
    assert_eq!(rc, 0);
    let v: Value = serde_json::from_slice(&out.unwrap()).unwrap();
    assert_eq!(v["handle"], n);
    close(&handle);
}
