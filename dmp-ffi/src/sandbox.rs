//! The local DMP sandbox in-process, for a DUI's own tests: an HTTPS server with mutual TLS
//! on 127.0.0.1 (test PKI of `examples/pki/`), SQLite storage in a directory of the caller,
//! the DMP's checks and answers. Tests only: never point production software at it.

use std::ffi::{c_char, CString};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Mutex;

use ::dmp_sandbox::{Sandbox, SandboxConfig};

use crate::error::{dmp_result, Failure};
use crate::ffi::{arg_str, boundary, boundary_or, free_box, Out};

/// A running sandbox (`dmp_sandbox_start`, `dmp_sandbox_base_url`, `dmp_sandbox_ui_url`,
/// `dmp_sandbox_free` which stops it). Its URLs may be read from several threads at once.
pub struct dmp_sandbox {
    running: Mutex<Option<Sandbox>>,
    base_url: CString,
    ui_url: Option<CString>,
}

const _: fn() = || {
    fn shareable<T: Send + Sync>() {}
    shareable::<dmp_sandbox>();
};

/// Starts a sandbox and returns once it listens on 127.0.0.1 (a free port).
///
/// - `data_dir`: its SQLite storage (created if absent; kept across runs: a restart on the
///   same directory finds everything; seeded with the sample usagers and their documents at
///   first start).
/// - `ui_address` (may be NULL: no page): a loopback `IP:PORT` (port 0: any) for the HTML page
///   listing patients, documents and the access log.
///
/// Errors: `DMP_ERR_SANDBOX` (address not loopback or in use, directory not writable);
/// `DMP_ERR_INVALID_ARGUMENT` (argument `ui_address` is not `IP:PORT`).
///
/// # Safety
/// `data_dir` is a NUL-terminated string; `ui_address` NULL or a NUL-terminated string; `out`
/// writable.
#[no_mangle]
pub unsafe extern "C" fn dmp_sandbox_start(
    data_dir: *const c_char,
    ui_address: *const c_char,
    out: *mut *mut dmp_sandbox,
) -> dmp_result {
    boundary(|| {
        // SAFETY: caller contract.
        let dir = PathBuf::from(unsafe { arg_str(data_dir, "data_dir") }?);
        let ui = if ui_address.is_null() {
            None
        } else {
            // SAFETY: caller contract.
            let text = unsafe { arg_str(ui_address, "ui_address") }?;
            Some(text.parse::<SocketAddr>().map_err(|_| {
                Failure::new(
                    dmp_result::DMP_ERR_INVALID_ARGUMENT,
                    format!("argument `ui_address`: {text:?} is not IP:PORT (e.g. 127.0.0.1:0)"),
                )
                .with("argument", "ui_address")
            })?)
        };
        let out = Out::required(out, "out")?;
        let mut config = SandboxConfig::embedded(dir);
        config.ui = ui;
        let sandbox = Sandbox::start(config)
            .map_err(|e| Failure::new(dmp_result::DMP_ERR_SANDBOX, e.to_string()))?;
        let c = |s: String| CString::new(s).unwrap_or_default();
        let handle = dmp_sandbox {
            base_url: c(sandbox.base_url()),
            ui_url: sandbox.ui_url().map(c),
            running: Mutex::new(Some(sandbox)),
        };
        // SAFETY: `out` checked non-NULL; caller contract.
        unsafe { out.put(Box::new(handle)) };
        Ok(())
    })
}

/// The base URL (`https://127.0.0.1:PORT`) to give `dmp_client_new` as `endpoint`; NULL for
/// NULL. Valid until `dmp_sandbox_free`.
///
/// # Safety
/// `sandbox` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn dmp_sandbox_base_url(sandbox: *const dmp_sandbox) -> *const c_char {
    boundary_or(std::ptr::null(), || {
        // SAFETY: caller contract.
        unsafe { sandbox.as_ref() }.map_or(std::ptr::null(), |s| s.base_url.as_ptr())
    })
}

/// The page's URL (`http://127.0.0.1:PORT/`), or NULL when started without `ui_address` (or
/// for NULL). Valid until `dmp_sandbox_free`.
///
/// # Safety
/// `sandbox` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn dmp_sandbox_ui_url(sandbox: *const dmp_sandbox) -> *const c_char {
    boundary_or(std::ptr::null(), || {
        // SAFETY: caller contract.
        unsafe { sandbox.as_ref() }
            .and_then(|s| s.ui_url.as_ref())
            .map_or(std::ptr::null(), |u| u.as_ptr())
    })
}

/// Stops the sandbox (open connections are closed, the data stays in its directory) and
/// releases the handle; NULL is a no-op.
///
/// # Safety
/// `sandbox` is NULL or a live handle, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn dmp_sandbox_free(sandbox: *mut dmp_sandbox) {
    boundary_or((), || {
        // SAFETY: caller contract.
        if let Some(s) = unsafe { sandbox.as_ref() } {
            if let Some(running) = s.running.lock().ok().and_then(|mut g| g.take()) {
                running.stop();
            }
        }
        // SAFETY: caller contract.
        unsafe { free_box(sandbox) }
    })
}
