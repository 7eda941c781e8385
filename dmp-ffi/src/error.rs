//! Result codes, their bands, and the per-thread last error.

use std::cell::RefCell;
use std::ffi::{c_char, CStr};
use std::panic::AssertUnwindSafe;

use serde_json::{Map, Value};

/// The result of every fallible `dmp_*` function.
///
/// `DMP_OK` (0) is success. Error codes come in stable bands of a thousand; test a band with
/// the `dmp_result_is_*` predicates rather than listing codes, since codes are added inside
/// bands as the library grows:
///
/// | band | meaning | predicate |
/// |---|---|---|
/// | 1xxx | argument: NULL pointer, invalid UTF-8, buffer too small, panic | `dmp_result_is_argument_error` |
/// | 2xxx | JSON input or model validation (field, rule, value, JSON path) | `dmp_result_is_model_error` |
/// | 3xxx | habilitation or functional rights refusal (reserved: request builders) | `dmp_result_is_habilitation_error` |
/// | 4xxx | key or certificate, PKCS#12 (reserved: signing identities) | `dmp_result_is_key_error` |
/// | 5xxx | XML or signature | `dmp_result_is_xml_error` |
/// | 6xxx | transport, TLS, the local sandbox | `dmp_result_is_transport_error` |
/// | 7xxx | an error answered by the DMP itself | `dmp_result_is_dmp_error` |
/// | 8xxx | the establishment's journal: its store, the consent register | `dmp_result_is_journal_error` |
///
/// After any error, `dmp_last_error_message` and `dmp_last_error_json` describe it.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum dmp_result {
    /// Success.
    DMP_OK = 0,
    /// A required pointer argument is NULL (the last error names the argument).
    DMP_ERR_NULL_ARGUMENT = 1000,
    /// A `const char *` argument is not valid UTF-8 (the last error names the argument).
    DMP_ERR_INVALID_UTF8 = 1001,
    /// The caller's buffer is too small; the required length was written to `*out_len`.
    DMP_ERR_BUFFER_TOO_SMALL = 1002,
    /// An argument is well-formed but not acceptable, e.g. an unknown media type name.
    DMP_ERR_INVALID_ARGUMENT = 1003,
    /// A bug in the library: a Rust panic was caught at the boundary. Nothing was written;
    /// the library is still usable. Please report the last error message.
    DMP_ERR_PANIC = 1999,
    /// JSON input is malformed or does not fit the model (last error: `path`, `line`,
    /// `column`).
    DMP_ERR_JSON = 2000,
    /// A value breaks a rule of the model (last error: `field`, `rule`, `value`).
    DMP_ERR_INVALID = 2001,
    /// A data table (habilitation matrix, CSV) is malformed (last error: `source`, `line`).
    DMP_ERR_DATA = 2002,
    /// A key, certificate, PKCS#12 file or signer was refused: wrong password, no key,
    /// key/certificate mismatch, expired or unusable certificate, broken chain (last error:
    /// `what`).
    DMP_ERR_KEY = 4000,
    /// An XML document is not well-formed, too large or too deep, or not what was expected
    /// (e.g. no `ClinicalDocument`, an undecodable N1 body) (last error: `source`, `line`).
    DMP_ERR_XML = 5000,
    /// The transport settings of an actor profile cannot be used: a missing or unreadable
    /// file, a wrong password, a URL that is not `https://` (last error: `field`, the JSON
    /// field as written, e.g. `transport.client_certificate.p12`).
    DMP_ERR_TRANSPORT_SETTINGS = 6000,
    /// Nothing reached the DMP (DNS, connection, proxy, TLS handshake refused, after every
    /// allowed attempt): nothing changed there, the request may be sent again later (last
    /// error: `outcome` = `failed_before_sending`, `attempts`).
    DMP_ERR_NOT_SENT = 6001,
    /// The request may have reached the DMP but its outcome could not be established (no
    /// answer, and the registry search that should tell was impossible or inconclusive). Do
    /// NOT resend a TD2.1/TD3.3 blindly: search the DMP first (last error: `outcome` =
    /// `unknown`, `attempts`).
    DMP_ERR_OUTCOME_UNKNOWN = 6002,
    /// The local DMP sandbox cannot start (address in use or not loopback, data directory not
    /// writable, TLS material unreadable).
    DMP_ERR_SANDBOX = 6003,
    /// The DMP answered with a refusal where a result was needed (a SOAP fault, a Failure
    /// status): its codes and texts, verbatim, are in the last error (`dmp_error`:
    /// `{"source": "soap:Fault"|"RetrieveDocumentSetResponse"|…, "code": "…", "details":
    /// [{"code": "…"|null, "text": "…"|null}…]}`).
    DMP_ERR_DMP_REFUSED = 7000,
    /// The journal's store failed: the SQLite file cannot be opened, written (disk full,
    /// read-only) or read, or it is not a journal (last error: `place`, the file). What was
    /// reported written before is kept; retry once the cause is fixed.
    DMP_ERR_JOURNAL_STORE = 8000,
    /// The consultation was not sent: the consent register does not cover it (no consent
    /// recorded, an objection, an expired explicit consent) or the library refused to build
    /// it; it is journaled as `blocked` (last error: `field`, `rule`, `value`: what is
    /// missing in the register, in the rule's words).
    DMP_ERR_CONSULTATION_BLOCKED = 8001,
    /// No deposit with that number in the journal.
    DMP_ERR_JOURNAL_UNKNOWN_DEPOSIT = 8002,
}

impl dmp_result {
    /// Every code, in numeric order.
    pub(crate) const ALL: [dmp_result; 19] = [
        dmp_result::DMP_OK,
        dmp_result::DMP_ERR_NULL_ARGUMENT,
        dmp_result::DMP_ERR_INVALID_UTF8,
        dmp_result::DMP_ERR_BUFFER_TOO_SMALL,
        dmp_result::DMP_ERR_INVALID_ARGUMENT,
        dmp_result::DMP_ERR_PANIC,
        dmp_result::DMP_ERR_JSON,
        dmp_result::DMP_ERR_INVALID,
        dmp_result::DMP_ERR_DATA,
        dmp_result::DMP_ERR_KEY,
        dmp_result::DMP_ERR_XML,
        dmp_result::DMP_ERR_TRANSPORT_SETTINGS,
        dmp_result::DMP_ERR_NOT_SENT,
        dmp_result::DMP_ERR_OUTCOME_UNKNOWN,
        dmp_result::DMP_ERR_SANDBOX,
        dmp_result::DMP_ERR_DMP_REFUSED,
        dmp_result::DMP_ERR_JOURNAL_STORE,
        dmp_result::DMP_ERR_CONSULTATION_BLOCKED,
        dmp_result::DMP_ERR_JOURNAL_UNKNOWN_DEPOSIT,
    ];

    /// The C name of the code, NUL-terminated.
    pub const fn c_name(self) -> &'static CStr {
        match self {
            dmp_result::DMP_OK => c"DMP_OK",
            dmp_result::DMP_ERR_NULL_ARGUMENT => c"DMP_ERR_NULL_ARGUMENT",
            dmp_result::DMP_ERR_INVALID_UTF8 => c"DMP_ERR_INVALID_UTF8",
            dmp_result::DMP_ERR_BUFFER_TOO_SMALL => c"DMP_ERR_BUFFER_TOO_SMALL",
            dmp_result::DMP_ERR_INVALID_ARGUMENT => c"DMP_ERR_INVALID_ARGUMENT",
            dmp_result::DMP_ERR_PANIC => c"DMP_ERR_PANIC",
            dmp_result::DMP_ERR_JSON => c"DMP_ERR_JSON",
            dmp_result::DMP_ERR_INVALID => c"DMP_ERR_INVALID",
            dmp_result::DMP_ERR_DATA => c"DMP_ERR_DATA",
            dmp_result::DMP_ERR_KEY => c"DMP_ERR_KEY",
            dmp_result::DMP_ERR_XML => c"DMP_ERR_XML",
            dmp_result::DMP_ERR_TRANSPORT_SETTINGS => c"DMP_ERR_TRANSPORT_SETTINGS",
            dmp_result::DMP_ERR_NOT_SENT => c"DMP_ERR_NOT_SENT",
            dmp_result::DMP_ERR_OUTCOME_UNKNOWN => c"DMP_ERR_OUTCOME_UNKNOWN",
            dmp_result::DMP_ERR_SANDBOX => c"DMP_ERR_SANDBOX",
            dmp_result::DMP_ERR_DMP_REFUSED => c"DMP_ERR_DMP_REFUSED",
            dmp_result::DMP_ERR_JOURNAL_STORE => c"DMP_ERR_JOURNAL_STORE",
            dmp_result::DMP_ERR_CONSULTATION_BLOCKED => c"DMP_ERR_CONSULTATION_BLOCKED",
            dmp_result::DMP_ERR_JOURNAL_UNKNOWN_DEPOSIT => c"DMP_ERR_JOURNAL_UNKNOWN_DEPOSIT",
        }
    }

    /// The C name of the code.
    pub fn name(self) -> &'static str {
        self.c_name().to_str().unwrap_or("DMP_ERR_UNKNOWN")
    }

    /// The code with this number, if any.
    pub fn from_u32(code: u32) -> Option<dmp_result> {
        dmp_result::ALL.into_iter().find(|r| *r as u32 == code)
    }
}

/// One failure, as the last-error accessors report it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Failure {
    pub code: dmp_result,
    pub message: String,
    /// Structured details (`field`, `rule`, `value`, `path`, `line`…), merged into the JSON
    /// record.
    pub details: Map<String, Value>,
}

impl Failure {
    pub fn new(code: dmp_result, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
            details: Map::new(),
        }
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Failure {
        self.details.insert(key.to_owned(), value.into());
        self
    }

    pub fn null_argument(name: &str) -> Failure {
        Failure::new(
            dmp_result::DMP_ERR_NULL_ARGUMENT,
            format!("argument `{name}` is NULL"),
        )
        .with("argument", name)
    }

    /// The JSON record of `dmp_last_error_json`.
    pub fn to_json(&self) -> String {
        self.to_value().to_string()
    }

    /// The JSON record of `dmp_last_error_json`, as a value.
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("code".into(), Value::from(self.code as u32));
        m.insert("name".into(), Value::from(self.code.name()));
        m.insert("message".into(), Value::from(self.message.as_str()));
        for (k, v) in &self.details {
            m.insert(k.clone(), v.clone());
        }
        Value::Object(m)
    }
}

impl From<dmp_core::Error> for Failure {
    fn from(e: dmp_core::Error) -> Failure {
        let message = e.to_string();
        // Exhaustive on purpose: a new core variant (e.g. crypto) must be given its band here.
        match e {
            dmp_core::Error::Invalid(inv) => Failure::new(dmp_result::DMP_ERR_INVALID, message)
                .with("field", inv.field)
                .with("rule", inv.rule)
                .with("value", inv.value),
            dmp_core::Error::Json {
                path,
                line,
                column,
                message: detail,
            } => Failure::new(dmp_result::DMP_ERR_JSON, message)
                .with("path", path)
                .with("line", line)
                .with("column", column)
                .with("detail", detail),
            dmp_core::Error::Data {
                source_name,
                line,
                message: detail,
            } => {
                // The XML reader, the full-fidelity tree (SOAP envelopes, signatures) and the
                // CDA reader report as `xml` / `c14n` / `cda`: the XML band.
                let code = match source_name.as_str() {
                    "xml" | "c14n" | "cda" => dmp_result::DMP_ERR_XML,
                    _ => dmp_result::DMP_ERR_DATA,
                };
                Failure::new(code, message)
                    .with("source", source_name)
                    .with("line", line)
                    .with("detail", detail)
            }
            dmp_core::Error::Crypto {
                what,
                message: detail,
            } => Failure::new(dmp_result::DMP_ERR_KEY, message)
                .with("what", what)
                .with("detail", detail),
            // A caller's writer (a streamed request); the C ABI writes into buffers only.
            dmp_core::Error::Write { message: detail } => {
                Failure::new(dmp_result::DMP_ERR_DATA, message).with("detail", detail)
            }
        }
    }
}

thread_local! {
    static LAST_ERROR: RefCell<Option<Failure>> = const { RefCell::new(None) };
}

/// Replaces this thread's last error (`None` clears it). Never panics.
pub(crate) fn set_last_error(f: Option<Failure>) {
    let _ = LAST_ERROR.try_with(|cell| {
        if let Ok(mut slot) = cell.try_borrow_mut() {
            *slot = f;
        }
    });
}

fn with_last_error<R>(f: impl FnOnce(Option<&Failure>) -> R) -> R {
    let mut f = Some(f);
    let r = LAST_ERROR.try_with(|cell| match cell.try_borrow() {
        Ok(slot) => (f.take().expect("called once"))(slot.as_ref()),
        Err(_) => (f.take().expect("called once"))(None),
    });
    match r {
        Ok(r) => r,
        Err(_) => (f.take().expect("not called yet"))(None),
    }
}

/// Copies `text` and a NUL into `buf` when it fits; `*out_len` (when not NULL) gets the
/// length of `text` in bytes, without the NUL.
///
/// # Safety
/// `buf` is NULL or valid for `len` bytes of writes; `out_len` is NULL or valid for a write.
unsafe fn copy_out(text: &str, buf: *mut c_char, len: usize, out_len: *mut usize) -> dmp_result {
    if !out_len.is_null() {
        // SAFETY: the caller guarantees a non-NULL `out_len` is valid for a write.
        unsafe { out_len.write(text.len()) };
    }
    if buf.is_null() || len <= text.len() {
        return dmp_result::DMP_ERR_BUFFER_TOO_SMALL;
    }
    // SAFETY: `buf` is valid for `len > text.len()` bytes, so for `text.len() + 1`; a caller's
    // buffer cannot overlap our own `String`.
    unsafe {
        std::ptr::copy_nonoverlapping(text.as_ptr(), buf.cast::<u8>(), text.len());
        buf.add(text.len()).write(0);
    }
    dmp_result::DMP_OK
}

/// Copies the message of this thread's last error, NUL-terminated, into `buf`.
///
/// `*out_len` (when `out_len` is not NULL) is always set to the message length in bytes,
/// **not counting** the terminating NUL; the buffer needs `*out_len + 1` bytes. Returns
/// `DMP_OK` when the message (and its NUL) was copied, `DMP_ERR_BUFFER_TOO_SMALL` when `buf`
/// is NULL or `len` is too small: then nothing is written to `buf`. Typical use: call once
/// with `buf = NULL` to learn the length, allocate `*out_len + 1` bytes, call again.
///
/// The message is empty when the last call on this thread succeeded. The message is UTF-8
/// (English, with the offending values quoted). This function and `dmp_last_error_json`
/// never change the last error.
///
/// # Safety
/// `buf` is NULL or valid for `len` bytes of writes; `out_len` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn dmp_last_error_message(
    buf: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> dmp_result {
    std::panic::catch_unwind(AssertUnwindSafe(|| {
        with_last_error(|f| {
            let text = f.map(|f| f.message.as_str()).unwrap_or("");
            // SAFETY: forwarded caller guarantees.
            unsafe { copy_out(text, buf, len, out_len) }
        })
    }))
    .unwrap_or(dmp_result::DMP_ERR_PANIC)
}

/// Copies this thread's last error as a NUL-terminated JSON object into `buf`; same buffer
/// protocol as `dmp_last_error_message`.
///
/// The record always has `code` (number), `name` (`"DMP_ERR_INVALID"`…) and `message`; the
/// other members appear when they apply:
/// - `argument`: the C argument at fault (1xxx);
/// - `field`, `rule`, `value`: the broken model rule (`DMP_ERR_INVALID`);
/// - `path`, `line`, `column`, `detail`: the JSON path of the value at fault
///   (`DMP_ERR_JSON`), e.g. `"staff[2].idnat"`;
/// - `source`, `line`, `detail`: the table or XML document at fault (`DMP_ERR_DATA`,
///   `DMP_ERR_XML`);
/// - `dmp_error`: the DMP's own refusal, codes and texts passed through unchanged
///   (`DMP_ERR_DMP_REFUSED`): `{"source", "code", "details": [{"code", "text"}…]}`.
/// - `place`: the journal's file or server (`DMP_ERR_JOURNAL_STORE`).
///
/// When the last call succeeded the record is `{"code":0,"name":"DMP_OK","message":""}`.
///
/// # Safety
/// As `dmp_last_error_message`.
#[no_mangle]
pub unsafe extern "C" fn dmp_last_error_json(
    buf: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> dmp_result {
    std::panic::catch_unwind(AssertUnwindSafe(|| {
        let json = with_last_error(|f| match f {
            Some(f) => f.to_json(),
            None => Failure::new(dmp_result::DMP_OK, "").to_json(),
        });
        // SAFETY: forwarded caller guarantees.
        unsafe { copy_out(&json, buf, len, out_len) }
    }))
    .unwrap_or(dmp_result::DMP_ERR_PANIC)
}

/// The code of this thread's last error (`DMP_OK` when the last call succeeded).
#[no_mangle]
pub extern "C" fn dmp_last_error_code() -> dmp_result {
    std::panic::catch_unwind(|| with_last_error(|f| f.map_or(dmp_result::DMP_OK, |f| f.code)))
        .unwrap_or(dmp_result::DMP_ERR_PANIC)
}

/// The C name of a result code (`"DMP_ERR_INVALID"`), or `"DMP_ERR_UNKNOWN"` for a number
/// that is not a code of this version. A static NUL-terminated string: never free it.
#[no_mangle]
pub extern "C" fn dmp_result_name(result: u32) -> *const c_char {
    match dmp_result::from_u32(result) {
        Some(r) => r.c_name().as_ptr(),
        None => c"DMP_ERR_UNKNOWN".as_ptr(),
    }
}

const fn in_band(result: u32, band: u32) -> bool {
    result / 1000 == band
}

/// True for 1xxx: a NULL or non-UTF-8 argument, a buffer too small, a caught panic.
#[no_mangle]
pub extern "C" fn dmp_result_is_argument_error(result: u32) -> bool {
    in_band(result, 1)
}

/// True for 2xxx: JSON input or model validation.
#[no_mangle]
pub extern "C" fn dmp_result_is_model_error(result: u32) -> bool {
    in_band(result, 2)
}

/// True for 3xxx: a habilitation or functional-rights refusal (reserved band).
#[no_mangle]
pub extern "C" fn dmp_result_is_habilitation_error(result: u32) -> bool {
    in_band(result, 3)
}

/// True for 4xxx: key, certificate, PKCS#12 (reserved band).
#[no_mangle]
pub extern "C" fn dmp_result_is_key_error(result: u32) -> bool {
    in_band(result, 4)
}

/// True for 5xxx: XML or signature.
#[no_mangle]
pub extern "C" fn dmp_result_is_xml_error(result: u32) -> bool {
    in_band(result, 5)
}

/// True for 6xxx: transport or TLS (reserved band).
#[no_mangle]
pub extern "C" fn dmp_result_is_transport_error(result: u32) -> bool {
    in_band(result, 6)
}

/// True for 7xxx: an error answered by the DMP.
#[no_mangle]
pub extern "C" fn dmp_result_is_dmp_error(result: u32) -> bool {
    in_band(result, 7)
}

/// True for 8xxx: the establishment's journal (its store, the consent register).
#[no_mangle]
pub extern "C" fn dmp_result_is_journal_error(result: u32) -> bool {
    in_band(result, 8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_variants_and_are_unique() {
        for r in dmp_result::ALL {
            // SAFETY: dmp_result_name returns a static NUL-terminated string.
            let s = unsafe { std::ffi::CStr::from_ptr(dmp_result_name(r as u32)) };
            assert_eq!(s.to_str().unwrap(), r.name());
            assert_eq!(dmp_result::from_u32(r as u32), Some(r));
        }
        // SAFETY: as above.
        let s = unsafe { std::ffi::CStr::from_ptr(dmp_result_name(42)) };
        assert_eq!(s.to_str().unwrap(), "DMP_ERR_UNKNOWN");
    }

    #[test]
    fn bands() {
        assert!(dmp_result_is_argument_error(1000));
        assert!(dmp_result_is_argument_error(1999));
        assert!(!dmp_result_is_argument_error(0));
        assert!(dmp_result_is_model_error(2001));
        assert!(dmp_result_is_xml_error(dmp_result::DMP_ERR_XML as u32));
        assert!(dmp_result_is_habilitation_error(3000));
        assert!(dmp_result_is_key_error(4999));
        assert!(dmp_result_is_transport_error(6001));
        assert!(dmp_result_is_dmp_error(7000));
        assert!(dmp_result_is_journal_error(8001));
        assert!(!dmp_result_is_journal_error(7999));
        for r in dmp_result::ALL {
            let n = r as u32;
            let bands = [
                dmp_result_is_argument_error(n),
                dmp_result_is_model_error(n),
                dmp_result_is_habilitation_error(n),
                dmp_result_is_key_error(n),
                dmp_result_is_xml_error(n),
                dmp_result_is_transport_error(n),
                dmp_result_is_dmp_error(n),
                dmp_result_is_journal_error(n),
            ];
            let expected = usize::from(r != dmp_result::DMP_OK);
            assert_eq!(bands.iter().filter(|b| **b).count(), expected, "{r:?}");
        }
    }

    #[test]
    fn core_errors_map_to_bands() {
        let f = Failure::from(dmp_core::Error::invalid("rpps", "Luhn", "1"));
        assert_eq!(f.code, dmp_result::DMP_ERR_INVALID);
        assert_eq!(f.details["field"], "rpps");
        for source in ["xml", "c14n", "cda"] {
            let f = Failure::from(dmp_core::Error::data(source, 3, "bad"));
            assert_eq!(f.code, dmp_result::DMP_ERR_XML, "{source}");
        }
        let f = Failure::from(dmp_core::Error::data("habilitation matrix", 3, "bad"));
        assert_eq!(f.code, dmp_result::DMP_ERR_DATA);
    }
}
