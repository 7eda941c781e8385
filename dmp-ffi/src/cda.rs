//! CDA R2 documents (CI-SIS structuration minimale, N1 body): build and read.

use std::ffi::c_char;

use dmp_core::cda::{self, CdaHeader, Content, MediaType};

use crate::bytes::dmp_bytes;
use crate::error::{dmp_result, Failure};
use crate::ffi::{arg_bytes, arg_str, boundary, parse_json, Out};
use crate::to_json;

/// Builds a CDA R2 N1 document: the exact bytes to send to the DMP (UTF-8, no BOM,
/// deterministic: the same inputs give the same bytes).
///
/// - `header_json`: the CDA header as JSON (the `header` object of a case file,
///   `docs/schema/cda-case.schema.json`; sample: `examples/data/cases/dlu.json`). Errors
///   name the JSON path (`DMP_ERR_JSON`, e.g. `patient.ins.matricule`) or the model field
///   (`DMP_ERR_INVALID`).
/// - `content`, `content_len`: the file to embed (not base64), non-empty.
/// - `media_type`: `application/pdf`, `text/plain`, `image/jpeg`, `image/tiff` or
///   `text/rtf` (case-insensitive).
///
/// `*out_xml` receives the document. The caller owns it (`dmp_bytes_free`).
///
/// # Safety
/// `header_json` and `media_type` are NUL-terminated strings; `content` is valid for
/// `content_len` bytes; `out_xml` is writable.
#[no_mangle]
pub unsafe extern "C" fn dmp_cda_build(
    header_json: *const c_char,
    content: *const u8,
    content_len: usize,
    media_type: *const c_char,
    out_xml: *mut *mut dmp_bytes,
) -> dmp_result {
    boundary(|| {
        // SAFETY: caller contract.
        let header_json = unsafe { arg_str(header_json, "header_json") }?;
        // SAFETY: caller contract.
        let data = unsafe { arg_bytes(content, content_len, "content") }?;
        // SAFETY: caller contract.
        let media_type = unsafe { arg_str(media_type, "media_type") }?;
        let out = Out::required(out_xml, "out_xml")?;
        let media_type = MediaType::from_mime(media_type).ok_or_else(|| {
            let all: Vec<&str> = MediaType::ALL.iter().map(|m| m.mime()).collect();
            dmp_core::Error::invalid(
                "media_type",
                format!("must be one of {}", all.join(", ")),
                media_type,
            )
        })?;
        if data.is_empty() {
            // As the case format does (`cda::build` itself accepts an empty body).
            return Err(
                dmp_core::Error::invalid("content", "the body must not be empty", "").into(),
            );
        }
        let header: CdaHeader = parse_json(header_json, "header_json")?;
        let content = Content {
            media_type,
            data: data.to_vec(),
        };
        let xml = cda::build(&header, &content)?;
        // SAFETY: `out` checked non-NULL; caller contract.
        unsafe { out.put(dmp_bytes::new(xml)) };
        Ok(())
    })
}

/// Reads a CDA R2 document (ours or anyone's) with the hardened XML reader (no DTD, no
/// entity expansion, size and depth limits).
///
/// `*out_header_json` receives
/// `{"header": {…}, "content": {"media_type": "…", "bytes": n} | null,
///   "model": {…} | null, "model_error": {…} | null}`:
/// - `header`: the header as the XML shows it (lenient: any well-formed CDA reads);
/// - `content`: the N1 body's media type and decoded size (`null` for a structured or
///   missing body);
/// - `model`: the header validated into the model, in the very form `dmp_cda_build`
///   takes as `header_json`, or `null` when it does not validate;
/// - `model_error`: then, why (a record like `dmp_last_error_json`'s).
///
/// `out_content` may be NULL when the body is not wanted. Otherwise, on success,
/// `*out_content` receives the decoded N1 body (the file's bytes), or NULL when the document
/// has no N1 body.
///
/// Errors: `DMP_ERR_XML` for a document that is not well-formed, has no `ClinicalDocument`
/// in the HL7 namespace, or has an N1 body that cannot be decoded.
///
/// # Safety
/// `xml` is valid for `xml_len` bytes; `out_header_json` is writable; `out_content` is NULL
/// or writable.
#[no_mangle]
pub unsafe extern "C" fn dmp_cda_read(
    xml: *const u8,
    xml_len: usize,
    out_header_json: *mut *mut dmp_bytes,
    out_content: *mut *mut dmp_bytes,
) -> dmp_result {
    boundary(|| {
        // SAFETY: caller contract.
        let xml = unsafe { arg_bytes(xml, xml_len, "xml") }?;
        let out_header = Out::required(out_header_json, "out_header_json")?;
        let out_content = Out::optional(out_content);
        let doc = cda::read(xml)?;
        let (model, model_error) = match doc.to_header() {
            Ok(h) => (serde_json::to_value(h).ok(), None),
            Err(e) => (None, Some(Failure::from(e).to_value())),
        };
        let json = to_json(&serde_json::json!({
            "header": doc.header,
            "content": doc.content.as_ref().map(|c| serde_json::json!({
                "media_type": c.media_type,
                "bytes": c.data.len(),
            })),
            "model": model,
            "model_error": model_error,
        }))?;
        // Everything is ready: only now write the outputs.
        let body = doc.content.map(|c| dmp_bytes::new(c.data));
        if let Some(out) = out_content {
            match body {
                // SAFETY: `out` non-NULL (optional slot given); caller contract.
                Some(b) => unsafe { out.put(b) },
                // SAFETY: as above.
                None => unsafe { out.put_null() },
            }
        }
        // SAFETY: `out_header` checked non-NULL; caller contract.
        unsafe { out_header.put(dmp_bytes::text(json)) };
        Ok(())
    })
}
