//! # dmp-core
//!
//! The pure-Rust core of `dmp`, a library that lets the software of French social and
//! medico-social establishments (ESSMS) feed and consult the DMP (Dossier Médical Partagé).
//!
//! This crate does no I/O and keeps no global state: every function is a function of its
//! arguments. Data it needs (nomenclatures, the habilitation matrix, the functional-rights
//! tables) is embedded at build time and can be replaced at run time where the law changes
//! faster than releases (the matrix).
//!
//! Map of the modules, in the order data flows:
//! - [`error`]: the one error type; every validation error names field, rule and value.
//! - [`ids`]: validated identifiers (INS, RPPS, ADELI, IdNat_PS, FINESS, OID) and their HL7 forms.
//! - [`codes`]: the ANS nomenclatures (generated tables) and lookups.
//! - [`model`]: usager, professionnel, structure, document kinds.
//! - [`habilitation`]: the consultation matrix, the functional rights by authentication mode,
//!   and the "professionnels concernés" staff report.
//! - [`xml`]: the escaping writer and the hardened reader (no DTD, no entity expansion, limits).
//! - [`cda`]: CDA R2 documents (CI-SIS structuration minimale, N1 body): build and read.
//! - [`xds`]: XDS.b metadata of a TD2.1 submission (DocumentEntry derived from the CDA header,
//!   SubmissionSet, signature entry, replacement) and the registry's response.
//! - [`crypto`]: certificates (RFC 2253 DNs as the DMP shows them), chain checks, PKCS#12/PEM
//!   signing identities and the `Signer` trait used by the XML signatures.
//! - [`vihf`]: the VIHF SAML 2.0 assertion (unsigned) naming user, structure, patient, access
//!   mode and software, for the three authentication modes.
//! - [`soap`]: SOAP 1.2 envelopes (WS-Addressing, `wsse:Security`), MTOM/XOP multipart
//!   requests and their parsing, SOAP faults, the DMP endpoint paths.
//! - [`xmldsig`]: XML-DSig enveloped signing (the VIHF) and the verifier of every XML
//!   signature (VIHF, XAdES, whole SOAP/MTOM messages), with anti-wrapping checks.
//! - [`xades`]: the enveloping XAdES signature of a submission set over an IHE manifest.
//! - [`feed`]: one TD2.1 transaction as a pure function: request file, pre-send checks, the
//!   signed MTOM request, the check of a built request, the response.
//! - [`json`]: reading the model from JSON with errors that carry the field path.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cda;
pub mod codes;
pub mod crypto;
pub mod csv;
pub mod error;
pub mod feed;
pub mod habilitation;
pub mod ids;
pub mod json;
pub mod model;
pub mod soap;
pub mod vihf;
pub mod xades;
pub mod xds;
pub mod xml;
pub mod xmldsig;

pub use error::{Error, Invalid, Result};

/// Version of this crate, as in its `Cargo.toml`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
