// Release builds embed web/dist: rebuild when the UI is rebuilt.
fn main() {
    println!("cargo:rerun-if-changed=../../web/dist");
}
