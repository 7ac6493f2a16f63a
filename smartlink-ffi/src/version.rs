//! The library's version: the header's macros, and `smartlink_version`.

use std::ffi::c_char;

/// Major version of the library (and of this header).
pub const SMARTLINK_VERSION_MAJOR: u32 = 0;
/// Minor version of the library (and of this header).
pub const SMARTLINK_VERSION_MINOR: u32 = 1;
/// Patch version of the library (and of this header).
pub const SMARTLINK_VERSION_PATCH: u32 = 0;
/// The library's version, as text.
pub const SMARTLINK_VERSION: &str = "0.1.0";

const VERSION_NUL: &std::ffi::CStr = c"0.1.0";

/// The library's version, e.g. `"0.1.0"` (equal to `SMARTLINK_VERSION` of
/// the header the caller was compiled with, unless they were mixed up).
///
/// - Returns a static string (never NULL), not a `smartlink_result`; never
///   free it.
/// - Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn smartlink_version() -> *const c_char {
    VERSION_NUL.as_ptr()
}

#[cfg(test)]
mod tests {
    #[test]
    fn version_constants_match_cargo_toml() {
        assert_eq!(super::SMARTLINK_VERSION, env!("CARGO_PKG_VERSION"));
        assert_eq!(
            super::VERSION_NUL.to_str().unwrap(),
            env!("CARGO_PKG_VERSION")
        );
        let major: u32 = env!("CARGO_PKG_VERSION_MAJOR").parse().unwrap();
        let minor: u32 = env!("CARGO_PKG_VERSION_MINOR").parse().unwrap();
        let patch: u32 = env!("CARGO_PKG_VERSION_PATCH").parse().unwrap();
        assert_eq!(
            (major, minor, patch),
            (
                super::SMARTLINK_VERSION_MAJOR,
                super::SMARTLINK_VERSION_MINOR,
                super::SMARTLINK_VERSION_PATCH
            )
        );
    }
}
