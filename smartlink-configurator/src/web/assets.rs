//! The page, built from `web/` by `scripts/build-web.sh` into `web-dist/`
//! and embedded in the binary: `cargo build` never needs Node.

use include_dir::{Dir, include_dir};

static DIST: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/web-dist");

/// The placeholder `index.html` carries where each response puts its nonce.
pub const NONCE_PLACEHOLDER: &str = "__CSP_NONCE__";

/// A file of the built page by its path (`main-ABC.js`), if there is one.
pub fn file(path: &str) -> Option<&'static [u8]> {
    if path.is_empty() || path.contains("..") || path.starts_with('/') {
        return None;
    }
    DIST.get_file(path).map(|f| f.contents())
}

/// The content type of a file of the page, by its extension.
pub fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff") => "font/woff",
        Some("woff2") => "font/woff2",
        Some("ttf") => "font/ttf",
        Some("otf") => "font/otf",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_is_embedded_with_its_nonce_placeholder() {
        let index = std::str::from_utf8(file("index.html").expect("index.html")).unwrap();
        assert!(index.contains(NONCE_PLACEHOLDER), "{index}");
        assert!(file("../Cargo.toml").is_none());
        assert!(file("/index.html").is_none());
    }
}
