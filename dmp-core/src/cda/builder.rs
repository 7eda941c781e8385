//! [`build`]: a [`CdaHeader`] and an N1 [`Content`] to the bytes of a CDA R2 document, as
//! the CI-SIS "structuration minimale" wants them.
//!
//! Elements are written in CDA schema order, one per line, indented by two spaces; the base64
//! body is one line. Every coded element carries `code`, `displayName` and `codeSystem` from
//! the nomenclature tables of [`codes`] (no `codeSystemName`: optional, and it would be a
//! hand-typed string). Times are local with their UTC offset, to the second.

use std::borrow::Cow;
use std::io::Write;

use chrono::{DateTime, Datelike, FixedOffset, Timelike};

use super::header::{Author, CdaHeader, CdaOrganization, CdaPerson, Content};
use crate::codes::{self, Concept};
use crate::crypto::DigestAlgorithm;
use crate::error::{Error, Result};
use crate::ids::oid::{PS_IDNAT, STRUCT_IDNAT};
use crate::model::ConfidentialityLevel;
use crate::xml::c14n::{canonicalize, C14nMethod};
use crate::xml::reader::Limits;
use crate::xml::tree::Tree;
use crate::xml::writer::{self, Attr, XmlWriter};

/// CDA R2 namespace, default namespace of the document (structuration minimale p.11).
const HL7_NS: &str = "urn:hl7-org:v3";
/// XML Schema instance namespace, declared on the root as in every CI-SIS example.
const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";
/// `realmCode/@code` (structuration minimale p.18).
const REALM: &str = "FR";
/// `typeId/@root`: HL7 CDA R2 (structuration minimale p.18).
const TYPE_ID_ROOT: &str = "2.16.840.1.113883.1.3";
/// `typeId/@extension`: the CDA R2 message type (structuration minimale p.18).
const TYPE_ID_EXTENSION: &str = "POCD_HD000040";
/// `languageCode/@code` (structuration minimale p.22).
const LANGUAGE: &str = "fr-FR";
/// `legalAuthenticator/signatureCode/@code` (structuration minimale p.72).
const SIGNATURE_CODE: &str = "S";
/// `relatedDocument/@typeCode` of a new version (structuration minimale p.23, p.102).
const REPLACE: &str = "RPLC";
/// `performer/@typeCode` of the main service event (structuration minimale p.98).
const PERFORMER: &str = "PRF";
/// `text/@representation` of an N1 body (structuration minimale p.137).
const B64: &str = "B64";
/// JDV_J01 / TRE_A00 code of a DUI software author (TDDUI IG, entête CDA).
pub const DEVICE_AUTHOR_CODE: &str = "LOGICIEL_DUI";

/// `templateId/@root` of the HL7 France conformance (structuration minimale p.19).
pub const TEMPLATE_HL7_FRANCE: &str = "2.16.840.1.113883.2.8.2.1";
/// `templateId/@root` of the CI-SIS conformance (structuration minimale p.19).
pub const TEMPLATE_CI_SIS: &str = "1.2.250.1.213.1.1.1.1";
/// `templateId/@root` of an unstructured (N1, IHE XDS-SD) document (structuration minimale p.19).
pub const TEMPLATE_N1: &str = "1.3.6.1.4.1.19376.1.2.20";
/// The templateIds of an N1 document, in the required order (structuration minimale p.19).
pub const N1_TEMPLATE_IDS: [&str; 3] = [TEMPLATE_HL7_FRANCE, TEMPLATE_CI_SIS, TEMPLATE_N1];

/// Room for the header: a full header is about 6 KiB.
const HEADER_CAPACITY: usize = 16 * 1024;

/// Builds the CDA R2 N1 document of `header` with `content` as its base64 body.
///
/// Calls [`CdaHeader::validate`] first, then checks that every free text can be written in
/// XML 1.0 (an error names the model field, e.g. `patient.traits.birth_family_name`). The
/// output is UTF-8 without BOM, starts with the XML declaration, has no
/// `xsi:schemaLocation`, and is deterministic: the same inputs give the same bytes. The bytes
/// are returned only when the whole document was written.
///
/// Memory: the output buffer is reserved once (its exact size, [`PreparedCda::len`]) and the
/// payload is encoded straight into it, so a 20 MB PDF costs the input plus the ~27 MB output.
pub fn build(header: &CdaHeader, content: &Content) -> Result<Vec<u8>> {
    let cda = prepare(header, Cow::Borrowed(content))?;
    let mut out = Vec::new();
    out.try_reserve_exact(cda.len())
        .map_err(|_| cda.too_big())?;
    cda.write_into(&mut out, |_| {})?;
    Ok(out)
}

/// Writes the header of the document of `header` and `content` (every check of [`build`])
/// but not its body: the exact size is then known ([`PreparedCda::len`]) before the
/// payload's megabytes are encoded, and the body is encoded straight into the caller's
/// buffer ([`PreparedCda::write_into`], [`PreparedCda::write_digesting`]).
pub fn prepare<'a>(header: &CdaHeader, content: Cow<'a, Content>) -> Result<PreparedCda<'a>> {
    header.validate()?;
    check_free_text(header)?;
    if content.data.is_empty() {
        return Err(Error::invalid(
            "content.data",
            "the N1 body must not be empty",
            "",
        ));
    }
    content.check_format()?;
    let body_len = base64::encoded_len(content.data.len(), true).ok_or_else(|| {
        Error::invalid(
            "content.data",
            "too large to build the document in memory",
            format!("{} bytes", content.data.len()),
        )
    })?;
    let mut w = XmlWriter::try_with_capacity(HEADER_CAPACITY)?;
    let mut split = 0;
    w.declaration();
    w.elem(
        "ClinicalDocument",
        &[("xmlns", HL7_NS), ("xmlns:xsi", XSI_NS)],
        |w| {
            document_header(w, header)?;
            record_target(w, header)?;
            for (i, author) in header.authors.iter().enumerate() {
                write_author(w, author, &header.structure)
                    .map_err(|e| e.at(&format!("authors[{i}]")))?;
            }
            custodian(w, &header.structure)?;
            legal_authenticator(w, header)?;
            documentation_of(w, header)?;
            if let Some(parent) = &header.replaces {
                w.elem("relatedDocument", &[("typeCode", REPLACE)], |w| {
                    w.elem("parentDocument", &[], |w| {
                        w.empty("id", &[("root", parent.as_str())])
                    })
                })?;
            }
            component_of(w, header)?;
            w.elem("component", &[], |w| {
                w.elem("nonXMLBody", &[], |w| {
                    split = w.hole(
                        "text",
                        &[
                            ("mediaType", content.media_type.mime()),
                            ("representation", B64),
                        ],
                    )?;
                    Ok(())
                })
            })
        },
    )?;
    let skeleton = w.finish()?;
    if skeleton.len().checked_add(body_len).is_none() {
        return Err(Error::invalid(
            "content.data",
            "too large to build the document in memory",
            format!("{} bytes", content.data.len()),
        ));
    }
    Ok(PreparedCda {
        skeleton,
        split,
        content,
        body_len,
    })
}

/// Input bytes encoded (then digested) at a time: a multiple of 3 (no padding inside the
/// body), 64 KiB of base64 that are digested while still in the cache.
const BODY_CHUNK: usize = 3 * 16 * 1024;

/// A CDA document whose header is written and whose body is not yet encoded ([`prepare`]).
#[derive(Debug, Clone)]
pub struct PreparedCda<'a> {
    /// The document with an empty `nonXMLBody/text`.
    skeleton: Vec<u8>,
    /// Where, in `skeleton`, the base64 body goes (just after `<text …>`).
    split: usize,
    /// The body.
    content: Cow<'a, Content>,
    /// The length of its base64.
    body_len: usize,
}

impl PreparedCda<'_> {
    /// The exact size of the document, in bytes.
    pub fn len(&self) -> usize {
        self.skeleton.len() + self.body_len
    }

    /// The body (its media type and bytes).
    pub fn content(&self) -> &Content {
        &self.content
    }

    /// Always false: a document has at least its header.
    pub fn is_empty(&self) -> bool {
        false
    }

    fn too_big(&self) -> Error {
        Error::invalid(
            "content.data",
            "too large to build the document in memory",
            format!("{} bytes", self.content.data.len()),
        )
    }

    /// Appends the document to `out` (reserve [`len`](Self::len) first to avoid a
    /// reallocation), handing each piece of the base64 body to `body` as it is written.
    /// On error `out` is left as it was.
    pub fn write_into(&self, out: &mut Vec<u8>, body: impl FnMut(&[u8])) -> Result<()> {
        self.append(out, |sink| self.emit(sink, body))
    }

    /// [`write_into`](Self::write_into), returning the `alg` digest of the canonical form
    /// (C14N 1.0 with comments) of the document written: the digest of the XAdES manifest
    /// reference (`DigestSource::C14nDigest`), without parsing the document again.
    pub fn write_digesting(&self, out: &mut Vec<u8>, alg: DigestAlgorithm) -> Result<Vec<u8>> {
        self.append(out, |sink| self.emit_digesting(sink, alg))
    }

    /// Runs `write` on `out` with room for the document reserved; on error `out` is left as
    /// it was.
    fn append<T>(
        &self,
        out: &mut Vec<u8>,
        write: impl FnOnce(&mut InPlace<'_>) -> Result<T>,
    ) -> Result<T> {
        let mark = out.len();
        out.try_reserve(self.len()).map_err(|_| self.too_big())?;
        let written = write(&mut InPlace(out));
        if written.is_err() {
            out.truncate(mark);
        }
        written
    }

    /// The digest [`write_digesting`](Self::write_digesting) returns, the document generated
    /// chunk by chunk into the hash and kept nowhere: the first pass of a streamed request
    /// ([`crate::feed::prepare_stream`]), which signs before it writes.
    pub fn digest(&self, alg: DigestAlgorithm) -> Result<Vec<u8>> {
        self.emit_digesting(&mut Chunked::new(std::io::sink())?, alg)
    }

    /// Writes the document to `out` chunk by chunk (64 KiB of base64 at a time): the same
    /// bytes as [`write_into`](Self::write_into), without holding them. An error of `out`
    /// is an [`Error::Write`].
    pub fn write_to(&self, out: &mut dyn Write) -> Result<()> {
        self.emit(&mut Chunked::new(out)?, |_| {})
    }

    /// The markup of the document, its base64 body left out: what can hold any text (the
    /// body is base64, `A-Z a-z 0-9 + / =`). The body goes between a `>` and a `<` of it.
    pub(crate) fn markup(&self) -> &[u8] {
        &self.skeleton
    }

    /// Generates the document into `sink`, handing each piece of the base64 body to `body`:
    /// the one generator of the CDA bytes, whatever they go into.
    fn emit(&self, sink: &mut impl Sink, mut body: impl FnMut(&[u8])) -> Result<()> {
        sink.put(&self.skeleton[..self.split])?;
        for chunk in self.content.data.chunks(BODY_CHUNK) {
            body(sink.put_base64(chunk).ok_or_else(|| self.too_big())??);
        }
        sink.put(&self.skeleton[self.split..])
    }

    /// [`emit`](Self::emit), returning the digest of the canonical form of what it wrote.
    ///
    /// Why this equals the digest of the canonicalised document: the body is one text node,
    /// the only content of the innermost element, and a base64 text (`A-Z a-z 0-9 + / =`)
    /// is its own canonical form. So the canonical document is the canonical form of the
    /// small document with an empty body (computed by the one C14N implementation), with
    /// the base64 inserted just before the `</text>` that starts its fixed end.
    fn emit_digesting(&self, sink: &mut impl Sink, alg: DigestAlgorithm) -> Result<Vec<u8>> {
        let tree = Tree::parse(&self.skeleton, &Limits::default())?;
        let canonical = canonicalize(&tree, None, None, &C14nMethod::Inclusive { comments: true })?;
        // The end after the body, as written; in canonical form without the line break that
        // follows the root element.
        let end = &self.skeleton[self.split..];
        let canonical_end = end.strip_suffix(b"\n").unwrap_or(end);
        let head = canonical
            .strip_suffix(canonical_end)
            .filter(|h| h.ends_with(b">"))
            .ok_or_else(|| {
                Error::crypto(
                    "signature",
                    "the canonical form of the CDA does not end with its body's element \
                     (please report this)",
                )
            })?;
        let mut digest = alg.start();
        digest.update(head);
        self.emit(sink, |piece| digest.update(piece))?;
        digest.update(canonical_end);
        Ok(digest.finish())
    }
}

/// Where [`PreparedCda`] puts the document: the one generator ([`PreparedCda::emit`]) over
/// a buffer (encoded in place, no copy) or a writer (encoded 64 KiB at a time).
trait Sink {
    /// Appends markup.
    fn put(&mut self, bytes: &[u8]) -> Result<()>;
    /// Appends the base64 of `chunk` (a multiple of 3 bytes but the last) and returns it;
    /// `None` when the encoding does not fit (cannot happen with a well-sized chunk).
    fn put_base64(&mut self, chunk: &[u8]) -> Option<Result<&[u8]>>;
}

/// The document appended to a buffer, the base64 encoded straight into it.
struct InPlace<'a>(&'a mut Vec<u8>);

impl Sink for InPlace<'_> {
    fn put(&mut self, bytes: &[u8]) -> Result<()> {
        self.0.extend_from_slice(bytes);
        Ok(())
    }

    fn put_base64(&mut self, chunk: &[u8]) -> Option<Result<&[u8]>> {
        let at = self.0.len();
        let n = base64::encoded_len(chunk.len(), true)?;
        self.0.resize(at.checked_add(n)?, 0);
        let out = self.0.get_mut(at..)?;
        match super::b64::encode_base64_into(chunk, &mut *out) {
            Some(written) if written == n => Some(Ok(out)),
            _ => None,
        }
    }
}

/// The document written to `W` a chunk at a time: the base64 is encoded into one 64 KiB
/// buffer, written, and the buffer used again.
struct Chunked<W> {
    out: W,
    buffer: Vec<u8>,
}

impl<W: Write> Chunked<W> {
    fn new(out: W) -> Result<Chunked<W>> {
        let room = base64::encoded_len(BODY_CHUNK, true).unwrap_or(BODY_CHUNK * 2);
        let mut buffer = Vec::new();
        buffer.try_reserve_exact(room).map_err(|_| Error::Write {
            message: "not enough memory for a 64 KiB buffer".to_owned(),
        })?;
        Ok(Chunked { out, buffer })
    }
}

impl<W: Write> Sink for Chunked<W> {
    fn put(&mut self, bytes: &[u8]) -> Result<()> {
        self.out.write_all(bytes).map_err(Error::write)
    }

    fn put_base64(&mut self, chunk: &[u8]) -> Option<Result<&[u8]>> {
        let n = base64::encoded_len(chunk.len(), true)?;
        self.buffer.resize(n, 0);
        match super::b64::encode_base64_into(chunk, &mut self.buffer) {
            Some(written) if written == n => {}
            _ => return None,
        }
        Some(
            self.out
                .write_all(&self.buffer)
                .map_err(Error::write)
                .map(|()| &self.buffer[..]),
        )
    }
}

/// From `realmCode` to `versionNumber`.
fn document_header(w: &mut XmlWriter, h: &CdaHeader) -> Result<()> {
    w.empty("realmCode", &[("code", REALM)])?;
    w.empty(
        "typeId",
        &[("root", TYPE_ID_ROOT), ("extension", TYPE_ID_EXTENSION)],
    )?;
    for t in N1_TEMPLATE_IDS {
        w.empty("templateId", &[("root", t)])?;
    }
    w.empty("id", &[("root", h.id.as_str())])?;
    coded(w, "code", h.kind.type_concept().map_err(|e| e.at("kind"))?)?;
    w.leaf("title", &[], &h.title)?;
    time(w, "effectiveTime", "effective_time", &h.effective_time)?;
    coded(
        w,
        "confidentialityCode",
        confidentiality(h.confidentiality)?,
    )?;
    w.empty("languageCode", &[("code", LANGUAGE)])?;
    w.empty("setId", &[("root", h.set_id.as_str())])?;
    w.empty("versionNumber", &[("value", &h.version_number.to_string())])
}

/// `recordTarget/patientRole`: INS, IPP, names, sex, birth date and place.
fn record_target(w: &mut XmlWriter, h: &CdaHeader) -> Result<()> {
    let p = &h.patient;
    let t = &p.traits;
    let gender = codes::genders().find(t.sex.hl7_code()).ok_or_else(|| {
        Error::invalid(
            "patient.traits.sex",
            "is not in JDV_J143 AdministrativeGender",
            t.sex.hl7_code(),
        )
    })?;
    let county = t.birthplace_insee.as_ref().ok_or_else(|| {
        Error::invalid(
            "patient.traits.birthplace_insee",
            "required with an INS (CI-SIS INS rule)",
            "",
        )
    })?;
    w.elem("recordTarget", &[], |w| {
        w.elem("patientRole", &[], |w| {
            w.empty(
                "id",
                &[
                    ("root", p.ins.oid()),
                    ("extension", p.ins.matricule().as_str()),
                ],
            )?;
            if let Some(ipp) = &p.ipp {
                w.empty(
                    "id",
                    &[("root", ipp.authority.as_str()), ("extension", &ipp.id)],
                )?;
            }
            w.elem("patient", &[], |w| {
                // Order of the official N1 example: birth names, then used names.
                w.elem("name", &[], |w| {
                    w.leaf("family", &[("qualifier", "BR")], &t.birth_family_name)?;
                    w.leaf("given", &[], &t.birth_given_names.join(" "))?;
                    w.leaf("given", &[("qualifier", "BR")], &t.first_given_name)?;
                    if let Some(used) = &t.used_family_name {
                        w.leaf("family", &[("qualifier", "CL")], used)?;
                    }
                    if let Some(used) = &t.used_given_name {
                        w.leaf("given", &[("qualifier", "CL")], used)?;
                    }
                    Ok(())
                })?;
                coded(w, "administrativeGenderCode", gender)?;
                w.empty("birthTime", &[("value", &t.birth_date.to_hl7())])?;
                w.elem("birthplace", &[], |w| {
                    w.elem("place", &[], |w| {
                        w.elem("addr", &[], |w| w.leaf("county", &[], county.as_str()))
                    })
                })
            })
        })
    })
}

/// One `author`: a person or the structure's software.
fn write_author(w: &mut XmlWriter, author: &Author, org: &CdaOrganization) -> Result<()> {
    match author {
        Author::Person {
            person,
            time: t,
            function_code,
        } => {
            let function = match function_code {
                Some(f) => Some(codes::function_codes().find(f).ok_or_else(|| {
                    Error::invalid("function_code", "must be a code of JDV_J47 FunctionCode", f)
                })?),
                None => None,
            };
            let specialty = person.specialty_concept()?;
            w.elem("author", &[], |w| {
                if let Some(f) = function {
                    coded(w, "functionCode", f)?;
                }
                time(w, "time", "time", t)?;
                w.elem("assignedAuthor", &[], |w| {
                    ps_id(w, &person.idnat.to_string())?;
                    coded(w, "code", specialty)?;
                    assigned_person(w, person)?;
                    organization(w, "representedOrganization", org, None)
                })
            })
        }
        Author::Device {
            id,
            manufacturer_model_name,
            software_name,
            time: t,
        } => {
            let code = codes::author_specialty(DEVICE_AUTHOR_CODE).ok_or_else(|| {
                Error::invalid(
                    "code",
                    "the device author code is not in JDV_J01 XdsAuthorSpecialty",
                    DEVICE_AUTHOR_CODE,
                )
            })?;
            w.elem("author", &[], |w| {
                time(w, "time", "time", t)?;
                w.elem("assignedAuthor", &[], |w| {
                    ps_id(w, &id.to_string())?;
                    coded(w, "code", code)?;
                    w.elem("assignedAuthoringDevice", &[], |w| {
                        w.leaf("manufacturerModelName", &[], manufacturer_model_name)?;
                        w.leaf("softwareName", &[], software_name)
                    })?;
                    organization(w, "representedOrganization", org, None)
                })
            })
        }
    }
}

/// `custodian`: the ESSMS keeps the document.
fn custodian(w: &mut XmlWriter, org: &CdaOrganization) -> Result<()> {
    w.elem("custodian", &[], |w| {
        w.elem("assignedCustodian", &[], |w| {
            organization(w, "representedCustodianOrganization", org, None)
        })
    })
}

/// `legalAuthenticator`: the responsible professional.
fn legal_authenticator(w: &mut XmlWriter, h: &CdaHeader) -> Result<()> {
    let la = &h.legal_authenticator;
    let specialty = la
        .person
        .specialty_concept()
        .map_err(|e| e.at("legal_authenticator"))?;
    w.elem("legalAuthenticator", &[], |w| {
        time(w, "time", "legal_authenticator.time", &la.time)?;
        w.empty("signatureCode", &[("code", SIGNATURE_CODE)])?;
        w.elem("assignedEntity", &[], |w| {
            ps_id(w, &la.person.idnat.to_string())?;
            coded(w, "code", specialty)?;
            assigned_person(w, &la.person)?;
            organization(w, "representedOrganization", &h.structure, None)
        })
    })
}

/// `documentationOf/serviceEvent`: dates and performer (who feeds the practice setting).
fn documentation_of(w: &mut XmlWriter, h: &CdaHeader) -> Result<()> {
    let ev = &h.service_event;
    let performer = h.performer().ok_or_else(|| {
        Error::invalid(
            "service_event.performer",
            "required when no author is a person",
            "",
        )
    })?;
    let field = if ev.performer.is_some() {
        "service_event.performer"
    } else {
        "authors"
    };
    let specialty = performer.specialty_concept().map_err(|e| e.at(field))?;
    let setting = lookup(
        codes::practice_settings(),
        "structure.practice_setting",
        &h.structure.practice_setting,
    )?;
    w.elem("documentationOf", &[], |w| {
        w.elem("serviceEvent", &[], |w| {
            w.elem("effectiveTime", &[], |w| {
                time(w, "low", "service_event.start", &ev.start)?;
                if let Some(stop) = &ev.stop {
                    time(w, "high", "service_event.stop", stop)?;
                }
                Ok(())
            })?;
            w.elem("performer", &[("typeCode", PERFORMER)], |w| {
                w.elem("assignedEntity", &[], |w| {
                    ps_id(w, &performer.idnat.to_string())?;
                    coded(w, "code", specialty)?;
                    assigned_person(w, performer)?;
                    organization(w, "representedOrganization", &h.structure, Some(setting))
                })
            })
        })
    })
}

/// `componentOf/encompassingEncounter`: dates, activity sector and ESSMS category.
fn component_of(w: &mut XmlWriter, h: &CdaHeader) -> Result<()> {
    let org = &h.structure;
    let sector = lookup(codes::facility_types(), "structure.sector", &org.sector)?;
    let category = match &org.category {
        Some(c) => Some(lookup(codes::essms_categories(), "structure.category", c)?),
        None => None,
    };
    let enc = &h.encounter;
    w.elem("componentOf", &[], |w| {
        w.elem("encompassingEncounter", &[], |w| {
            if enc.start.is_none() && enc.stop.is_none() {
                w.empty("effectiveTime", &[("nullFlavor", "UNK")])?;
            } else {
                w.elem("effectiveTime", &[], |w| {
                    if let Some(start) = &enc.start {
                        time(w, "low", "encounter.start", start)?;
                    }
                    if let Some(stop) = &enc.stop {
                        time(w, "high", "encounter.stop", stop)?;
                    }
                    Ok(())
                })?;
            }
            w.elem("location", &[], |w| {
                w.elem("healthCareFacility", &[], |w| match category {
                    None => coded(w, "code", sector),
                    Some(cat) => w.elem("code", &concept_attrs(sector), |w| {
                        coded(w, "translation", cat)
                    }),
                })
            })
        })
    })
}

/// `id` of a person or system: PS_IdNat under 1.2.250.1.71.4.2.1.
fn ps_id(w: &mut XmlWriter, idnat: &str) -> Result<()> {
    w.empty("id", &[("root", PS_IDNAT), ("extension", idnat)])
}

/// `assignedPerson/name` with `family` and `given`.
fn assigned_person(w: &mut XmlWriter, p: &CdaPerson) -> Result<()> {
    w.elem("assignedPerson", &[], |w| {
        w.elem("name", &[], |w| {
            w.leaf("family", &[], &p.family_name)?;
            w.leaf("given", &[], &p.given_name)
        })
    })
}

/// An organisation element (`representedOrganization`, `representedCustodianOrganization`):
/// `id` = `1` + FINESS under 1.2.250.1.71.4.2.2, `name`, and the practice setting if given.
fn organization(
    w: &mut XmlWriter,
    element: &'static str,
    org: &CdaOrganization,
    practice_setting: Option<&Concept>,
) -> Result<()> {
    w.elem(element, &[], |w| {
        w.empty("id", &[("root", STRUCT_IDNAT), ("extension", &org.idnat())])?;
        w.leaf("name", &[], &org.name)?;
        match practice_setting {
            Some(c) => coded(w, "standardIndustryClassCode", c),
            None => Ok(()),
        }
    })
}

fn concept_attrs(c: &Concept) -> [Attr<'static>; 3] {
    [
        ("code", c.code),
        ("displayName", c.display),
        ("codeSystem", c.system),
    ]
}

/// A coded element: `code`, `displayName`, `codeSystem`.
fn coded(w: &mut XmlWriter, element: &'static str, c: &Concept) -> Result<()> {
    w.empty(element, &concept_attrs(c))
}

fn lookup(set: &'static codes::ValueSet, field: &str, code: &str) -> Result<&'static Concept> {
    set.find(code)
        .ok_or_else(|| Error::invalid(field, format!("must be a code of {}", set.name), code))
}

fn confidentiality(level: ConfidentialityLevel) -> Result<&'static Concept> {
    let code = match level {
        ConfidentialityLevel::N => "N",
        ConfidentialityLevel::R => "R",
        ConfidentialityLevel::V => "V",
    };
    lookup(codes::cda_confidentiality(), "confidentiality", code)
}

/// An element with `@value` = the HL7 TS of `t`.
fn time(
    w: &mut XmlWriter,
    element: &'static str,
    field: &str,
    t: &DateTime<FixedOffset>,
) -> Result<()> {
    w.empty(element, &[("value", &hl7_ts(field, t)?)])
}

/// `YYYYMMDDhhmmss±hhmm`: local time to the second with its UTC offset.
pub(crate) fn hl7_ts(field: &str, t: &DateTime<FixedOffset>) -> Result<String> {
    let year = t.year();
    if !(1..=9999).contains(&year) {
        return Err(Error::invalid(
            field,
            "year must be between 0001 and 9999",
            t.to_rfc3339(),
        ));
    }
    let offset = t.offset().local_minus_utc();
    if offset % 60 != 0 {
        return Err(Error::invalid(
            field,
            "the UTC offset must be whole minutes",
            t.to_rfc3339(),
        ));
    }
    let sign = if offset < 0 { '-' } else { '+' };
    let minutes = offset.unsigned_abs() / 60;
    Ok(format!(
        "{year:04}{:02}{:02}{:02}{:02}{:02}{sign}{:02}{:02}",
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        minutes / 60,
        minutes % 60,
    ))
}

/// Every free text of the header must be writable in XML 1.0; the error names the model field.
/// (The header's own checks refuse control characters; this adds U+FFFE/U+FFFF and the texts
/// the header does not check, such as the IPP.)
fn check_free_text(h: &CdaHeader) -> Result<()> {
    let t = &h.patient.traits;
    let mut texts: Vec<(String, &str)> = vec![
        ("title".into(), h.title.as_str()),
        (
            "patient.traits.birth_family_name".into(),
            t.birth_family_name.as_str(),
        ),
        (
            "patient.traits.first_given_name".into(),
            t.first_given_name.as_str(),
        ),
        ("structure.name".into(), h.structure.name.as_str()),
    ];
    for (i, g) in t.birth_given_names.iter().enumerate() {
        texts.push((format!("patient.traits.birth_given_names[{i}]"), g.as_str()));
    }
    if let Some(v) = &t.used_family_name {
        texts.push(("patient.traits.used_family_name".into(), v.as_str()));
    }
    if let Some(v) = &t.used_given_name {
        texts.push(("patient.traits.used_given_name".into(), v.as_str()));
    }
    if let Some(ipp) = &h.patient.ipp {
        texts.push(("patient.ipp.id".into(), ipp.id.as_str()));
    }
    let person = |at: String, p: &'_ CdaPerson| {
        writer::check_chars(&format!("{at}.family_name"), &p.family_name)?;
        writer::check_chars(&format!("{at}.given_name"), &p.given_name)?;
        writer::check_chars(&format!("{at}.idnat"), &p.idnat.to_string())
    };
    for (i, a) in h.authors.iter().enumerate() {
        match a {
            Author::Person { person: p, .. } => person(format!("authors[{i}]"), p)?,
            Author::Device {
                id,
                manufacturer_model_name,
                software_name,
                ..
            } => {
                writer::check_chars(&format!("authors[{i}].id"), &id.to_string())?;
                writer::check_chars(
                    &format!("authors[{i}].manufacturer_model_name"),
                    manufacturer_model_name,
                )?;
                writer::check_chars(&format!("authors[{i}].software_name"), software_name)?;
            }
        }
    }
    person("legal_authenticator".into(), &h.legal_authenticator.person)?;
    if let Some(p) = &h.service_event.performer {
        person("service_event.performer".into(), p)?;
    }
    for (field, v) in texts {
        writer::check_chars(&field, v)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn ts_is_local_with_offset() {
        assert_eq!(
            hl7_ts("t", &at("2024-03-05T09:07:03+01:00")).unwrap(),
            "20240305090703+0100"
        );
        assert_eq!(
            hl7_ts("t", &at("2024-07-01T23:59:59-09:30")).unwrap(),
            "20240701235959-0930"
        );
        assert_eq!(
            hl7_ts("t", &at("2024-07-01T00:00:00Z")).unwrap(),
            "20240701000000+0000"
        );
        let odd = at("2024-07-01T00:00:00Z").with_timezone(&FixedOffset::east_opt(30).unwrap());
        assert_eq!(
            hl7_ts("t", &odd).unwrap_err().as_invalid().unwrap().field,
            "t"
        );
    }

    #[test]
    fn device_code_and_templates_exist() {
        let c = codes::author_specialty(DEVICE_AUTHOR_CODE).unwrap();
        assert_eq!(c.system, codes::system::TRE_A00);
        assert_eq!(N1_TEMPLATE_IDS[2], TEMPLATE_N1);
        assert!(codes::format_code_for_template(TEMPLATE_N1, Some("application/pdf")).is_some());
    }
}
