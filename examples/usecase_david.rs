//! Use case « David » as a runnable scenario against the local DMP sandbox: see
//! `examples/usecases/david.rs` for the story, `examples/usecases/common.rs` for the one place
//! where the DMP is called.
//!
//! ```sh
//! cargo run --example usecase_david
//! ```

#[path = "usecases/common.rs"]
mod common;
#[path = "usecases/david.rs"]
mod david;

fn main() -> Result<(), common::Error> {
    david::run()
}
