//! `dmp_bytes`: an owned byte buffer handed to the caller.

use crate::ffi::{boundary_or, free_box};

/// An owned byte buffer returned by the library (a JSON record, a CDA document, a file).
///
/// Read it with `dmp_bytes_data` and `dmp_bytes_len`; release it with `dmp_bytes_free`.
/// Text outputs (JSON, XML, report text) are UTF-8. For convenience `data[len]` is always
/// a NUL byte that is not counted in `len`, so a text output can be used as a C string;
/// binary outputs (an N1 body) may contain NUL bytes, so always use the length.
///
/// Immutable: a `const dmp_bytes *` may be read from several threads at once; free it once.
pub struct dmp_bytes {
    /// The content followed by one NUL byte.
    data: Vec<u8>,
}

impl dmp_bytes {
    /// A buffer holding `data` (a NUL is appended, outside the length).
    pub(crate) fn new(mut data: Vec<u8>) -> Box<dmp_bytes> {
        data.reserve_exact(1);
        data.push(0);
        Box::new(dmp_bytes { data })
    }

    /// A buffer holding the UTF-8 of `text`.
    pub(crate) fn text(text: String) -> Box<dmp_bytes> {
        dmp_bytes::new(text.into_bytes())
    }

    /// The content, without the trailing NUL.
    pub fn as_slice(&self) -> &[u8] {
        &self.data[..self.data.len() - 1]
    }
}

/// The first byte of `bytes` (followed by `dmp_bytes_len(bytes)` bytes and a NUL), or NULL
/// when `bytes` is NULL. Valid until `dmp_bytes_free(bytes)`.
///
/// # Safety
/// `bytes` is NULL or a live `dmp_bytes` from this library.
#[no_mangle]
pub unsafe extern "C" fn dmp_bytes_data(bytes: *const dmp_bytes) -> *const u8 {
    boundary_or(std::ptr::null(), || {
        // SAFETY: NULL or a live `dmp_bytes` per the caller's contract.
        match unsafe { bytes.as_ref() } {
            Some(b) => b.data.as_ptr(),
            None => std::ptr::null(),
        }
    })
}

/// The length of `bytes` in bytes (not counting the trailing NUL); 0 when `bytes` is NULL.
///
/// # Safety
/// `bytes` is NULL or a live `dmp_bytes` from this library.
#[no_mangle]
pub unsafe extern "C" fn dmp_bytes_len(bytes: *const dmp_bytes) -> usize {
    boundary_or(0, || {
        // SAFETY: NULL or a live `dmp_bytes` per the caller's contract.
        unsafe { bytes.as_ref() }.map_or(0, |b| b.as_slice().len())
    })
}

/// Releases a buffer. NULL is a no-op. Freeing twice is undefined behaviour.
///
/// # Safety
/// `bytes` is NULL or a `dmp_bytes` from this library that was not freed yet.
#[no_mangle]
pub unsafe extern "C" fn dmp_bytes_free(bytes: *mut dmp_bytes) {
    boundary_or((), || {
        // SAFETY: NULL or an unfreed `dmp_bytes` handed out by this library.
        unsafe { free_box(bytes) }
    })
}
