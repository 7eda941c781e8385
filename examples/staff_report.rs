//! The "professionnels concernés" report for the sample EHPAD shipped in the repo.
//!
//! ```sh
//! cargo run --example staff_report                 # the sample EHPAD
//! cargo run --example staff_report -- my-staff.json
//! ```

use dmp_core::habilitation::{Matrix, Rights, StaffList, StaffReport};

const SAMPLE: &str = include_str!("data/ehpad-staff.json");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let text = match std::env::args().nth(1) {
        Some(path) => std::fs::read_to_string(path)?,
        None => SAMPLE.to_owned(),
    };
    let list: StaffList = dmp_core::json::from_str(&text)?;
    let matrix = Matrix::embedded()?;
    let rights = Rights::embedded()?;
    let report = StaffReport::build(&list, &matrix, &rights);
    print!("{report}");
    Ok(())
}
