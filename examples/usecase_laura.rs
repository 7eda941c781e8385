//! Use case « Laura » as a runnable scenario against the local DMP sandbox: see
//! `examples/usecases/laura.rs` for the story, `examples/usecases/common.rs` for the one place
//! where the DMP is called.
//!
//! ```sh
//! cargo run --example usecase_laura
//! ```

#[path = "usecases/common.rs"]
mod common;
#[path = "usecases/laura.rs"]
mod laura;

fn main() -> Result<(), common::Error> {
    laura::run()
}
