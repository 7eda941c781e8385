//! The five ESSMS use cases of issue 12 (`examples/usecases/`), each run as a test: every
//! story starts its own local DMP on 127.0.0.1 (real TLS, SQLite under
//! `target/usecases/<story>/`) and asserts each step.

#[path = "../examples/usecases/common.rs"]
mod common;

#[path = "../examples/usecases/charlotte.rs"]
mod charlotte;
#[path = "../examples/usecases/david.rs"]
mod david;
#[path = "../examples/usecases/julien.rs"]
mod julien;
#[path = "../examples/usecases/laura.rs"]
mod laura;
#[path = "../examples/usecases/marion.rs"]
mod marion;

#[test]
fn david_fait_une_chute() {
    david::run().unwrap_or_else(|e| panic!("use case david: {e}"));
}

#[test]
fn marion_realise_des_examens() {
    marion::run().unwrap_or_else(|e| panic!("use case marion: {e}"));
}

#[test]
fn laura_interventions_multiples_a_domicile() {
    laura::run().unwrap_or_else(|e| panic!("use case laura: {e}"));
}

#[test]
fn julien_va_entrer_en_ime() {
    julien::run().unwrap_or_else(|e| panic!("use case julien: {e}"));
}

#[test]
fn charlotte_utilise_mon_espace_sante() {
    charlotte::run().unwrap_or_else(|e| panic!("use case charlotte: {e}"));
}
