//! C ABI over `dmp-core`.
//!
//! This crate stays a thin skin: C marshalling, NULL and UTF-8 checks, panic containment,
//! then one call into the core. It builds as a `cdylib` (`libdmp.so` / `dmp.dll`) and a
//! `staticlib` (`libdmp.a`); the C header `include/dmp.h` is generated from it by cbindgen
//! and checked in (see `dmp-ffi/README.md`).
//!
//! # Conventions (the same for every function)
//!
//! - Every fallible function returns a [`dmp_result`]: `DMP_OK` (0) or
//!   an error code in a stable band (1xxx arguments, 2xxx JSON/model, 3xxx habilitation,
//!   4xxx keys/certificates, 5xxx XML/signature, 6xxx transport, 7xxx DMP answers, 8xxx
//!   the establishment's journal).
//! - The details of the last error of the calling thread are read with
//!   `dmp_last_error_message` / `dmp_last_error_json` (copied into a caller buffer). Each
//!   `dmp_result` function clears that state on entry, so after `DMP_OK` it is empty.
//! - Results come back through out-parameters (`T **out`), written **only on success**: on
//!   error `*out` is left untouched. Returned objects are owned by the caller and released
//!   with their `*_free` function, which accepts NULL.
//! - Every pointer argument is checked: NULL gives `DMP_ERR_NULL_ARGUMENT` (unless the
//!   argument is documented as optional), a `const char *` that is not UTF-8 gives
//!   `DMP_ERR_INVALID_UTF8`.
//! - A Rust panic never crosses the boundary: it becomes `DMP_ERR_PANIC` (functions that
//!   return no code return a documented default).
//! - No global mutable state: handles are immutable after creation, so a `const` handle
//!   may be used from several threads at once.
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]
#![allow(non_camel_case_types)]

// Declaration order = order of the functions in the generated header.
mod ffi;

pub mod error;

pub mod bytes;

pub mod ids;

pub mod habilitation;

pub mod cda;

pub mod identity;

pub mod feed;

pub mod consult;

pub mod transport;

pub mod sandbox;

pub mod journal;
pub mod pilotage;

use std::ffi::c_char;

pub use bytes::dmp_bytes;
pub use consult::dmp_retrieval;
pub use error::dmp_result;
pub use habilitation::dmp_matrix;
pub use identity::dmp_identity;
pub use journal::dmp_journal;
pub use sandbox::dmp_sandbox;
pub use transport::dmp_client;

/// The library version (`"0.1.0"`) as a NUL-terminated UTF-8 string with static lifetime
/// (never free it). Compare with `DMP_VERSION_STRING` from the header to detect a header and
/// library mismatch.
#[no_mangle]
pub extern "C" fn dmp_version() -> *const c_char {
    // Built at compile time: no allocation, cannot panic.
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// Serialises an output record.
fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> ffi::FfiResult<String> {
    serde_json::to_string(value).map_err(|e| {
        error::Failure::new(
            dmp_result::DMP_ERR_JSON,
            format!("cannot serialise the output as JSON: {e}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_is_the_core_version() {
        // SAFETY: dmp_version returns a pointer to a static NUL-terminated string.
        let v = unsafe { std::ffi::CStr::from_ptr(dmp_version()) };
        assert_eq!(v.to_str().unwrap(), dmp_core::VERSION);
    }
}
