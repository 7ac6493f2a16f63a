//! The test kit's helpers under the names these tests use: the built
//! library, C compilation, runners and the sandbox (see smartlink-testkit).
#![allow(unused_imports)]

pub use smartlink_testkit::TOKEN;
pub use smartlink_testkit::platforms::{
    demo_sandbox as sandbox, sandbox_in_background as sandbox_with_seed,
};
pub use smartlink_testkit::processes::*;
