//! [`RimObject`]: one ebRIM 3.0 registry object kept whole (attributes, slots, names,
//! version, classifications, external identifiers), as the registry returned it or as we
//! write it. One writer serves every request we build (TD2.1 submissions, ITI-57 updates),
//! and one reader turns a parsed element back into the same value, so that an entry read
//! from a TD3.1 response can be re-emitted faithfully in a TD3.3 metadata update.

use std::borrow::Cow;

use crate::error::{Error, Result};
use crate::xml::reader::Element;
use crate::xml::writer::XmlWriter;

use super::request::ObjectKind;
use super::vocabulary::*;

/// The attributes of ebRIM 3.0 registry objects, slots, version infos and localized strings
/// (rim.xsd): the only ones [`RimObject`] writes. The schema allows no other, so anything
/// else read from a response (an `xsi:` attribute, a vendor extension) is not re-emitted.
const RIM_ATTRIBUTES: &[&str] = &[
    "id",
    "home",
    "lid",
    "objectType",
    "status",
    "mimeType",
    "isOpaque",
    "classificationScheme",
    "classificationNode",
    "classifiedObject",
    "nodeRepresentation",
    "identificationScheme",
    "registryObject",
    "value",
    "associationType",
    "sourceObject",
    "targetObject",
    "createReplica",
];

/// `VersionInfo` attributes (rim.xsd `VersionInfoType`).
const VERSION_ATTRIBUTES: &[&str] = &["versionName", "comment"];

/// Slot names of XDS metadata and of ITI-57 associations (IHE ITI TF-3 §4.2.3), kept without
/// an allocation of their own when read.
const SLOT_NAMES: &[&str] = &[
    SLOT_CODING_SCHEME,
    SLOT_CREATION_TIME,
    SLOT_HASH,
    SLOT_LANGUAGE_CODE,
    SLOT_LEGAL_AUTHENTICATOR,
    SLOT_REPOSITORY_UNIQUE_ID,
    SLOT_SERVICE_START_TIME,
    SLOT_SERVICE_STOP_TIME,
    SLOT_SIZE,
    SLOT_SOURCE_PATIENT_ID,
    SLOT_SOURCE_PATIENT_INFO,
    SLOT_AUTHOR_PERSON,
    SLOT_AUTHOR_INSTITUTION,
    SLOT_AUTHOR_SPECIALTY,
    SLOT_AUTHOR_ROLE,
    SLOT_AUTHOR_TELECOMMUNICATION,
    SLOT_SUBMISSION_TIME,
    SLOT_SUBMISSION_SET_STATUS,
    SLOT_ORIGINAL_STATUS,
    SLOT_NEW_STATUS,
    SLOT_PREVIOUS_VERSION,
];

/// `LocalizedString` charsets and languages seen in DMP messages.
const LOCALIZED_VALUES: &[&str] = &[LOCALIZED_CHARSET, LOCALIZED_LANG, "UTF-8", "fr-FR", "en-US"];

/// The static spelling of `name`, if it is one of `known`.
fn known(name: &str, known: &[&'static str]) -> Option<&'static str> {
    known.iter().copied().find(|k| *k == name)
}

/// `name` as a static string when it is one of `known`, else owned.
fn interned(name: &str, table: &[&'static str]) -> Cow<'static, str> {
    match known(name, table) {
        Some(k) => Cow::Borrowed(k),
        None => Cow::Owned(name.to_owned()),
    }
}

/// An attribute: name (static for the ebRIM ones) and value.
type Attribute = (Cow<'static, str>, String);

/// A `rim:Slot`: its name, optional `slotType`, and its values in order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RimSlot {
    /// `@name`.
    pub name: Cow<'static, str>,
    /// `@slotType`, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slot_type: Option<String>,
    /// `ValueList/Value` texts, as written.
    pub values: Vec<String>,
}

impl RimSlot {
    /// A slot with `name` and `values`.
    pub fn new(name: impl Into<Cow<'static, str>>, values: Vec<String>) -> RimSlot {
        RimSlot {
            name: name.into(),
            slot_type: None,
            values,
        }
    }
}

/// A `rim:LocalizedString` of a `Name` or `Description`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RimLocalizedString {
    /// `@value`.
    pub value: String,
    /// `@charset`, if written (the schema default is `UTF-8`).
    pub charset: Option<Cow<'static, str>>,
    /// `@xml:lang`, if written (the schema default is `en-US`).
    pub lang: Option<Cow<'static, str>>,
}

/// One ebRIM object, generic: the element, its attributes in order and its children in
/// schema order. Classifications and external identifiers are objects too (their own
/// slots, names and attributes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RimObject {
    /// Which element.
    pub kind: ObjectKind,
    /// Attributes as (name, value), in document order; namespace declarations excluded.
    pub attributes: Vec<Attribute>,
    /// Every `Slot`, in order.
    pub slots: Vec<RimSlot>,
    /// `Name` (its localized strings; empty when absent).
    pub name: Vec<RimLocalizedString>,
    /// `Description` (its localized strings; empty when absent).
    pub description: Vec<RimLocalizedString>,
    /// `VersionInfo` attributes, when the element is present.
    pub version_info: Option<Vec<Attribute>>,
    /// Every `Classification`, in order.
    pub classifications: Vec<RimObject>,
    /// Every `ExternalIdentifier`, in order.
    pub external_identifiers: Vec<RimObject>,
}

impl RimObject {
    /// An object of `kind` with the attributes `attributes` and nothing else.
    pub fn new(kind: ObjectKind, attributes: Vec<Attribute>) -> RimObject {
        RimObject {
            kind,
            attributes,
            slots: Vec::new(),
            name: Vec::new(),
            description: Vec::new(),
            version_info: None,
            classifications: Vec::new(),
            external_identifiers: Vec::new(),
        }
    }

    /// The value of attribute `name`, if present.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Sets attribute `name` (in place when present, else at the end).
    pub fn set_attr(&mut self, name: &str, value: impl Into<String>) {
        let value = value.into();
        match self.attributes.iter_mut().find(|(n, _)| n == name) {
            Some((_, v)) => *v = value,
            None => self
                .attributes
                .push((interned(name, RIM_ATTRIBUTES), value)),
        }
    }

    /// Removes attribute `name`, if present.
    pub fn remove_attr(&mut self, name: &str) {
        self.attributes.retain(|(n, _)| n != name);
    }

    /// `@id` (empty when absent).
    pub fn id(&self) -> &str {
        self.attr("id").unwrap_or_default()
    }

    /// The values of the first slot named `name` (empty when there is none).
    pub fn slot(&self, name: &str) -> &[String] {
        self.slots
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.values.as_slice())
            .unwrap_or_default()
    }

    /// The first value of slot `name`, trimmed, if any.
    pub fn slot_value(&self, name: &str) -> Option<&str> {
        self.slot(name).first().map(|v| v.trim())
    }

    /// The first `Name` string, if any.
    pub fn name_text(&self) -> Option<&str> {
        self.name.first().map(|s| s.value.as_str())
    }

    /// The first `Description` string, if any.
    pub fn description_text(&self) -> Option<&str> {
        self.description.first().map(|s| s.value.as_str())
    }

    /// `VersionInfo/@versionName`, if any.
    pub fn version_name(&self) -> Option<&str> {
        self.version_info
            .as_ref()
            .and_then(|a| a.iter().find(|(n, _)| n == "versionName"))
            .map(|(_, v)| v.as_str())
    }

    /// The classifications whose `classificationScheme` is `scheme`.
    pub fn classified<'a>(&'a self, scheme: &'a str) -> impl Iterator<Item = &'a RimObject> + 'a {
        self.classifications
            .iter()
            .filter(move |c| c.attr("classificationScheme") == Some(scheme))
    }

    /// The `value` of the first external identifier whose `identificationScheme` is `scheme`.
    pub fn external_identifier(&self, scheme: &str) -> Option<&str> {
        self.external_identifiers
            .iter()
            .find(|e| e.attr("identificationScheme") == Some(scheme))
            .and_then(|e| e.attr("value"))
    }

    /// Reads an ebRIM element (`kind` is the caller's knowledge of what it is). Linear in the
    /// element's subtree; elements outside the ebRIM content model are ignored.
    pub(crate) fn read(e: Element<'_>, kind: ObjectKind) -> RimObject {
        // Count first so that every list is allocated once, at its size.
        let (mut slots, mut classifications, mut identifiers) = (0, 0, 0);
        for c in e.children() {
            match c.local_name() {
                "Slot" => slots += 1,
                "Classification" => classifications += 1,
                "ExternalIdentifier" => identifiers += 1,
                _ => {}
            }
        }
        let mut o = RimObject::new(kind, attributes_of(e, RIM_ATTRIBUTES));
        o.slots.reserve_exact(slots);
        o.classifications.reserve_exact(classifications);
        o.external_identifiers.reserve_exact(identifiers);
        for c in e.children() {
            if c.namespace() != Some(NS_RIM) {
                continue;
            }
            match c.local_name() {
                "Slot" => o.slots.push(read_slot(c)),
                "Name" => o.name = localized_strings(c),
                "Description" => o.description = localized_strings(c),
                "VersionInfo" => o.version_info = Some(attributes_of(c, VERSION_ATTRIBUTES)),
                "Classification" => o
                    .classifications
                    .push(RimObject::read(c, ObjectKind::Classification)),
                "ExternalIdentifier" => o
                    .external_identifiers
                    .push(RimObject::read(c, ObjectKind::ExternalIdentifier)),
                _ => {}
            }
        }
        o
    }

    /// Writes the object with the `rim:` prefix (declared by the caller), children in rim.xsd
    /// order: Slot, Name, Description, VersionInfo, Classification, ExternalIdentifier. An
    /// object without children is an empty element. Attributes outside ebRIM are skipped.
    pub(crate) fn write(&self, w: &mut XmlWriter) -> Result<()> {
        let attrs = static_attributes(&self.attributes, RIM_ATTRIBUTES);
        let qname = self.kind.qname();
        let empty = self.slots.is_empty()
            && self.name.is_empty()
            && self.description.is_empty()
            && self.version_info.is_none()
            && self.classifications.is_empty()
            && self.external_identifiers.is_empty();
        if empty {
            return w.empty(qname, &attrs);
        }
        w.elem(qname, &attrs, |w| {
            for s in &self.slots {
                let mut attrs = vec![("name", s.name.as_ref())];
                if let Some(t) = &s.slot_type {
                    attrs.push(("slotType", t.as_str()));
                }
                w.elem("rim:Slot", &attrs, |w| {
                    w.elem("rim:ValueList", &[], |w| {
                        s.values
                            .iter()
                            .try_for_each(|v| w.leaf("rim:Value", &[], v))
                    })
                })?;
            }
            write_localized(w, "rim:Name", &self.name)?;
            write_localized(w, "rim:Description", &self.description)?;
            if let Some(v) = &self.version_info {
                w.empty("rim:VersionInfo", &static_attributes(v, VERSION_ATTRIBUTES))?;
            }
            for c in self
                .classifications
                .iter()
                .chain(&self.external_identifiers)
            {
                c.write(w)?;
            }
            Ok(())
        })
    }

    /// Every id in the object (its own, its classifications' and external identifiers'),
    /// for the uniqueness check of a request.
    pub(crate) fn ids(&self) -> impl Iterator<Item = &str> + '_ {
        std::iter::once(self.id()).chain(
            self.classifications
                .iter()
                .chain(&self.external_identifiers)
                .map(RimObject::id),
        )
    }
}

fn static_attributes<'a>(
    attributes: &'a [Attribute],
    allowed: &[&'static str],
) -> Vec<(&'static str, &'a str)> {
    attributes
        .iter()
        .filter_map(|(n, v)| known(n, allowed).map(|n| (n, v.as_str())))
        .collect()
}

fn write_localized(
    w: &mut XmlWriter,
    element: &'static str,
    strings: &[RimLocalizedString],
) -> Result<()> {
    if strings.is_empty() {
        return Ok(());
    }
    w.elem(element, &[], |w| {
        for s in strings {
            let mut attrs = Vec::with_capacity(3);
            if let Some(c) = &s.charset {
                attrs.push(("charset", c.as_ref()));
            }
            attrs.push(("value", s.value.as_str()));
            if let Some(l) = &s.lang {
                attrs.push(("xml:lang", l.as_ref()));
            }
            w.empty("rim:LocalizedString", &attrs)?;
        }
        Ok(())
    })
}

/// The attributes of an element, namespace declarations excluded.
fn attributes_of(e: Element<'_>, table: &[&'static str]) -> Vec<Attribute> {
    let mut out = Vec::with_capacity(e.attributes().count());
    out.extend(
        e.attributes()
            .filter(|(n, _)| *n != "xmlns" && !n.starts_with("xmlns:"))
            .map(|(n, v)| (interned(n, table), v.to_owned())),
    );
    out
}

fn read_slot(e: Element<'_>) -> RimSlot {
    let values = e
        .child(NS_RIM, "ValueList")
        .map(|l| {
            let mut values = Vec::with_capacity(l.children().count());
            values.extend(
                l.children_named(NS_RIM, "Value")
                    .map(|v| v.text().to_owned()),
            );
            values
        })
        .unwrap_or_default();
    RimSlot {
        name: interned(e.attr("name").unwrap_or_default(), SLOT_NAMES),
        slot_type: e.attr("slotType").map(str::to_owned),
        values,
    }
}

fn localized_strings(e: Element<'_>) -> Vec<RimLocalizedString> {
    e.children_named(NS_RIM, "LocalizedString")
        .map(|l| RimLocalizedString {
            value: l.attr("value").unwrap_or_default().to_owned(),
            charset: l.attr("charset").map(|c| interned(c, LOCALIZED_VALUES)),
            lang: l.attr("xml:lang").map(|c| interned(c, LOCALIZED_VALUES)),
        })
        .collect()
}

/// Writes `lcm:SubmitObjectsRequest` (declaring `lcm` and `rim`) around a
/// `rim:RegistryObjectList` of `objects`: the ITI-41 metadata and the ITI-57 body alike.
pub(crate) fn write_submit_objects(
    w: &mut XmlWriter,
    extra_namespaces: &[(&'static str, &str)],
    objects: &[RimObject],
) -> Result<()> {
    w.elem("lcm:SubmitObjectsRequest", extra_namespaces, |w| {
        w.elem("rim:RegistryObjectList", &[], |w| {
            objects.iter().try_for_each(|o| o.write(w))
        })
    })
}

/// Checks that the ids of `objects` (and of their classifications and external
/// identifiers) are unique in a request.
pub(crate) fn check_unique_ids(objects: &[RimObject]) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    for id in objects.iter().flat_map(RimObject::ids) {
        if !seen.insert(id) {
            return Err(Error::invalid(
                "id",
                "ids must be unique in the request (generated ids are claN, eiN, assocN)",
                id,
            ));
        }
    }
    Ok(())
}
