//! Habilitation: the consultation matrix (`dmp_matrix`), the functional rights, and the
//! "professionnels concernés" staff report.
//!
//! Explanatory only: the DMP server applies the matrix and the rights; use these answers to
//! pre-filter and to explain, never as a security control.

use std::ffi::c_char;

use dmp_core::habilitation::{
    AccessMode, Actor, Authentication, Matrix, MatrixInfo, Permission, Reader, Rights, Settings,
    StaffList, StaffReport,
};
use dmp_core::model::{FonctionEssms, Profession};
use serde::Deserialize;

use crate::bytes::dmp_bytes;
use crate::error::dmp_result;
use crate::ffi::{arg_ref, arg_str, boundary, free_box, parse_json, FfiResult, Out};
use crate::to_json;

/// A habilitation (consultation) matrix: one version of the table, with its settings.
///
/// Created by `dmp_matrix_new_default`, `dmp_matrix_new_from_csv`,
/// `dmp_matrix_new_from_json` or `dmp_matrix_with_settings`; released by `dmp_matrix_free`.
///
/// **Immutable once created**: every function taking a `const dmp_matrix *` only reads it,
/// so one matrix may be shared by any number of threads at once without locking. It must
/// not be freed while another thread uses it, and must be freed exactly once.
pub struct dmp_matrix {
    inner: Matrix,
}

// The documented thread safety rests on these: fail to compile if the core ever changes them.
const _: fn() = || {
    fn shareable<T: Send + Sync>() {}
    shareable::<dmp_matrix>();
    shareable::<crate::bytes::dmp_bytes>();
};

/// The settings document of `dmp_matrix_with_settings` (strict: unknown members are
/// refused, so that a typo is not silently ignored).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsJson {
    #[serde(default)]
    social_rows_in_force: bool,
}

/// The reader document of `dmp_matrix_decide` (strict, as above).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReaderJson {
    #[serde(default)]
    profession: Option<Profession>,
    #[serde(default)]
    function: Option<FonctionEssms>,
}

impl From<ReaderJson> for Reader {
    fn from(r: ReaderJson) -> Reader {
        Reader {
            profession: r.profession,
            function: r.function,
        }
    }
}

/// The embedded functional-rights tables. Parsed on each call (about 0.6 ms in a release
/// build) rather than cached: the library keeps no process-wide state.
fn rights() -> FfiResult<Rights> {
    Ok(Rights::embedded()?)
}

/// Hands a new matrix to `out`.
///
/// # Safety
/// `out`'s slot is valid for a write.
unsafe fn give_matrix(out: Out<dmp_matrix>, m: Matrix) {
    // SAFETY: forwarded caller contract.
    unsafe { out.put(Box::new(dmp_matrix { inner: m })) };
}

/// Creates the embedded provisional matrix (`provisional-2023-10-26`), default settings
/// (social and medico-social rows not in force).
///
/// # Safety
/// `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn dmp_matrix_new_default(out: *mut *mut dmp_matrix) -> dmp_result {
    boundary(|| {
        let out = Out::required(out, "out")?;
        let m = Matrix::embedded()?;
        // SAFETY: `out` checked non-NULL; caller contract.
        unsafe { give_matrix(out, m) };
        Ok(())
    })
}

/// Creates a matrix from its long CSV form
/// (`row_id,row_code_system,row_codes,type_code,value[,status,reasoning,source…]`; without a
/// `status` column every cell is official).
///
/// `info_json` describes the version and is copied into every decision's provenance:
/// `{"id": "…", "title": "…", "date": "…", "legal_basis": "…", "note": "…"}` (`note`
/// optional, `id` non-empty). Errors: `DMP_ERR_JSON` for `info_json`, `DMP_ERR_DATA` with
/// the CSV line for the table.
///
/// # Safety
/// `csv` and `info_json` are NUL-terminated strings; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn dmp_matrix_new_from_csv(
    csv: *const c_char,
    info_json: *const c_char,
    out: *mut *mut dmp_matrix,
) -> dmp_result {
    boundary(|| {
        // SAFETY: caller contract.
        let csv = unsafe { arg_str(csv, "csv") }?;
        // SAFETY: caller contract.
        let info_json = unsafe { arg_str(info_json, "info_json") }?;
        let out = Out::required(out, "out")?;
        let info: MatrixInfo = parse_json(info_json, "info_json")?;
        let m = Matrix::from_csv(info, csv)?;
        // SAFETY: `out` checked non-NULL; caller contract.
        unsafe { give_matrix(out, m) };
        Ok(())
    })
}

/// Creates a matrix from its JSON document (`"format": "dmp-habilitation-matrix/1"`, with
/// `info`, `rows`, `document_types` and `cells`).
///
/// # Safety
/// `json` is a NUL-terminated string; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn dmp_matrix_new_from_json(
    json: *const c_char,
    out: *mut *mut dmp_matrix,
) -> dmp_result {
    boundary(|| {
        // SAFETY: caller contract.
        let json = unsafe { arg_str(json, "json") }?;
        let out = Out::required(out, "out")?;
        let m = Matrix::from_json(json)?;
        // SAFETY: `out` checked non-NULL; caller contract.
        unsafe { give_matrix(out, m) };
        Ok(())
    })
}

/// Creates a copy of `matrix` with other settings (the original is unchanged: handles are
/// immutable). `settings_json`: `{"social_rows_in_force": true}` applies the cells of the
/// social and medico-social rows (default `false`: reported as not yet in force). Unknown
/// members are refused (`DMP_ERR_JSON`).
///
/// # Safety
/// `matrix` is a live matrix; `settings_json` a NUL-terminated string; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn dmp_matrix_with_settings(
    matrix: *const dmp_matrix,
    settings_json: *const c_char,
    out: *mut *mut dmp_matrix,
) -> dmp_result {
    boundary(|| {
        // SAFETY: caller contract.
        let matrix = unsafe { arg_ref(matrix, "matrix") }?;
        // SAFETY: caller contract.
        let settings_json = unsafe { arg_str(settings_json, "settings_json") }?;
        let out = Out::required(out, "out")?;
        let s: SettingsJson = parse_json(settings_json, "settings_json")?;
        let settings = Settings {
            social_rows_in_force: s.social_rows_in_force,
        };
        let m = matrix.inner.clone().with_settings(settings);
        // SAFETY: `out` checked non-NULL; caller contract.
        unsafe { give_matrix(out, m) };
        Ok(())
    })
}

/// Describes `matrix` as JSON: `{"info": {…}, "settings": {"social_rows_in_force": …},
/// "rows": n, "document_types": n, "cells": n}`.
///
/// # Safety
/// `matrix` is a live matrix; `out_json` writable.
#[no_mangle]
pub unsafe extern "C" fn dmp_matrix_info(
    matrix: *const dmp_matrix,
    out_json: *mut *mut dmp_bytes,
) -> dmp_result {
    boundary(|| {
        // SAFETY: caller contract.
        let m = &unsafe { arg_ref(matrix, "matrix") }?.inner;
        let out = Out::required(out_json, "out_json")?;
        let json = to_json(&serde_json::json!({
            "info": m.info(),
            "settings": m.settings(),
            "rows": m.rows().len(),
            "document_types": m.document_types().len(),
            "cells": m.cell_count(),
        }))?;
        // SAFETY: `out` checked non-NULL; caller contract.
        unsafe { out.put(dmp_bytes::text(json)) };
        Ok(())
    })
}

/// Decides whether a reader may consult a document type.
///
/// `reader_json`: `{"profession": {"system": "TRE_G15", "code": "60"}, "function":
/// "coordination"}` (both optional; unknown members refused). `type_code`: an XDS
/// `typeCode` (LOINC), e.g. `74207-2`.
///
/// `*out_json` receives the decision: `{"outcome": "allowed"|"denied"|"unknown", "basis":
/// "cell"|"not_in_force"|"unknown_reader"|"unknown_type"|"no_cell", "reason": "…",
/// "row_id": …, "type_code": "…", "cell_value": …, "provenance": {"status", "source",
/// "reasoning", "matrix_id"} | null}`. A denial is a normal answer (`DMP_OK`).
///
/// # Safety
/// `matrix` is a live matrix; strings NUL-terminated; `out_json` writable.
#[no_mangle]
pub unsafe extern "C" fn dmp_matrix_decide(
    matrix: *const dmp_matrix,
    reader_json: *const c_char,
    type_code: *const c_char,
    out_json: *mut *mut dmp_bytes,
) -> dmp_result {
    boundary(|| {
        // SAFETY: caller contract.
        let m = &unsafe { arg_ref(matrix, "matrix") }?.inner;
        // SAFETY: caller contract.
        let reader_json = unsafe { arg_str(reader_json, "reader_json") }?;
        // SAFETY: caller contract.
        let type_code = unsafe { arg_str(type_code, "type_code") }?;
        let out = Out::required(out_json, "out_json")?;
        let reader: ReaderJson = parse_json(reader_json, "reader_json")?;
        let json = to_json(&m.decide(&reader.into(), type_code))?;
        // SAFETY: `out` checked non-NULL; caller contract.
        unsafe { out.put(dmp_bytes::text(json)) };
        Ok(())
    })
}

/// The document types a reader may consult: a JSON array of decisions (as
/// `dmp_matrix_decide`), one per allowed type, in the matrix's order.
///
/// # Safety
/// As `dmp_matrix_decide`.
#[no_mangle]
pub unsafe extern "C" fn dmp_matrix_readable_types(
    matrix: *const dmp_matrix,
    reader_json: *const c_char,
    out_json: *mut *mut dmp_bytes,
) -> dmp_result {
    boundary(|| {
        // SAFETY: caller contract.
        let m = &unsafe { arg_ref(matrix, "matrix") }?.inner;
        // SAFETY: caller contract.
        let reader_json = unsafe { arg_str(reader_json, "reader_json") }?;
        let out = Out::required(out_json, "out_json")?;
        let reader: ReaderJson = parse_json(reader_json, "reader_json")?;
        let json = to_json(&m.readable_types(&reader.into()))?;
        // SAFETY: `out` checked non-NULL; caller contract.
        unsafe { out.put(dmp_bytes::text(json)) };
        Ok(())
    })
}

/// Releases a matrix. NULL is a no-op. No other thread may be using it.
///
/// # Safety
/// `matrix` is NULL or a matrix from this library that was not freed yet.
#[no_mangle]
pub unsafe extern "C" fn dmp_matrix_free(matrix: *mut dmp_matrix) {
    crate::ffi::boundary_or((), || {
        // SAFETY: NULL or an unfreed matrix handed out by this library.
        unsafe { free_box(matrix) }
    })
}

/// Parses one of the snake_case enum names of the rights tables.
fn parse_name<T: serde::de::DeserializeOwned>(field: &str, value: &str) -> FfiResult<T> {
    serde_json::from_value(serde_json::Value::String(value.to_owned()))
        .map_err(|e| dmp_core::Error::invalid(field, e.to_string(), value).into())
}

/// The functional rights (embedded GIE SESAM-Vitale tables PDT-INF-526 v1.8 and
/// PDT-INF-606 v1.3) of a login for one DMP transaction.
///
/// - `auth`: `indirecte_certificat_es`, `directe_cps`, `directe_cpe` or `air`;
/// - `actor`: `ps_non_medecin`, `medecin`, `medecin_traitant`, `medecin_du_travail`,
///   `non_ps`;
/// - `mode`: `normal`, `centre_15`, `bris_de_glace`;
/// - `transaction`: as printed, e.g. `TD2.1`, `TD3.2`, `TD0.2`.
///
/// `*out_json` receives `{"transaction": "…", "allowed": bool, "rows": [{"document",
/// "transaction", "parent_transaction", "label", "permission": "allowed"|"denied"|
/// "not_applicable", "footnotes", "profile", "column", "cell", "withdrawn"}…]}`; `allowed`
/// is true when at least one printed, non-withdrawn row says `oui`. An unknown transaction
/// gives no rows. The tables are embedded and read-only: safe from any thread. (Each call
/// parses them, well under a millisecond.)
///
/// # Safety
/// Strings NUL-terminated; `out_json` writable.
#[no_mangle]
pub unsafe extern "C" fn dmp_rights_decide(
    auth: *const c_char,
    actor: *const c_char,
    mode: *const c_char,
    transaction: *const c_char,
    out_json: *mut *mut dmp_bytes,
) -> dmp_result {
    boundary(|| {
        // SAFETY: caller contract.
        let auth = unsafe { arg_str(auth, "auth") }?;
        // SAFETY: caller contract.
        let actor = unsafe { arg_str(actor, "actor") }?;
        // SAFETY: caller contract.
        let mode = unsafe { arg_str(mode, "mode") }?;
        // SAFETY: caller contract.
        let transaction = unsafe { arg_str(transaction, "transaction") }?;
        let out = Out::required(out_json, "out_json")?;
        let auth: Authentication = parse_name("auth", auth)?;
        let actor: Actor = parse_name("actor", actor)?;
        let mode: AccessMode = parse_name("mode", mode)?;
        let rows = rights()?.decide(auth, actor, mode, transaction);
        let allowed = rows
            .iter()
            .any(|d| !d.withdrawn && d.permission == Permission::Allowed);
        let json = to_json(&serde_json::json!({
            "transaction": transaction,
            "allowed": allowed,
            "rows": rows,
        }))?;
        // SAFETY: `out` checked non-NULL; caller contract.
        unsafe { out.put(dmp_bytes::text(json)) };
        Ok(())
    })
}

/// Builds the staff report for `staff_json` (a structure and its staff list,
/// `docs/schema/staff.schema.json`).
///
/// # Safety
/// `matrix` live; `staff_json` NUL-terminated.
unsafe fn staff_report(
    matrix: *const dmp_matrix,
    staff_json: *const c_char,
) -> FfiResult<StaffReport> {
    // SAFETY: caller contract.
    let m = &unsafe { arg_ref(matrix, "matrix") }?.inner;
    // SAFETY: caller contract.
    let staff_json = unsafe { arg_str(staff_json, "staff_json") }?;
    let list: StaffList = parse_json(staff_json, "staff_json")?;
    Ok(StaffReport::build(&list, m, &rights()?))
}

/// The "professionnels concernés" staff report as JSON
/// (`docs/schema/staff-report.schema.json`): for each person, whether they may feed the
/// DMP through the establishment's certificate, consult it (and whether a CPS/e-CPS is
/// missing), and which document types `matrix` lets them read. Errors in `staff_json` name
/// the JSON path (`staff[2].idnat`).
///
/// # Safety
/// `matrix` live; `staff_json` NUL-terminated; `out_json` writable.
#[no_mangle]
pub unsafe extern "C" fn dmp_staff_report(
    matrix: *const dmp_matrix,
    staff_json: *const c_char,
    out_json: *mut *mut dmp_bytes,
) -> dmp_result {
    boundary(|| {
        let out = Out::required(out_json, "out_json")?;
        // SAFETY: caller contract.
        let report = unsafe { staff_report(matrix, staff_json) }?;
        let json = report.to_json()?;
        // SAFETY: `out` checked non-NULL; caller contract.
        unsafe { out.put(dmp_bytes::text(json)) };
        Ok(())
    })
}

/// The same report as `dmp_staff_report`, as a readable UTF-8 text table followed by one
/// line of reasons per person (what `dmp staff-report` prints).
///
/// # Safety
/// As `dmp_staff_report`.
#[no_mangle]
pub unsafe extern "C" fn dmp_staff_report_text(
    matrix: *const dmp_matrix,
    staff_json: *const c_char,
    out_text: *mut *mut dmp_bytes,
) -> dmp_result {
    boundary(|| {
        let out = Out::required(out_text, "out_text")?;
        // SAFETY: caller contract.
        let report = unsafe { staff_report(matrix, staff_json) }?;
        // SAFETY: `out` checked non-NULL; caller contract.
        unsafe { out.put(dmp_bytes::text(report.to_string())) };
        Ok(())
    })
}
