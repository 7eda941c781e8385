//! Use case « Marion » as a runnable scenario against the local DMP sandbox: see
//! `examples/usecases/marion.rs` for the story, `examples/usecases/common.rs` for the one place
//! where the DMP is called.
//!
//! ```sh
//! cargo run --example usecase_marion
//! ```

#[path = "usecases/common.rs"]
mod common;
#[path = "usecases/marion.rs"]
mod marion;

fn main() -> Result<(), common::Error> {
    marion::run()
}
