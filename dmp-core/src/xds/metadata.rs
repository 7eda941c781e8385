//! The XDS metadata of a submission, as data: [`DocumentEntry`] (derived from a CDA header),
//! [`SubmissionSet`], [`SignatureEntry`], [`Replacement`], and their parts [`Code`] and
//! [`XdsAuthor`].

use chrono::{DateTime, Datelike, Utc};

use crate::cda::{Author, CdaHeader, CdaOrganization, CdaPerson, Content, TEMPLATE_N1};
use crate::codes::{self, Concept};
use crate::error::{Error, Result};
use crate::ids::{hl7, oid, Ins, Oid};
use crate::model::{Confidentiality, ConfidentialityLevel, Sex};

use super::vocabulary::{signature, LANGUAGE_FR};

/// A coded value of the metadata: code, display name, coding scheme (an OID, or `URN`/`ASTM`
/// for the signature entry's codes).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Code {
    /// The code (`nodeRepresentation`).
    pub code: String,
    /// The display name (`Name/LocalizedString/@value`).
    pub display: String,
    /// The coding scheme (`Slot codingScheme`).
    pub scheme: String,
}

impl Code {
    /// A code from its parts.
    pub fn new(
        code: impl Into<String>,
        display: impl Into<String>,
        scheme: impl Into<String>,
    ) -> Code {
        Code {
            code: code.into(),
            display: display.into(),
            scheme: scheme.into(),
        }
    }

    /// The contentTypeCode of the official DMP TD2.1 example: `04` "Hospitalisation de jour"
    /// (1.2.250.1.213.2.2). The DMP value set JDV_J59 ContentTypeCode-DMP is not among the
    /// tables this crate ships, so the submission's contentTypeCode is the caller's choice;
    /// this is the one value seen accepted by the DMP test platform.
    pub fn dmp_sample_content_type() -> Code {
        Code::new("04", "Hospitalisation de jour", "1.2.250.1.213.2.2")
    }

    /// `code^display^scheme` (authorSpecialty, authorRole), each part free of HL7 delimiters.
    fn hl7(&self, field: &str) -> Result<String> {
        let code = hl7::check_text(&format!("{field}.code"), &self.code)?;
        let display = hl7::check_text(&format!("{field}.display"), &self.display)?;
        let scheme = hl7::check_text(&format!("{field}.scheme"), &self.scheme)?;
        Ok(format!("{code}^{display}^{scheme}"))
    }

    /// Checks that code, display and scheme are present, without surrounding whitespace.
    pub(crate) fn check(&self, field: &str) -> Result<()> {
        for (part, v) in [
            ("code", &self.code),
            ("display", &self.display),
            ("scheme", &self.scheme),
        ] {
            if v.trim().is_empty() || v.trim() != v {
                return Err(Error::invalid(
                    format!("{field}.{part}"),
                    "must not be empty nor start or end with whitespace",
                    v,
                ));
            }
        }
        Ok(())
    }

    fn fixed((code, display, scheme): (&str, &str, &str)) -> Code {
        Code::new(code, display, scheme)
    }
}

impl From<&Concept> for Code {
    fn from(c: &Concept) -> Code {
        Code::new(c.code, c.display, c.system)
    }
}

/// One author classification: authorPerson (XCN), authorInstitution (XON), authorSpecialty
/// and authorRole (`code^display^codeSystem`). Built from a CDA author by
/// [`XdsAuthor::from_cda`], so its strings are always well-formed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct XdsAuthor {
    person: String,
    institution: String,
    specialty: String,
    role: Option<String>,
}

impl XdsAuthor {
    /// The author of a submission set made by `person` for `structure` (no role): the
    /// acting user of a TD3.3 update.
    pub fn from_person(person: &CdaPerson, structure: &CdaOrganization) -> Result<XdsAuthor> {
        XdsAuthor::person_at(person, institution_of(structure)?)
    }

    fn person_at(person: &CdaPerson, institution: String) -> Result<XdsAuthor> {
        Ok(XdsAuthor {
            person: person_xcn(person).map_err(|e| e.at("person"))?,
            institution,
            specialty: specialty(person).map_err(|e| e.at("person"))?,
            role: None,
        })
    }

    /// The XDS author of a CDA author of `structure`'s document (dmp-interface.md §2.4):
    ///
    /// - a person: `<IdNat>^<family>^<given>^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS`, the
    ///   JDV_J01 specialty, and the JDV_J47 functionCode as authorRole when there is one;
    /// - a device (the DUI): the system-author form of the ANS model (`ActorSystem`):
    ///   `<id>^<software name>^<model name>^^^^^^&1.2.250.1.71.4.2.1&ISO^U^^^RI`, specialty
    ///   `LOGICIEL_DUI` as in the CDA;
    /// - authorInstitution: `<name>^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^1<FINESS>`.
    ///
    /// Names are refused (never escaped) when they contain an HL7 delimiter (`^ & ~ \ |`);
    /// errors name the field (`person.family_name`, `software_name`, `structure.name`…).
    pub fn from_cda(author: &Author, structure: &CdaOrganization) -> Result<XdsAuthor> {
        let institution = institution_of(structure)?;
        match author {
            Author::Person {
                person,
                function_code,
                ..
            } => {
                let role = match function_code {
                    None => None,
                    Some(f) => {
                        let c = codes::function_codes().find(f).ok_or_else(|| {
                            Error::invalid(
                                "function_code",
                                "must be a code of JDV_J47 FunctionCode",
                                f,
                            )
                        })?;
                        Some(Code::from(c).hl7("function_code")?)
                    }
                };
                Ok(XdsAuthor {
                    role,
                    ..XdsAuthor::person_at(person, institution)?
                })
            }
            Author::Device {
                id,
                manufacturer_model_name,
                software_name,
                ..
            } => {
                let name = hl7::check_text("software_name", software_name)?;
                let model = hl7::check_text("manufacturer_model_name", manufacturer_model_name)?;
                let code =
                    codes::author_specialty(crate::cda::DEVICE_AUTHOR_CODE).ok_or_else(|| {
                        Error::invalid(
                            "specialty",
                            "the device author code is not in JDV_J01 XdsAuthorSpecialty",
                            crate::cda::DEVICE_AUTHOR_CODE,
                        )
                    })?;
                Ok(XdsAuthor {
                    person: format!("{id}^{name}^{model}^^^^^^&{}&ISO^U^^^RI", oid::PS_IDNAT),
                    institution,
                    specialty: Code::from(code).hl7("specialty")?,
                    role: None,
                })
            }
        }
    }

    /// An author from its HL7 strings, for a submission built without a CDA (the acting user
    /// of a TD3.3 update): `person` an XCN (`<IdNat>^<family>^<given>^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS`),
    /// `institution` an XON (`<name>^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^<StructIdNat>`),
    /// `specialty` a JDV_J01 code and `role` a JDV_J47 code, if any (dmp-interface.md §2.4).
    ///
    /// Checks: person and institution are not blank, have a first component and at least the
    /// components up to the identifier type (XCN.13, XON.7), hold no `~ \ |` nor control
    /// character; the codes' parts are free of HL7 delimiters. Errors name `person`,
    /// `institution`, `specialty.code`…
    pub fn new(
        person: &str,
        institution: &str,
        specialty: &Code,
        role: Option<&Code>,
    ) -> Result<XdsAuthor> {
        check_hl7_field("person", person, 13)?;
        check_hl7_field("institution", institution, 7)?;
        specialty.check("specialty")?;
        if let Some(r) = role {
            r.check("role")?;
        }
        Ok(XdsAuthor {
            person: person.to_owned(),
            institution: institution.to_owned(),
            specialty: specialty.hl7("specialty")?,
            role: role.map(|r| r.hl7("role")).transpose()?,
        })
    }

    /// authorPerson (XCN).
    pub fn person(&self) -> &str {
        &self.person
    }

    /// authorInstitution (XON).
    pub fn institution(&self) -> &str {
        &self.institution
    }

    /// authorSpecialty (`code^display^codeSystem`, JDV_J01).
    pub fn specialty(&self) -> &str {
        &self.specialty
    }

    /// authorRole (`code^display^codeSystem`, JDV_J47), if any.
    pub fn role(&self) -> Option<&str> {
        self.role.as_deref()
    }
}

/// Checks an HL7 v2 field written by the caller (XCN, XON): not blank, a first component,
/// at least `components` components, no repetition/escape/field delimiter nor control
/// character.
fn check_hl7_field(field: &str, value: &str, components: usize) -> Result<()> {
    let first = value.split('^').next().unwrap_or_default();
    if value.trim() != value || first.trim().is_empty() {
        return Err(Error::invalid(
            field,
            "must start with a non-empty component and have no surrounding whitespace",
            value,
        ));
    }
    if value.split('^').count() < components {
        return Err(Error::invalid(
            field,
            format!("must have at least {components} HL7 components separated by ^"),
            value,
        ));
    }
    if let Some(c) = value
        .chars()
        .find(|c| matches!(c, '~' | '\\' | '|') || c.is_control())
    {
        return Err(Error::invalid(field, hl7::forbidden_rule(c), value));
    }
    Ok(())
}

/// The XCN of a person (authorPerson, legalAuthenticator); errors name `family_name` or
/// `given_name`.
/// authorInstitution of a structure: `<name>^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^1<FINESS>`.
fn institution_of(structure: &CdaOrganization) -> Result<String> {
    structure
        .finess
        .to_xon(&structure.name)
        .map_err(|e| rename(e, &[("name", "name")]).at("structure"))
}

fn person_xcn(p: &CdaPerson) -> Result<String> {
    p.idnat
        .to_xcn(&p.family_name, &p.given_name)
        .map_err(|e| rename(e, &[("family", "family_name"), ("given", "given_name")]))
}

/// The JDV_J01 specialty of a person as `code^display^codeSystem`.
fn specialty(p: &CdaPerson) -> Result<String> {
    Code::from(p.specialty_concept()?).hl7("specialty")
}

/// Renames the field of a validation error (`family` → `family_name`).
fn rename(e: Error, map: &[(&str, &str)]) -> Error {
    match e {
        Error::Invalid(mut inv) => {
            if let Some((_, to)) = map.iter().find(|(from, _)| *from == inv.field) {
                inv.field = (*to).to_owned();
            }
            Error::Invalid(inv)
        }
        other => other,
    }
}

/// `yyyyMMddHHmmss` in UTC, the XDS time format (dmp-interface.md §2.2, §7 item 12).
pub(crate) fn xds_time(field: &str, t: &DateTime<Utc>) -> Result<String> {
    if !(1..=9999).contains(&t.year()) {
        return Err(Error::invalid(
            field,
            "year must be between 0001 and 9999",
            t.to_rfc3339(),
        ));
    }
    Ok(t.format("%Y%m%d%H%M%S").to_string())
}

/// Reads an XDS time as the registry writes it: UTC `yyyy[MM[dd[HH[mm[ss]]]]]` (IHE ITI TF-3
/// §4.2.3.1.7 allows any of these precisions; the missing parts are the start of the period).
///
/// ```
/// use dmp_core::xds::parse_xds_time;
/// assert_eq!(parse_xds_time("20100319183244").unwrap().to_rfc3339(), "2010-03-19T18:32:44+00:00");
/// assert_eq!(parse_xds_time("201003").unwrap().to_rfc3339(), "2010-03-01T00:00:00+00:00");
/// assert!(parse_xds_time("2010-03-19").is_err());
/// ```
pub fn parse_xds_time(value: &str) -> Result<DateTime<Utc>> {
    let bad = || {
        Error::invalid(
            "time",
            "must be a UTC time yyyy[MM[dd[HH[mm[ss]]]]] (digits only)",
            value,
        )
    };
    if !matches!(value.len(), 4 | 6 | 8 | 10 | 12 | 14)
        || !value.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let part = |from: usize, default: u32| -> u32 {
        value
            .get(from..from + 2)
            .and_then(|p| p.parse().ok())
            .unwrap_or(default)
    };
    let year: i32 = value
        .get(..4)
        .and_then(|y| y.parse().ok())
        .ok_or_else(bad)?;
    chrono::NaiveDate::from_ymd_opt(year, part(4, 1), part(6, 1))
        .and_then(|d| d.and_hms_opt(part(8, 0), part(10, 0), part(12, 0)))
        .map(|t| t.and_utc())
        .ok_or_else(bad)
}

/// Checks an entry id: a `urn:uuid:` UUID in canonical lower-case form, or a local symbolic id
/// (`SubmissionSet01`, `DocumentME2`: an XML name of ASCII letters, digits, `_ - .`, at most 64
/// characters, which the registry replaces by a UUID, dmp-interface.md §2.1).
pub(crate) fn check_entry_id(field: &str, id: &str) -> Result<()> {
    if let Some(rest) = id.strip_prefix("urn:uuid:") {
        return check_uuid_urn(field, id, rest);
    }
    let ok = id.len() <= 64
        && id
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            "must be urn:uuid:<lower-case UUID> or a symbolic id (a letter or _, then letters, \
             digits, _ - ., at most 64 characters)",
            id,
        ))
    }
}

/// Checks a registry entryUUID: `urn:uuid:` and a canonical lower-case UUID.
pub(crate) fn check_entry_uuid(field: &str, id: &str) -> Result<()> {
    match id.strip_prefix("urn:uuid:") {
        Some(rest) => check_uuid_urn(field, id, rest),
        None => Err(Error::invalid(
            field,
            "must be the registry entryUUID, urn:uuid:<lower-case UUID> (found with TD3.1)",
            id,
        )),
    }
}

fn check_uuid_urn(field: &str, id: &str, rest: &str) -> Result<()> {
    match uuid::Uuid::try_parse(rest) {
        Ok(u) if u.hyphenated().to_string() == rest => Ok(()),
        _ => Err(Error::invalid(
            field,
            "must be urn:uuid: followed by a UUID in lower-case hyphenated form",
            id,
        )),
    }
}

/// A DocumentEntry (`ExtrinsicObject`) for one CDA document, **derived from its header** by
/// [`DocumentEntry::from_cda`] so that metadata and document can never disagree. The fields
/// are read-only.
///
/// `hash` and `size` are **not** part of it: the official TD2.1 request omits them (the DMP
/// repository computes them) and, if sent, they would have to match the transmitted bytes
/// exactly (dmp-interface.md §2.3, §3 note) — omitting them removes a way to fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentEntry {
    entry_uuid: String,
    unique_id: Oid,
    patient_id: Ins,
    replaces: Option<Oid>,
    title: String,
    comments: Option<String>,
    creation_time: DateTime<Utc>,
    service_start_time: DateTime<Utc>,
    service_stop_time: Option<DateTime<Utc>>,
    legal_authenticator: String,
    source_patient_id: String,
    source_patient_info: Vec<String>,
    authors: Vec<XdsAuthor>,
    class_code: Code,
    type_code: Code,
    format_code: Code,
    confidentiality_codes: Vec<Code>,
    healthcare_facility_type_code: Code,
    practice_setting_code: Code,
}

impl DocumentEntry {
    /// The DocumentEntry of the CDA document `header` + `content` (dmp-interface.md §2.3):
    ///
    /// | metadata | from |
    /// |---|---|
    /// | creationTime | `effective_time`, in UTC (`yyyyMMddHHmmss`) |
    /// | serviceStartTime / serviceStopTime | `service_event.start` / `stop`, in UTC |
    /// | languageCode | `fr-FR` |
    /// | legalAuthenticator | XCN of `legal_authenticator.person` |
    /// | sourcePatientId | the IPP as `id^^^&oid&ISO^PI` when there is one, else the INS CX |
    /// | sourcePatientInfo | `PID-5\|<birth family name>^<first birth given name>^^^^^L` (the strict INS traits), `PID-7\|<birth date>`, `PID-8\|F/M/U` |
    /// | author | one per CDA author, with the structure as institution ([`XdsAuthor::from_cda`]) |
    /// | classCode / typeCode | `kind` (JDV_J07, class by ASS_X04) |
    /// | formatCode | ASS_A11 for the N1 template and `content.media_type` |
    /// | confidentialityCode | the CDA level, then each flag of `visibility` |
    /// | healthcareFacilityTypeCode / practiceSettingCode | `structure.sector` (JDV_J02) / `structure.practice_setting` (JDV_J04) |
    /// | eventCodeList | empty |
    /// | patientId | the INS CX (no CX.7 date) |
    /// | uniqueId | `id` (a plain OID) |
    /// | title / comments | `title` / `comments` (blank means none) |
    ///
    /// `visibility` carries the DMP flags (MASQUE_PS…); its `level` must equal the header's
    /// `confidentiality` (the CDA is authoritative). `entry_uuid` is the ExtrinsicObject id
    /// (`urn:uuid:…`, or a symbolic id). The header is validated first
    /// ([`CdaHeader::validate`]), so a code outside its value set is refused with its field.
    pub fn from_cda(
        header: &CdaHeader,
        content: &Content,
        visibility: &Confidentiality,
        entry_uuid: &str,
        comments: Option<&str>,
    ) -> Result<DocumentEntry> {
        header.validate()?;
        check_entry_id("entry_uuid", entry_uuid)?;
        if visibility.level != header.confidentiality {
            return Err(Error::invalid(
                "visibility.level",
                format!(
                    "must equal the CDA header's confidentiality ({:?}): the level is taken \
                     from the CDA",
                    header.confidentiality
                ),
                format!("{:?}", visibility.level),
            ));
        }
        let comments = match comments.map(str::trim) {
            None | Some("") => None,
            Some(c) => {
                crate::xml::writer::check_chars("comments", c)?;
                Some(c.to_owned())
            }
        };
        let format = codes::format_code_for_template(TEMPLATE_N1, Some(content.media_type.mime()))
            .ok_or_else(|| {
                Error::invalid(
                    "content.media_type",
                    "has no N1 formatCode in ASS_A11",
                    content.media_type.mime(),
                )
            })?;
        let authors = header
            .authors
            .iter()
            .enumerate()
            .map(|(i, a)| {
                XdsAuthor::from_cda(a, &header.structure).map_err(|e| match e {
                    // Structure errors already carry their full path.
                    Error::Invalid(ref inv) if inv.field.starts_with("structure") => e,
                    e => e.at(&format!("authors[{i}]")),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let facility = codes::facility_types()
            .find(&header.structure.sector)
            .ok_or_else(|| {
                Error::invalid(
                    "structure.sector",
                    "must be a code of JDV_J02 XdsHealthcareFacilityTypeCode",
                    &header.structure.sector,
                )
            })?;
        let practice = codes::practice_settings()
            .find(&header.structure.practice_setting)
            .ok_or_else(|| {
                Error::invalid(
                    "structure.practice_setting",
                    "must be a code of JDV_J04 XdsPracticeSettingCode",
                    &header.structure.practice_setting,
                )
            })?;
        let confidentiality = visibility
            .xds_codes()
            .map_err(|e| e.at("visibility"))?
            .into_iter()
            .map(Code::from)
            .collect();
        let utc = |t: &DateTime<chrono::FixedOffset>| t.with_timezone(&Utc);
        Ok(DocumentEntry {
            entry_uuid: entry_uuid.to_owned(),
            unique_id: header.id.clone(),
            patient_id: header.patient.ins.clone(),
            replaces: header.replaces.clone(),
            title: header.title.clone(),
            comments,
            creation_time: utc(&header.effective_time),
            service_start_time: utc(&header.service_event.start),
            service_stop_time: header.service_event.stop.as_ref().map(utc),
            legal_authenticator: person_xcn(&header.legal_authenticator.person)
                .map_err(|e| e.at("legal_authenticator.person"))?,
            source_patient_id: source_patient_id(header)?,
            source_patient_info: source_patient_info(header)?,
            authors,
            class_code: header
                .kind
                .class_concept()
                .map_err(|e| e.at("kind"))?
                .into(),
            type_code: header.kind.type_concept().map_err(|e| e.at("kind"))?.into(),
            format_code: Code::from(&format.concept()),
            confidentiality_codes: confidentiality,
            healthcare_facility_type_code: facility.into(),
            practice_setting_code: practice.into(),
        })
    }

    /// The ExtrinsicObject id (entryUUID or symbolic id).
    pub fn entry_uuid(&self) -> &str {
        &self.entry_uuid
    }
    /// uniqueId: the CDA `id`.
    pub fn unique_id(&self) -> &Oid {
        &self.unique_id
    }
    /// patientId: the INS.
    pub fn patient_id(&self) -> &Ins {
        &self.patient_id
    }
    /// The uniqueId of the version this one replaces (the CDA `relatedDocument`), if any.
    pub fn replaces(&self) -> Option<&Oid> {
        self.replaces.as_ref()
    }
    /// Name: the CDA title.
    pub fn title(&self) -> &str {
        &self.title
    }
    /// Description: the comments, if any.
    pub fn comments(&self) -> Option<&str> {
        self.comments.as_deref()
    }
    /// creationTime (UTC).
    pub fn creation_time(&self) -> DateTime<Utc> {
        self.creation_time
    }
    /// serviceStartTime (UTC).
    pub fn service_start_time(&self) -> DateTime<Utc> {
        self.service_start_time
    }
    /// serviceStopTime (UTC), if known.
    pub fn service_stop_time(&self) -> Option<DateTime<Utc>> {
        self.service_stop_time
    }
    /// languageCode: `fr-FR`.
    pub fn language_code(&self) -> &str {
        LANGUAGE_FR
    }
    /// legalAuthenticator (XCN).
    pub fn legal_authenticator(&self) -> &str {
        &self.legal_authenticator
    }
    /// sourcePatientId (CX of the IPP, else of the INS).
    pub fn source_patient_id(&self) -> &str {
        &self.source_patient_id
    }
    /// sourcePatientInfo values (`PID-5|…`, `PID-7|…`, `PID-8|…`).
    pub fn source_patient_info(&self) -> &[String] {
        &self.source_patient_info
    }
    /// The authors, in CDA order.
    pub fn authors(&self) -> &[XdsAuthor] {
        &self.authors
    }
    /// classCode.
    pub fn class_code(&self) -> &Code {
        &self.class_code
    }
    /// typeCode.
    pub fn type_code(&self) -> &Code {
        &self.type_code
    }
    /// formatCode.
    pub fn format_code(&self) -> &Code {
        &self.format_code
    }
    /// confidentialityCode values: the CDA level first, then the DMP flags.
    pub fn confidentiality_codes(&self) -> &[Code] {
        &self.confidentiality_codes
    }
    /// healthcareFacilityTypeCode.
    pub fn healthcare_facility_type_code(&self) -> &Code {
        &self.healthcare_facility_type_code
    }
    /// practiceSettingCode.
    pub fn practice_setting_code(&self) -> &Code {
        &self.practice_setting_code
    }
    /// eventCodeList: always empty for an ESSMS document.
    pub fn event_codes(&self) -> &[Code] {
        &[]
    }
}

/// The IPP CX `id^^^&oid&ISO^PI`, else the INS CX.
fn source_patient_id(h: &CdaHeader) -> Result<String> {
    match &h.patient.ipp {
        Some(ipp) => {
            let id = hl7::check_text("patient.ipp.id", &ipp.id)?;
            Ok(format!("{id}^^^&{}&ISO^PI", ipp.authority))
        }
        None => Ok(h.patient.ins.to_cx()),
    }
}

/// `PID-5|FAMILY^Given^^^^^L`, `PID-7|YYYYMMDD`, `PID-8|F`: the strict traits of the INS
/// (birth family name, first birth given name, birth date, sex), as the INS rules want the
/// identity carried with the INS; `L` = legal name (HL7 table 0200).
fn source_patient_info(h: &CdaHeader) -> Result<Vec<String>> {
    let t = &h.patient.traits;
    let family = hl7::check_text("patient.traits.birth_family_name", &t.birth_family_name)?;
    let given = hl7::check_text("patient.traits.first_given_name", &t.first_given_name)?;
    let sex = match t.sex {
        Sex::F => "F",
        Sex::M => "M",
        Sex::U => "U",
    };
    Ok(vec![
        format!("PID-5|{family}^{given}^^^^^L"),
        format!("PID-7|{}", t.birth_date.to_hl7()),
        format!("PID-8|{sex}"),
    ])
}

/// The SubmissionSet (`RegistryPackage`): what the DMP needs to know about the submission as
/// a whole (dmp-interface.md §2.2). Its fields are checked when the request is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmissionSet {
    /// The RegistryPackage id (`urn:uuid:…` or a symbolic id such as `SubmissionSet01`).
    pub entry_uuid: String,
    /// uniqueId: an OID minted for this submission.
    pub unique_id: Oid,
    /// sourceId: the OID of the sending software instance (the LPS).
    pub source_id: Oid,
    /// submissionTime.
    pub submission_time: DateTime<Utc>,
    /// The author: by default the first author of the first document, with its institution.
    pub author: XdsAuthor,
    /// contentTypeCode (JDV_J59, not shipped: see [`Code::dmp_sample_content_type`]).
    pub content_type_code: Code,
    /// patientId: the INS, the same as every entry's.
    pub patient_id: Ins,
    /// Name, optional.
    pub title: Option<String>,
    /// Description, optional.
    pub comments: Option<String>,
}

impl SubmissionSet {
    /// A submission set for `first` and the documents sent with it: the author is `first`'s
    /// first author (with its institution), the patient is `first`'s; no title nor comments.
    /// Fails when `first` has no author (which [`DocumentEntry::from_cda`] never builds).
    pub fn new(
        first: &DocumentEntry,
        entry_uuid: &str,
        unique_id: Oid,
        source_id: Oid,
        submission_time: DateTime<Utc>,
        content_type_code: Code,
    ) -> Result<SubmissionSet> {
        let author = first
            .authors()
            .first()
            .cloned()
            .ok_or_else(|| Error::invalid("authors", "at least one author", "[]"))?;
        SubmissionSet::from_parts(
            entry_uuid,
            author,
            first.patient_id().clone(),
            source_id,
            unique_id,
            submission_time,
            content_type_code,
        )
    }

    /// A submission set from its parts, for a submission that carries no new document (a
    /// TD3.3 update): `author` is the acting user with their structure, `patient` the
    /// patient of the entries it updates. No title nor comments.
    pub fn from_parts(
        entry_uuid: &str,
        author: XdsAuthor,
        patient: Ins,
        source_id: Oid,
        unique_id: Oid,
        submission_time: DateTime<Utc>,
        content_type_code: Code,
    ) -> Result<SubmissionSet> {
        check_entry_id("submission_set.entry_uuid", entry_uuid)?;
        Ok(SubmissionSet {
            entry_uuid: entry_uuid.to_owned(),
            unique_id,
            source_id,
            submission_time,
            author,
            content_type_code,
            patient_id: patient,
            title: None,
            comments: None,
        })
    }

    /// Checks what the public fields may have broken since construction: the id, a
    /// complete contentTypeCode, title and comments not blank and writable in XML.
    pub(crate) fn check(&self) -> Result<()> {
        check_entry_id("submission_set.entry_uuid", &self.entry_uuid)?;
        self.content_type_code
            .check("submission_set.content_type_code")?;
        for (field, text) in [
            ("submission_set.title", &self.title),
            ("submission_set.comments", &self.comments),
        ] {
            if let Some(t) = text {
                if t.trim().is_empty() {
                    return Err(Error::invalid(field, "must not be blank (use None)", t));
                }
                crate::xml::writer::check_chars(field, t)?;
            }
        }
        Ok(())
    }
}

/// The DocumentEntry that carries the XAdES signature of the submission set
/// (dmp-interface.md §3): the DMP's fixed codes (class `urn:oid:1.3.6.1.4.1.19376.1.2.1.1.1`,
/// type `E1762`, format `http://www.w3.org/2000/09/xmldsig#`, confidentiality `N` +
/// `MASQUE_PS` + `INVISIBLE_PATIENT`, languageCode `art`, event `1.2.840.10065.1.12.1.14`),
/// times = the signing time, author and legalAuthenticator = the submission author, patient =
/// the INS, facility and practice setting = the documents'.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureEntry {
    entry_uuid: String,
    unique_id: Oid,
    patient_id: Ins,
    signing_time: DateTime<Utc>,
    author: XdsAuthor,
    healthcare_facility_type_code: Code,
    practice_setting_code: Code,
}

impl SignatureEntry {
    /// The signature entry of `submission_set`, whose documents' facility and practice
    /// setting are those of `first`. `entry_uuid` is its ExtrinsicObject id, `unique_id` its
    /// own uniqueId (also the XAdES manifest's reference), `signing_time` the XAdES
    /// SigningTime.
    pub fn new(
        submission_set: &SubmissionSet,
        first: &DocumentEntry,
        entry_uuid: &str,
        unique_id: Oid,
        signing_time: DateTime<Utc>,
    ) -> Result<SignatureEntry> {
        check_entry_id("signature.entry_uuid", entry_uuid)?;
        Ok(SignatureEntry {
            entry_uuid: entry_uuid.to_owned(),
            unique_id,
            patient_id: submission_set.patient_id.clone(),
            signing_time,
            author: submission_set.author.clone(),
            healthcare_facility_type_code: first.healthcare_facility_type_code().clone(),
            practice_setting_code: first.practice_setting_code().clone(),
        })
    }

    /// The ExtrinsicObject id.
    pub fn entry_uuid(&self) -> &str {
        &self.entry_uuid
    }
    /// uniqueId.
    pub fn unique_id(&self) -> &Oid {
        &self.unique_id
    }
    /// patientId and sourcePatientId: the INS.
    pub fn patient_id(&self) -> &Ins {
        &self.patient_id
    }
    /// creationTime, serviceStartTime and serviceStopTime.
    pub fn signing_time(&self) -> DateTime<Utc> {
        self.signing_time
    }
    /// The author (the submission set's); its person is also the legalAuthenticator.
    pub fn author(&self) -> &XdsAuthor {
        &self.author
    }
    /// healthcareFacilityTypeCode (the documents').
    pub fn healthcare_facility_type_code(&self) -> &Code {
        &self.healthcare_facility_type_code
    }
    /// practiceSettingCode (the documents').
    pub fn practice_setting_code(&self) -> &Code {
        &self.practice_setting_code
    }
    /// classCode `urn:oid:1.3.6.1.4.1.19376.1.2.1.1.1` (scheme `URN`).
    pub fn class_code(&self) -> Code {
        Code::fixed(signature::CLASS)
    }
    /// typeCode `E1762` (scheme `ASTM`).
    pub fn type_code(&self) -> Code {
        Code::fixed(signature::TYPE)
    }
    /// formatCode `http://www.w3.org/2000/09/xmldsig#` (scheme `URN`).
    pub fn format_code(&self) -> Code {
        Code::fixed(signature::FORMAT)
    }
    /// eventCodeList: `1.2.840.10065.1.12.1.14` "Source".
    pub fn event_codes(&self) -> Vec<Code> {
        vec![Code::fixed(signature::EVENT)]
    }
    /// confidentialityCode: `N`, `MASQUE_PS`, `INVISIBLE_PATIENT` (JDV_J08 concepts).
    pub fn confidentiality_codes(&self) -> Result<Vec<Code>> {
        Confidentiality {
            level: ConfidentialityLevel::N,
            masque_ps: true,
            invisible_patient: true,
            invisible_representants_legaux: false,
        }
        .xds_codes()
        .map(|v| v.into_iter().map(Code::from).collect())
    }
}

/// A new version replacing one already in the DMP (dmp-interface.md §2.5): the RPLC
/// association from the new entry to the old entry's registry entryUUID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replacement {
    /// The id of the new DocumentEntry, one of the request's entries.
    pub entry_uuid: String,
    /// The registry entryUUID of the replaced version (`urn:uuid:…`, found with TD3.1).
    pub replaced_entry_uuid: String,
    /// The uniqueId of the replaced version: must equal the new CDA's `relatedDocument`
    /// ([`DocumentEntry::replaces`]).
    pub replaced_unique_id: Oid,
}
