//! The `softkit` command line.
fn main() {}
