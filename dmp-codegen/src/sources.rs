//! Readers for the ANS nomenclature formats: IHE SVS XML, ART-DECOR value-set exports,
//! FHIR CodeSystem / ValueSet JSON, FHIR Shorthand ConceptMaps and small CSV files.

use std::collections::BTreeMap;
use std::path::Path;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// One concept as read from a source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawConcept {
    pub code: String,
    pub display: String,
    pub system: String,
}

/// One value set or code system as read from a source file.
#[derive(Debug, Clone)]
pub struct RawSet {
    /// Name from the file (`displayName` without `.tabs`, FHIR `name`).
    pub name: String,
    /// OID of the value set / code system.
    pub oid: String,
    /// Version label (date of last update, or the file's version attribute).
    pub version: String,
    /// Active concepts, in source order.
    pub concepts: Vec<RawConcept>,
    /// Codes skipped because they are retired.
    pub retired: Vec<String>,
}

/// Reads a file and decodes it to text, honouring the XML declaration's encoding
/// (UTF-8 or ISO-8859-1 / Latin-1).
pub fn read_text(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).to_ascii_lowercase();
    let latin1 = head.starts_with("<?xml")
        && (head.contains("encoding=\"iso-8859-1\"")
            || head.contains("encoding='iso-8859-1'")
            || head.contains("encoding=\"latin1\""));
    if latin1 {
        // ISO-8859-1 maps every byte to the Unicode code point of the same value.
        Ok(bytes.iter().map(|&b| char::from(b)).collect())
    } else {
        String::from_utf8(bytes.to_vec()).map_err(|e| format!("{}: not UTF-8: {e}", path.display()))
    }
}

fn attrs(e: &BytesStart<'_>, file: &str) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for a in e.attributes() {
        let a = a.map_err(|err| format!("{file}: bad attribute: {err}"))?;
        let key = String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned();
        let value = a
            .unescape_value()
            .map_err(|err| format!("{file}: bad attribute value: {err}"))?
            .into_owned();
        out.insert(key, value);
    }
    Ok(out)
}

/// An element's local name and attributes.
type Element = (String, BTreeMap<String, String>);

/// All elements whose local name is in `names`, with their attributes, in document order.
fn elements(xml: &str, names: &[&str], file: &str) -> Result<Vec<Element>, String> {
    let mut reader = Reader::from_str(xml);
    let mut out = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if names.contains(&name.as_str()) {
                    out.push((name, attrs(&e, file)?));
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(err) => {
                return Err(format!(
                    "{file}: XML error at byte {}: {err}",
                    reader.buffer_position()
                ))
            }
        }
    }
    Ok(out)
}

/// `20240927120000` or `2024-09-27T12:00:00+01:00` → `2024-09-27`.
pub fn date_label(s: &str) -> String {
    let digits: String = s.chars().filter(|c| c.is_ascii_digit()).take(8).collect();
    if digits.len() == 8 {
        format!("{}-{}-{}", &digits[..4], &digits[4..6], &digits[6..8])
    } else {
        s.to_string()
    }
}

fn version_label(vs: &BTreeMap<String, String>) -> String {
    let date = ["dateMaj", "revisionDate", "effectiveDate"]
        .iter()
        .filter_map(|k| vs.get(*k))
        .find(|v| !v.is_empty())
        .map(|v| date_label(v));
    match (date, vs.get("version")) {
        (Some(d), Some(v)) if !v.is_empty() => format!("{d} (version \"{v}\")"),
        (Some(d), _) => d,
        (None, Some(v)) => v.clone(),
        (None, None) => String::new(),
    }
}

fn strip_tabs(name: &str) -> String {
    name.strip_suffix(".tabs").unwrap_or(name).to_string()
}

/// IHE SVS `RetrieveValueSetResponse/ValueSet/ConceptList/Concept`.
/// A concept with a non-empty `dateFin` is retired and skipped.
pub fn read_svs(path: &Path) -> Result<RawSet, String> {
    let file = path.display().to_string();
    let text = read_text(path)?;
    let els = elements(&text, &["ValueSet", "Concept"], &file)?;
    let vs = els
        .iter()
        .find(|(n, _)| n == "ValueSet")
        .map(|(_, a)| a.clone())
        .ok_or_else(|| format!("{file}: no ValueSet element"))?;
    if vs.get("dateFin").is_some_and(|d| !d.is_empty()) {
        return Err(format!("{file}: the whole value set is retired (dateFin)"));
    }
    let mut set = RawSet {
        name: strip_tabs(vs.get("displayName").map(String::as_str).unwrap_or("")),
        oid: vs.get("id").cloned().unwrap_or_default(),
        version: version_label(&vs),
        concepts: Vec::new(),
        retired: Vec::new(),
    };
    push_concepts(&mut set, &els, "Concept", |a| {
        a.get("dateFin").is_some_and(|d| !d.is_empty())
    });
    Ok(set)
}

/// ART-DECOR export `valueSets/valueSet/conceptList/concept` (first value set of the file).
/// Concepts of type `D` (deprecated) are skipped.
pub fn read_art_decor(path: &Path) -> Result<RawSet, String> {
    let file = path.display().to_string();
    let text = read_text(path)?;
    let els = elements(&text, &["valueSet", "concept"], &file)?;
    let vs = els
        .iter()
        .find(|(n, _)| n == "valueSet")
        .map(|(_, a)| a.clone())
        .ok_or_else(|| format!("{file}: no valueSet element"))?;
    let mut set = RawSet {
        name: vs.get("name").cloned().unwrap_or_default(),
        oid: vs.get("id").cloned().unwrap_or_default(),
        version: vs
            .get("effectiveDate")
            .map(|d| date_label(d))
            .unwrap_or_default(),
        concepts: Vec::new(),
        retired: Vec::new(),
    };
    push_concepts(&mut set, &els, "concept", |a| {
        a.get("type").is_some_and(|t| t == "D")
    });
    Ok(set)
}

/// Adds the `tag` elements of `els` to `set` (code, displayName, codeSystem attributes), or
/// to its retired list when `retired` says so.
fn push_concepts(
    set: &mut RawSet,
    els: &[Element],
    tag: &str,
    retired: impl Fn(&BTreeMap<String, String>) -> bool,
) {
    for (_, a) in els.iter().filter(|(n, _)| n == tag) {
        let get = |k: &str| a.get(k).cloned().unwrap_or_default();
        if retired(a) {
            set.retired.push(get("code"));
            continue;
        }
        set.concepts.push(RawConcept {
            code: get("code"),
            display: get("displayName"),
            system: get("codeSystem"),
        });
    }
}

fn oid_of_identifier(v: &serde_json::Value) -> Option<String> {
    let ids = v.get("identifier")?.as_array()?;
    ids.iter()
        .filter_map(|i| i.get("value")?.as_str())
        .find_map(|s| s.strip_prefix("urn:oid:").map(str::to_string))
}

fn fhir_retired(c: &serde_json::Value) -> bool {
    let Some(props) = c.get("property").and_then(|p| p.as_array()) else {
        return false;
    };
    props.iter().any(|p| {
        let code = p.get("code").and_then(|c| c.as_str()).unwrap_or("");
        match code {
            "dateFin" | "retirementDate" | "deprecationDate" => p
                .get("valueDateTime")
                .and_then(|v| v.as_str())
                .is_some_and(|s| !s.is_empty()),
            "status" => matches!(
                p.get("valueCode").and_then(|v| v.as_str()),
                Some("retired" | "deprecated" | "inactive")
            ),
            "deprecated" | "inactive" => {
                p.get("valueBoolean").and_then(|v| v.as_bool()) == Some(true)
            }
            _ => false,
        }
    })
}

fn fhir_concepts(list: &serde_json::Value, system: &str, set: &mut RawSet) {
    let Some(list) = list.as_array() else { return };
    for c in list {
        let code = c
            .get("code")
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string();
        if fhir_retired(c) {
            set.retired.push(code);
        } else {
            set.concepts.push(RawConcept {
                code,
                display: c
                    .get("display")
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_string(),
                system: system.to_string(),
            });
        }
        if let Some(children) = c.get("concept") {
            fhir_concepts(children, system, set);
        }
    }
}

fn read_json(path: &Path) -> Result<serde_json::Value, String> {
    let text = read_text(path)?;
    serde_json::from_str(&text).map_err(|e| format!("{}: JSON error: {e}", path.display()))
}

/// FHIR R4 CodeSystem: `concept[]` (nested concepts flattened in order). Retired concepts
/// (property `dateFin`/`retirementDate`/`deprecationDate` set, `status` retired/deprecated/inactive,
/// `deprecated`/`inactive` true) are skipped.
pub fn read_fhir_code_system(path: &Path) -> Result<RawSet, String> {
    let v = read_json(path)?;
    let oid = oid_of_identifier(&v)
        .ok_or_else(|| format!("{}: no urn:oid identifier", path.display()))?;
    let mut set = RawSet {
        name: v
            .get("name")
            .and_then(|x| x.as_str())
            .unwrap_or("")
            .to_string(),
        oid: oid.clone(),
        version: v
            .get("date")
            .and_then(|x| x.as_str())
            .map(date_label)
            .unwrap_or_default(),
        concepts: Vec::new(),
        retired: Vec::new(),
    };
    if let Some(list) = v.get("concept") {
        fhir_concepts(list, &oid, &mut set);
    }
    Ok(set)
}

/// FHIR R4 ValueSet with `compose.include[].concept[]`; the code system OID of each include
/// is read from the concepts' `designation` with use `OID` (`urn:oid:…`).
pub fn read_fhir_value_set(path: &Path) -> Result<RawSet, String> {
    let v = read_json(path)?;
    let file = path.display().to_string();
    let mut set = RawSet {
        name: v
            .get("name")
            .and_then(|x| x.as_str())
            .unwrap_or("")
            .to_string(),
        oid: oid_of_identifier(&v).ok_or_else(|| format!("{file}: no urn:oid identifier"))?,
        version: v
            .get("date")
            .and_then(|x| x.as_str())
            .map(date_label)
            .unwrap_or_default(),
        concepts: Vec::new(),
        retired: Vec::new(),
    };
    let includes = v
        .pointer("/compose/include")
        .and_then(|x| x.as_array())
        .ok_or_else(|| format!("{file}: no compose.include"))?;
    for inc in includes {
        for c in inc
            .get("concept")
            .and_then(|x| x.as_array())
            .into_iter()
            .flatten()
        {
            let code = c
                .get("code")
                .and_then(|x| x.as_str())
                .unwrap_or("")
                .to_string();
            let system = c
                .get("designation")
                .and_then(|d| d.as_array())
                .into_iter()
                .flatten()
                .filter(|d| d.pointer("/use/code").and_then(|u| u.as_str()) == Some("OID"))
                .find_map(|d| d.get("value")?.as_str())
                .map(|s| s.strip_prefix("urn:oid:").unwrap_or(s).to_string())
                .ok_or_else(|| format!("{file}: concept {code} has no OID designation"))?;
            set.concepts.push(RawConcept {
                code,
                display: c
                    .get("display")
                    .and_then(|x| x.as_str())
                    .unwrap_or("")
                    .to_string(),
                system,
            });
        }
    }
    Ok(set)
}

/// One `group.element` of a FHIR Shorthand ConceptMap.
#[derive(Debug, Clone)]
pub struct MapEntry {
    /// `group.source` URL.
    pub source_system: String,
    /// `group.target` URL.
    pub target_system: String,
    pub code: String,
    pub target: String,
    pub comment: String,
}

/// A ConceptMap read from a `.fsh` file.
#[derive(Debug, Clone)]
pub struct ConceptMap {
    pub version: String,
    pub entries: Vec<MapEntry>,
}

fn fsh_string(rhs: &str) -> String {
    let rhs = rhs.trim();
    if let Some(inner) = rhs.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        inner.replace("\\\"", "\"").replace("\\\\", "\\")
    } else {
        rhs.to_string()
    }
}

/// Line parser for the `* group[…].element[…]…` rules of a ConceptMap instance in FSH.
/// Handles the `[0]` / `[+]` / `[=]` soft indices and index-less paths (single element).
pub fn read_fsh_concept_map(path: &Path) -> Result<ConceptMap, String> {
    let file = path.display().to_string();
    let text = read_text(path)?;
    let mut map = ConceptMap {
        version: String::new(),
        entries: Vec::new(),
    };
    let (mut source, mut target) = (String::new(), String::new());
    for (n, line) in text.lines().enumerate() {
        let Some(rule) = line.trim().strip_prefix("* ") else {
            continue;
        };
        let Some((lhs, rhs)) = rule.split_once(" = ") else {
            continue;
        };
        let lhs = lhs.trim();
        if lhs == "version" {
            map.version = fsh_string(rhs);
            continue;
        }
        let Some(rest) = lhs.strip_prefix("group") else {
            continue;
        };
        // Strip the group index: a group starts with its `source` line.
        let rest = match rest.split_once(']') {
            Some((_, r)) if rest.starts_with('[') => r,
            _ => rest,
        };
        let rest = rest.trim_start_matches('.');
        match rest {
            "source" => {
                source = fsh_string(rhs);
                target.clear();
                continue;
            }
            "target" => {
                target = fsh_string(rhs);
                continue;
            }
            _ => {}
        }
        let Some(el) = rest.strip_prefix("element") else {
            continue;
        };
        let (new_element, field) = if let Some(r) = el.strip_prefix('[') {
            let (idx, f) = r
                .split_once(']')
                .ok_or_else(|| format!("{file}:{}: bad element index", n + 1))?;
            (idx != "=", f.trim_start_matches('.'))
        } else {
            // `group[=].element.code`: a group with a single element.
            let f = el.trim_start_matches('.');
            (f == "code", f)
        };
        let value = fsh_string(rhs);
        let value = value.strip_prefix('#').unwrap_or(&value).to_string();
        if new_element {
            if field != "code" {
                return Err(format!("{file}:{}: element must start with code", n + 1));
            }
            map.entries.push(MapEntry {
                source_system: source.clone(),
                target_system: target.clone(),
                code: value,
                target: String::new(),
                comment: String::new(),
            });
            continue;
        }
        let last = map
            .entries
            .last_mut()
            .ok_or_else(|| format!("{file}:{}: element field before any element", n + 1))?;
        match field {
            "code" => last.code = value,
            "target.code" => last.target = value,
            "target.comment" => last.comment = value,
            _ => {}
        }
    }
    if let Some(e) = map.entries.iter().find(|e| e.target.is_empty()) {
        return Err(format!("{file}: element {} has no target code", e.code));
    }
    Ok(map)
}

/// Minimal RFC 4180 CSV reader (quoted fields, doubled quotes); returns header + rows.
pub fn read_csv(path: &Path) -> Result<Vec<Vec<String>>, String> {
    let text = read_text(path)?;
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    Ok(rows)
}
