//! Rebuilds the binary when the embedded page (`web-dist/`) changes.
fn main() {
    println!("cargo:rerun-if-changed=web-dist");
}
