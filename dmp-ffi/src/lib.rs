//! C ABI over `dmp-core`.
//!
//! This crate stays a thin skin: C marshalling and panic containment, then one call into the
//! core. It builds as a `cdylib` (`libdmp.so` / `dmp.dll`) and a `staticlib` (`libdmp.a`).
//! For now it exports the library version; handles, error codes and the generated header
//! come with the C ABI work (see the project's issues).

use std::ffi::c_char;

/// The library version as a NUL-terminated UTF-8 string with static lifetime (never free it).
#[no_mangle]
pub extern "C" fn dmp_version() -> *const c_char {
    // Built at compile time: no allocation, cannot panic.
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
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
