//! Identifier checks: INS, RPPS, FINESS, IdNat_PS.
//!
//! Each returns `DMP_OK` for a valid identifier or `DMP_ERR_INVALID` with the field, rule
//! and value in the last error. The output (canonical form) is optional: pass NULL to
//! check only.

use std::ffi::c_char;

use dmp_core::ids::{Finess, IdNatPs, Ins, Rpps};

use crate::bytes::dmp_bytes;
use crate::error::dmp_result;
use crate::ffi::{arg_str, boundary, FfiResult, Out};

/// Hands `text` to an optional output slot.
///
/// # Safety
/// `out` is NULL or valid for a pointer-sized write.
unsafe fn give_text(
    out: *mut *mut dmp_bytes,
    text: impl FnOnce() -> FfiResult<String>,
) -> FfiResult {
    if let Some(out) = Out::optional(out) {
        let b = dmp_bytes::text(text()?);
        // SAFETY: caller contract on `out`.
        unsafe { out.put(b) };
    }
    Ok(())
}

/// Checks an INS: `matricule` (NIR or NIA, 15 characters with its key) and `oid`, one of
/// the four INS OIDs (`1.2.250.1.213.1.4.8` NIR, `1.2.250.1.213.1.4.9` NIA,
/// `1.2.250.1.213.1.4.10` test, `1.2.250.1.213.1.4.11` demonstration).
///
/// On success, when `out_cx` is not NULL, `*out_cx` receives the HL7 CX form
/// (`<matricule>^^^&<OID>&ISO^NH`), to free with `dmp_bytes_free`.
///
/// # Safety
/// `matricule` and `oid` are NUL-terminated strings; `out_cx` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn dmp_check_ins(
    matricule: *const c_char,
    oid: *const c_char,
    out_cx: *mut *mut dmp_bytes,
) -> dmp_result {
    boundary(|| {
        // SAFETY: caller contract (NUL-terminated or NULL).
        let matricule = unsafe { arg_str(matricule, "matricule") }?;
        // SAFETY: as above.
        let oid = unsafe { arg_str(oid, "oid") }?;
        let ins = Ins::parse(matricule, oid)?;
        // SAFETY: caller contract on `out_cx`.
        unsafe { give_text(out_cx, || Ok(ins.to_cx())) }
    })
}

/// Checks an INS in HL7 CX form (`<matricule>^^^&<OID>&ISO^NH`, later components ignored).
///
/// On success, when `out_json` is not NULL, `*out_json` receives the INS as the JSON object
/// used everywhere else (e.g. `patient.ins` of a CDA header):
/// `{"matricule":"…","oid":"…"}`.
///
/// # Safety
/// `cx` is a NUL-terminated string; `out_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn dmp_check_ins_cx(
    cx: *const c_char,
    out_json: *mut *mut dmp_bytes,
) -> dmp_result {
    boundary(|| {
        // SAFETY: caller contract.
        let cx = unsafe { arg_str(cx, "cx") }?;
        let ins = Ins::from_cx(cx)?;
        // SAFETY: caller contract on `out_json`.
        unsafe { give_text(out_json, || crate::to_json(&ins)) }
    })
}

/// Checks an RPPS number (11 digits, Luhn key).
///
/// On success, when `out_idnat` is not NULL, `*out_idnat` receives the professional's
/// IdNat_PS (`8` + RPPS).
///
/// # Safety
/// `rpps` is a NUL-terminated string; `out_idnat` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn dmp_check_rpps(
    rpps: *const c_char,
    out_idnat: *mut *mut dmp_bytes,
) -> dmp_result {
    boundary(|| {
        // SAFETY: caller contract.
        let rpps: Rpps = unsafe { arg_str(rpps, "rpps") }?.parse()?;
        // SAFETY: caller contract on `out_idnat`.
        unsafe { give_text(out_idnat, || Ok(IdNatPs::Rpps(rpps).to_string())) }
    })
}

/// Checks a FINESS number (9 characters, Luhn key; Corsican `2A`/`2B`).
///
/// On success, when `out_canonical` is not NULL, `*out_canonical` receives the canonical
/// form (`2a` becomes `2A`).
///
/// # Safety
/// `finess` is a NUL-terminated string; `out_canonical` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn dmp_check_finess(
    finess: *const c_char,
    out_canonical: *mut *mut dmp_bytes,
) -> dmp_result {
    boundary(|| {
        // SAFETY: caller contract.
        let finess: Finess = unsafe { arg_str(finess, "finess") }?.parse()?;
        // SAFETY: caller contract on `out_canonical`.
        unsafe { give_text(out_canonical, || Ok(finess.to_string())) }
    })
}

/// Checks a national identifier of a professional, IdNat_PS (`8`+RPPS, `0`+ADELI,
/// `3`+FINESS+`/`+local id, …).
///
/// On success, when `out_canonical` is not NULL, `*out_canonical` receives its canonical
/// form.
///
/// # Safety
/// `idnat` is a NUL-terminated string; `out_canonical` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn dmp_check_idnat(
    idnat: *const c_char,
    out_canonical: *mut *mut dmp_bytes,
) -> dmp_result {
    boundary(|| {
        // SAFETY: caller contract.
        let idnat: IdNatPs = unsafe { arg_str(idnat, "idnat") }?.parse()?;
        // SAFETY: caller contract on `out_canonical`.
        unsafe { give_text(out_canonical, || Ok(idnat.to_string())) }
    })
}
