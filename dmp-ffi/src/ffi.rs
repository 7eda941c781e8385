//! The boundary: panic containment, last-error bookkeeping, and the pointer helpers every
//! export goes through (NULL checks, UTF-8 checks, output slots written only on success).

use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::{dmp_result, set_last_error, Failure};

pub(crate) type FfiResult<T = ()> = Result<T, Failure>;

/// Runs the body of a `dmp_result` export: clears the thread's last error, converts an
/// `Err` into its code (recording the failure), and a panic into `DMP_ERR_PANIC`.
pub(crate) fn boundary(body: impl FnOnce() -> FfiResult) -> dmp_result {
    set_last_error(None);
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => dmp_result::DMP_OK,
        Ok(Err(failure)) => {
            let code = failure.code;
            set_last_error(Some(failure));
            code
        }
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic payload".to_owned());
            // Dropping the payload could itself panic (a payload with a panicking Drop):
            // forget it rather than risk unwinding out of an extern "C" function.
            std::mem::forget(payload);
            set_last_error(Some(Failure::new(
                dmp_result::DMP_ERR_PANIC,
                format!("internal error (Rust panic caught at the C boundary): {what}"),
            )));
            dmp_result::DMP_ERR_PANIC
        }
    }
}

/// Runs the body of an export that returns a plain value (no error code), returning
/// `default` on a panic. Does not touch the last error.
pub(crate) fn boundary_or<T>(default: T, body: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(v) => v,
        Err(payload) => {
            std::mem::forget(payload);
            default
        }
    }
}

/// A required `const char *` argument as `&str`.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that stays valid and unmodified for `'a`.
pub(crate) unsafe fn arg_str<'a>(p: *const c_char, name: &str) -> FfiResult<&'a str> {
    if p.is_null() {
        return Err(Failure::null_argument(name));
    }
    // SAFETY: non-NULL and NUL-terminated per the caller's contract.
    let c = unsafe { CStr::from_ptr(p) };
    c.to_str().map_err(|e| {
        Failure::new(
            dmp_result::DMP_ERR_INVALID_UTF8,
            format!("argument `{name}` is not valid UTF-8: {e}"),
        )
        .with("argument", name)
        .with("byte_offset", e.valid_up_to())
    })
}

/// A `(const uint8_t *, size_t)` argument as a slice. NULL with `len == 0` is the empty slice.
///
/// # Safety
/// `p` is NULL or valid for `len` bytes of reads, unmodified for `'a`.
pub(crate) unsafe fn arg_bytes<'a>(p: *const u8, len: usize, name: &str) -> FfiResult<&'a [u8]> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(Failure::null_argument(name));
    }
    if len > isize::MAX as usize {
        return Err(Failure::new(
            dmp_result::DMP_ERR_INVALID_ARGUMENT,
            format!("argument `{name}`: length {len} is larger than any buffer can be"),
        )
        .with("argument", name));
    }
    // SAFETY: non-NULL, `len <= isize::MAX`, valid for `len` reads per the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// A required handle argument (`const T *`) as a reference.
///
/// # Safety
/// `p` is NULL or a live pointer returned by this library's `*_new*` for type `T` and not
/// freed during `'a`.
pub(crate) unsafe fn arg_ref<'a, T>(p: *const T, name: &str) -> FfiResult<&'a T> {
    // SAFETY: the caller guarantees a non-NULL `p` points to a live `T`.
    unsafe { p.as_ref() }.ok_or_else(|| Failure::null_argument(name))
}

/// A required output slot (`T **out`). Check it **before** doing any work; write it with
/// [`Out::put`] only once everything succeeded.
pub(crate) struct Out<T>(*mut *mut T);

impl<T> Out<T> {
    /// A required output slot.
    pub fn required(p: *mut *mut T, name: &str) -> FfiResult<Out<T>> {
        if p.is_null() {
            Err(Failure::null_argument(name))
        } else {
            Ok(Out(p))
        }
    }

    /// An optional output slot (NULL: the caller does not want this output).
    pub fn optional(p: *mut *mut T) -> Option<Out<T>> {
        (!p.is_null()).then_some(Out(p))
    }

    /// Hands `value` over to the caller (who frees it with the type's `*_free`).
    ///
    /// # Safety
    /// The slot given at construction is valid for a pointer-sized write.
    pub unsafe fn put(self, value: Box<T>) {
        // SAFETY: non-NULL (checked at construction) and valid for a write (caller contract).
        unsafe { self.0.write(Box::into_raw(value)) };
    }

    /// Writes NULL into the slot (an optional output that has nothing to give).
    ///
    /// # Safety
    /// As [`Out::put`].
    pub unsafe fn put_null(self) {
        // SAFETY: as in `put`.
        unsafe { self.0.write(std::ptr::null_mut()) };
    }
}

/// Frees a boxed handle created by [`Out::put`]; NULL is a no-op.
///
/// # Safety
/// `p` is NULL or a pointer handed out by [`Out::put`] for `T`, not yet freed.
pub(crate) unsafe fn free_box<T>(p: *mut T) {
    if !p.is_null() {
        // SAFETY: `p` came from `Box::into_raw` (in `Out::put`) and is freed exactly once.
        drop(unsafe { Box::from_raw(p) });
    }
}

/// Reads a small JSON argument into `T`, with `argument` recorded in the failure.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(
    text: &str,
    argument: &str,
) -> FfiResult<T> {
    dmp_core::json::from_str(text).map_err(|e| Failure::from(e).with("argument", argument))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::dmp_last_error_code;

    #[test]
    fn a_panic_becomes_a_code_and_a_message() {
        let r = boundary(|| panic!("boom"));
        assert_eq!(r, dmp_result::DMP_ERR_PANIC);
        assert_eq!(dmp_last_error_code(), dmp_result::DMP_ERR_PANIC);
        let r = boundary(|| Ok(()));
        assert_eq!(r, dmp_result::DMP_OK);
        assert_eq!(dmp_last_error_code(), dmp_result::DMP_OK);
        assert_eq!(boundary_or(7, || panic!("boom")), 7);
    }
}
