//! Signing identities (`dmp_identity`): a PKCS#12 key and its chain, or a C signing callback
//! (CPS card, HSM, PKCS#11 token) with the certificate chain of its key.

use std::ffi::{c_char, c_void};

use chrono::{DateTime, Utc};
use dmp_core::crypto::{
    CallbackSigner, Certificate, SignatureAlgorithm, Signer, SigningIdentity, UsagePolicy,
};

use crate::bytes::dmp_bytes;
use crate::error::{dmp_result, Failure};
use crate::ffi::{arg_bytes, arg_ref, arg_str, boundary, free_box, FfiResult, Out};
use crate::to_json;

/// The signature buffer handed to a `dmp_sign_callback` (`sig_cap`), in bytes: room for an
/// RSA 8192-bit signature (the library accepts RSA 2048 to 4096 bits and ECDSA P-256).
pub const DMP_SIGNATURE_CAPACITY: usize = 1024;

/// A C signing function for `dmp_identity_new_from_callback`.
///
/// Called with the `user_data` given at creation and the data to sign (`data`, `len`: the
/// whole data, **not a digest**: the callback hashes it with the algorithm of the identity).
/// It writes the signature into `sig_out` (`sig_cap` bytes, at least 512), sets `*sig_len`
/// to its length and returns 0; any other return value is a failure (`DMP_ERR_KEY`, `what`
/// `"callback"`). The signature is PKCS#1 v1.5 for `rsa-sha1`/`rsa-sha256`, and the raw
/// `r || s` (64 bytes) for `ecdsa-p256-sha256`. The library verifies every signature against
/// the certificate before using it.
///
/// It is called only during `dmp_feed_build`, on the thread that called it, zero or more
/// times (twice per request today: the XAdES signature and the VIHF). It must not unwind
/// (no C++ exception or longjmp out of it).
pub type dmp_sign_callback = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        data: *const u8,
        len: usize,
        sig_out: *mut u8,
        sig_cap: usize,
        sig_len: *mut usize,
    ) -> i32,
>;

/// A signing identity: the key that signs the VIHF and the XAdES manifest of a TD2.1 request
/// (in indirect mode, the establishment's ORG_SIGN certificate), and its certificate chain.
///
/// Created by `dmp_identity_new_from_p12`, `dmp_identity_new_from_p12_file` or
/// `dmp_identity_new_from_callback`; released by `dmp_identity_free`.
///
/// Immutable once created: a `const dmp_identity *` may be used by several threads at once.
/// For an identity made from a callback, the callback is then called from each of those
/// threads (each `dmp_feed_build` calls it on its own thread): it must be thread-safe, or
/// the caller must not build with the same identity on two threads at once. The certificate
/// is checked (validity, non-repudiation key usage) at the build time of each request, not at
/// creation.
#[derive(Clone)]
pub struct dmp_identity {
    kind: Kind,
}

#[derive(Clone)]
enum Kind {
    Key(SigningIdentity),
    Callback {
        algorithm: SignatureAlgorithm,
        chain: Vec<Certificate>,
        callback: CCallback,
    },
}

/// The C callback and its `user_data`.
#[derive(Clone, Copy)]
struct CCallback {
    f: unsafe extern "C" fn(*mut c_void, *const u8, usize, *mut u8, usize, *mut usize) -> i32,
    user_data: *mut c_void,
}

// SAFETY: the library never dereferences `user_data`; it only passes it back to `f`. The
// documented contract of `dmp_identity` puts thread safety of the callback on the caller (it
// runs on the threads that call `dmp_feed_build`).
unsafe impl Send for CCallback {}
// SAFETY: as above.
unsafe impl Sync for CCallback {}

impl CCallback {
    fn sign(self, data: &[u8]) -> dmp_core::Result<Vec<u8>> {
        let mut sig = vec![0u8; DMP_SIGNATURE_CAPACITY];
        let mut len = 0usize;
        // SAFETY: `data` is valid for its length, `sig` for `sig.len()` writes and `len` for
        // a write, for the duration of the call; `user_data` is the caller's own.
        let rc = unsafe {
            (self.f)(
                self.user_data,
                data.as_ptr(),
                data.len(),
                sig.as_mut_ptr(),
                sig.len(),
                &mut len,
            )
        };
        if rc != 0 {
            return Err(dmp_core::Error::crypto(
                "callback",
                format!("the signing callback failed (it returned {rc})"),
            ));
        }
        if len == 0 || len > sig.len() {
            return Err(dmp_core::Error::crypto(
                "callback",
                format!(
                    "the signing callback reported a signature of {len} bytes (expected 1 to {})",
                    sig.len()
                ),
            ));
        }
        sig.truncate(len);
        Ok(sig)
    }
}

impl dmp_identity {
    /// The certificate chain, signing certificate first.
    fn chain(&self) -> &[Certificate] {
        match &self.kind {
            Kind::Key(id) => id.certificate_chain(),
            Kind::Callback { chain, .. } => chain,
        }
    }

    fn algorithm(&self) -> SignatureAlgorithm {
        match &self.kind {
            Kind::Key(id) => id.algorithm(),
            Kind::Callback { algorithm, .. } => *algorithm,
        }
    }

    /// A signer checked for signing at `at` with the DMP's policy (validity, not a CA,
    /// nonRepudiation). Made per request.
    pub(crate) fn signer_at(&self, at: DateTime<Utc>) -> FfiResult<Box<dyn Signer>> {
        Ok(self.core_signer_at(at)?)
    }

    fn core_signer_at(&self, at: DateTime<Utc>) -> dmp_core::Result<Box<dyn Signer>> {
        Ok(match &self.kind {
            Kind::Key(id) => Box::new(id.signer_at(at, UsagePolicy::DmpSignature)?),
            Kind::Callback {
                algorithm,
                chain,
                callback,
            } => {
                let cb = *callback;
                Box::new(CallbackSigner::new(
                    *algorithm,
                    chain.clone(),
                    Box::new(move |data: &[u8]| cb.sign(data)),
                    at,
                    UsagePolicy::DmpSignature,
                )?)
            }
        })
    }
}

// The documented thread safety rests on these.
const _: fn() = || {
    fn shareable<T: Send + Sync>() {}
    shareable::<dmp_identity>();
};

/// A copy of an identity (cheap: the key is shared) signs the landing search of `dmp_send` (a
/// TD2.1 or TD3.3 whose answer was lost), on the thread that called `dmp_send`.
impl dmp_transport::SignerSource for dmp_identity {
    fn signer_at(&self, at: DateTime<Utc>) -> dmp_core::Result<Box<dyn Signer>> {
        self.core_signer_at(at)
    }
}

/// A PKCS#12 identity: RSA keys sign with RSA-SHA1 (as every official DMP sample and
/// `dmp feed build`), EC P-256 keys with ECDSA-SHA256.
fn from_p12(p12: &[u8], password: &str) -> FfiResult<dmp_identity> {
    let id = SigningIdentity::from_pkcs12(p12, password)?;
    let id = if matches!(
        id.algorithm(),
        SignatureAlgorithm::RsaSha1 | SignatureAlgorithm::RsaSha256
    ) {
        id.with_algorithm(SignatureAlgorithm::RsaSha1)?
    } else {
        id
    };
    Ok(dmp_identity {
        kind: Kind::Key(id),
    })
}

/// Loads a signing identity from the bytes of a PKCS#12 file (`.p12`/`.pfx`, legacy 3DES or
/// modern AES) holding one private key (RSA 2048–4096 bits or EC P-256) and its chain.
///
/// RSA keys sign with RSA-SHA1 (as the official DMP samples), EC keys with ECDSA-SHA256.
/// Errors: `DMP_ERR_KEY` with `what` in the last-error record: `password` (wrong password),
/// `p12` (not PKCS#12, no key, several keys, no certificate for the key), `key` (unsupported
/// or too small key). The certificate's validity is checked when a request is built.
///
/// # Safety
/// `p12` is valid for `len` bytes; `password` is a NUL-terminated string; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn dmp_identity_new_from_p12(
    p12: *const u8,
    len: usize,
    password: *const c_char,
    out: *mut *mut dmp_identity,
) -> dmp_result {
    boundary(|| {
        // SAFETY: caller contract.
        let p12 = unsafe { arg_bytes(p12, len, "p12") }?;
        // SAFETY: caller contract.
        let password = unsafe { arg_str(password, "password") }?;
        let out = Out::required(out, "out")?;
        let id = from_p12(p12, password)?;
        // SAFETY: `out` checked non-NULL; caller contract.
        unsafe { out.put(Box::new(id)) };
        Ok(())
    })
}

/// Like `dmp_identity_new_from_p12`, reading the PKCS#12 file at `path` (UTF-8). A file
/// that cannot be read gives `DMP_ERR_INVALID_ARGUMENT` (argument `path`, the system's
/// reason in `detail`).
///
/// # Safety
/// `path` and `password` are NUL-terminated strings; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn dmp_identity_new_from_p12_file(
    path: *const c_char,
    password: *const c_char,
    out: *mut *mut dmp_identity,
) -> dmp_result {
    boundary(|| {
        // SAFETY: caller contract.
        let path = unsafe { arg_str(path, "path") }?;
        // SAFETY: caller contract.
        let password = unsafe { arg_str(password, "password") }?;
        let out = Out::required(out, "out")?;
        let p12 = std::fs::read(path).map_err(|e| {
            Failure::new(
                dmp_result::DMP_ERR_INVALID_ARGUMENT,
                format!("cannot read the PKCS#12 file {path:?}: {e}"),
            )
            .with("argument", "path")
            .with("value", path)
            .with("detail", e.to_string())
        })?;
        let id = from_p12(&p12, password)?;
        // SAFETY: `out` checked non-NULL; caller contract.
        unsafe { out.put(Box::new(id)) };
        Ok(())
    })
}

/// Creates a signing identity whose private key stays outside the library (a CPS card, an
/// HSM, a PKCS#11 token): `cb` signs, with `user_data` passed back to it (see
/// `dmp_sign_callback` for the contract, thread and lifetime rules).
///
/// - `algorithm`: `"rsa-sha1"` (as the official DMP samples), `"rsa-sha256"` or
///   `"ecdsa-p256-sha256"`; it must fit the key of the certificate.
/// - `chain_pem`: the certificate of the key first, then its issuers (PEM, concatenated).
///
/// `user_data` must stay valid until `dmp_identity_free`. Errors: `DMP_ERR_NULL_ARGUMENT`
/// for a NULL `cb`, `DMP_ERR_INVALID_ARGUMENT` for an unknown algorithm, `DMP_ERR_KEY` for
/// an unreadable chain or an algorithm that does not fit the key (`what`: `certificate`,
/// `algorithm`, `key`). The certificate is checked (validity, nonRepudiation) and every
/// signature the callback returns is verified when a request is built (a wrong signature
/// gives `DMP_ERR_KEY`, `what` `"signer"`).
///
/// # Safety
/// `algorithm` and `chain_pem` are NUL-terminated strings; `cb` is NULL or a function of the
/// `dmp_sign_callback` type; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn dmp_identity_new_from_callback(
    algorithm: *const c_char,
    chain_pem: *const c_char,
    cb: dmp_sign_callback,
    user_data: *mut c_void,
    out: *mut *mut dmp_identity,
) -> dmp_result {
    boundary(|| {
        // SAFETY: caller contract.
        let algorithm = unsafe { arg_str(algorithm, "algorithm") }?;
        // SAFETY: caller contract.
        let chain_pem = unsafe { arg_str(chain_pem, "chain_pem") }?;
        let f = cb.ok_or_else(|| Failure::null_argument("cb"))?;
        let out = Out::required(out, "out")?;
        let algorithm = match algorithm {
            "rsa-sha1" => SignatureAlgorithm::RsaSha1,
            "rsa-sha256" => SignatureAlgorithm::RsaSha256,
            "ecdsa-p256-sha256" => SignatureAlgorithm::EcdsaP256Sha256,
            other => {
                return Err(Failure::new(
                    dmp_result::DMP_ERR_INVALID_ARGUMENT,
                    format!(
                        "unknown signature algorithm {other:?}: expected rsa-sha1, rsa-sha256 \
                         or ecdsa-p256-sha256"
                    ),
                )
                .with("argument", "algorithm")
                .with("value", other))
            }
        };
        let chain = Certificate::chain_from_pem(chain_pem)?;
        if chain.is_empty() {
            return Err(
                dmp_core::Error::crypto("certificate", "no certificate in chain_pem").into(),
            );
        }
        // Checks the algorithm against the key now (the clock-dependent checks come at build
        // time): the validity check is disabled here.
        CallbackSigner::new(
            algorithm,
            chain.clone(),
            Box::new(|_: &[u8]| Ok(Vec::new())),
            DateTime::<Utc>::from(std::time::SystemTime::now()),
            UsagePolicy::AllowInvalid,
        )?;
        let id = dmp_identity {
            kind: Kind::Callback {
                algorithm,
                chain,
                callback: CCallback { f, user_data },
            },
        };
        // SAFETY: `out` checked non-NULL; caller contract.
        unsafe { out.put(Box::new(id)) };
        Ok(())
    })
}

/// Describes an identity (never its key material): `*out_json` receives
/// `{"kind": "pkcs12"|"callback", "algorithm": "rsa-sha1"|…, "subject": "<RFC 2253>",
///   "issuer": "<RFC 2253>", "serial": "<decimal>", "not_before": "<RFC 3339>",
///   "not_after": "<RFC 3339>", "structure_id": "…"|null, "alias": "…"|null,
///   "chain": ["<subject RFC 2253>", …]}` (`structure_id`: the IGC-Santé structure
/// identifier of the subject's OU, `1`+FINESS for an ORG certificate).
///
/// # Safety
/// `identity` is a live identity; `out_json` is writable.
#[no_mangle]
pub unsafe extern "C" fn dmp_identity_info(
    identity: *const dmp_identity,
    out_json: *mut *mut dmp_bytes,
) -> dmp_result {
    boundary(|| {
        // SAFETY: caller contract.
        let identity = unsafe { arg_ref(identity, "identity") }?;
        let out = Out::required(out_json, "out_json")?;
        let chain = identity.chain();
        let leaf = &chain[0];
        let (kind, alias) = match &identity.kind {
            Kind::Key(id) => ("pkcs12", id.alias()),
            Kind::Callback { .. } => ("callback", None),
        };
        let algorithm = match identity.algorithm() {
            SignatureAlgorithm::EcdsaP256Sha256 => "ecdsa-p256-sha256",
            a => a.name(),
        };
        let json = to_json(&serde_json::json!({
            "kind": kind,
            "algorithm": algorithm,
            "subject": leaf.subject_rfc2253(),
            "issuer": leaf.issuer_rfc2253(),
            "serial": leaf.serial_decimal(),
            "not_before": leaf.not_before().to_rfc3339(),
            "not_after": leaf.not_after().to_rfc3339(),
            "structure_id": leaf.structure_id(),
            "alias": alias,
            "chain": chain.iter().map(Certificate::subject_rfc2253).collect::<Vec<_>>(),
        }))?;
        // SAFETY: `out` checked non-NULL; caller contract.
        unsafe { out.put(dmp_bytes::text(json)) };
        Ok(())
    })
}

/// Releases an identity (and the key it holds). NULL is a no-op. Freeing twice is undefined
/// behaviour.
///
/// # Safety
/// `identity` is NULL or an identity from this library, not yet freed, used by no thread.
#[no_mangle]
pub unsafe extern "C" fn dmp_identity_free(identity: *mut dmp_identity) {
    crate::ffi::boundary_or((), || {
        // SAFETY: NULL or an unfreed identity handed out by this library.
        unsafe { free_box(identity) }
    })
}
