//! Use case « Charlotte » as a runnable scenario against the local DMP sandbox: see
//! `examples/usecases/charlotte.rs` for the story, `examples/usecases/common.rs` for the one place
//! where the DMP is called.
//!
//! ```sh
//! cargo run --example usecase_charlotte
//! ```

#[path = "usecases/charlotte.rs"]
mod charlotte;
#[path = "usecases/common.rs"]
mod common;

fn main() -> Result<(), common::Error> {
    charlotte::run()
}
