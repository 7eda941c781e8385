//! Use case « Julien » as a runnable scenario against the local DMP sandbox: see
//! `examples/usecases/julien.rs` for the story, `examples/usecases/common.rs` for the one place
//! where the DMP is called.
//!
//! ```sh
//! cargo run --example usecase_julien
//! ```

#[path = "usecases/common.rs"]
mod common;
#[path = "usecases/julien.rs"]
mod julien;

fn main() -> Result<(), common::Error> {
    julien::run()
}
