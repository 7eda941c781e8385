//! SOAP faults, 1.2 and 1.1, read from a response envelope. The DMP's codes and texts are
//! kept verbatim: the software must show them to the user (PRE_ERR).

use std::fmt;

use super::{envelope_parts, SoapVersion};
use crate::error::Result;
use crate::xml::reader::Limits;
use crate::xml::tree::{Element, Tree, XML_NS};

/// A fault code: a QName as written (`soap:Sender`) and what it resolves to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FaultCode {
    /// The value as written, surrounding white space removed (`soap:Sender`, `ns1:XDSError`).
    pub value: String,
    /// The namespace its prefix is bound to where it is written (`None` when the prefix is
    /// unbound or there is none and no default namespace).
    pub namespace: Option<String>,
    /// The part after the colon (`Sender`).
    pub local_name: String,
}

impl FaultCode {
    fn read(e: Element<'_>) -> FaultCode {
        let value = e.text().trim().to_owned();
        let (prefix, local) = match value.split_once(':') {
            Some((p, l)) => (Some(p), l),
            None => (None, value.as_str()),
        };
        FaultCode {
            namespace: e.lookup_namespace(prefix).map(str::to_owned),
            local_name: local.to_owned(),
            value: value.clone(),
        }
    }
}

/// One `Reason/Text` (SOAP 1.2) or the `faultstring` (SOAP 1.1).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FaultReason {
    /// `xml:lang`, if given.
    pub lang: Option<String>,
    /// The text, verbatim.
    pub text: String,
}

/// A SOAP fault.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Fault {
    /// The envelope's SOAP version.
    pub version: SoapVersion,
    /// `Code/Value` (1.2) or `faultcode` (1.1).
    pub code: FaultCode,
    /// `Code/Subcode/Value`, outermost first (1.2 only).
    pub subcodes: Vec<FaultCode>,
    /// `Reason/Text`s in order (1.2) or the `faultstring` (1.1).
    pub reasons: Vec<FaultReason>,
    /// `Node` (1.2).
    pub node: Option<String>,
    /// `Role` (1.2) or `faultactor` (1.1).
    pub role: Option<String>,
    /// The `Detail` (1.2) / `detail` (1.1) element, byte for byte as received (JSON: its
    /// text, invalid UTF-8 replaced).
    #[serde(serialize_with = "lossy_text")]
    pub detail: Option<Vec<u8>>,
}

impl Fault {
    /// The fault of a response envelope: `Ok(None)` when the Body's first child is not a
    /// `Fault`; an error when the input is not a SOAP envelope.
    pub fn parse(envelope: &[u8]) -> Result<Option<Fault>> {
        let tree = Tree::parse(envelope, &Limits::default())?;
        let (version, body) = envelope_parts(&tree)?;
        let ns = version.namespace();
        let Some(fault) = body.children().next().filter(|c| c.is(ns, "Fault")) else {
            return Ok(None);
        };
        let detail_of =
            |e: Option<Element<'_>>| e.and_then(|d| envelope.get(d.span())).map(<[u8]>::to_vec);
        Ok(Some(match version {
            SoapVersion::Soap12 => {
                let code_el = fault.child(ns, "Code");
                let code = code_el
                    .and_then(|c| c.child(ns, "Value"))
                    .map_or_else(empty_code, FaultCode::read);
                let mut subcodes = Vec::new();
                let mut cur = code_el.and_then(|c| c.child(ns, "Subcode"));
                while let Some(sc) = cur {
                    if let Some(v) = sc.child(ns, "Value") {
                        subcodes.push(FaultCode::read(v));
                    }
                    cur = sc.child(ns, "Subcode");
                }
                let reasons = fault
                    .child(ns, "Reason")
                    .map(|r| {
                        r.children()
                            .filter(|t| t.is(ns, "Text"))
                            .map(reason)
                            .collect()
                    })
                    .unwrap_or_default();
                Fault {
                    version,
                    code,
                    subcodes,
                    reasons,
                    node: fault.child(ns, "Node").map(|e| e.text()),
                    role: fault.child(ns, "Role").map(|e| e.text()),
                    detail: detail_of(fault.child(ns, "Detail")),
                }
            }
            SoapVersion::Soap11 => {
                // SOAP 1.1 fault children are unqualified; accept qualified ones too.
                let child = |local: &str| fault.children().find(|c| c.local_name() == local);
                Fault {
                    version,
                    code: child("faultcode").map_or_else(empty_code, FaultCode::read),
                    subcodes: Vec::new(),
                    reasons: child("faultstring").map(reason).into_iter().collect(),
                    node: None,
                    role: child("faultactor").map(|e| e.text()),
                    detail: detail_of(child("detail")),
                }
            }
        }))
    }

    /// The first reason text (empty when there is none).
    pub fn reason(&self) -> &str {
        self.reasons.first().map_or("", |r| r.text.as_str())
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SOAP fault {}", self.code.value)?;
        for s in &self.subcodes {
            write!(f, " / {}", s.value)?;
        }
        write!(f, ": {}", self.reason())
    }
}

fn empty_code() -> FaultCode {
    FaultCode {
        value: String::new(),
        namespace: None,
        local_name: String::new(),
    }
}

fn reason(e: Element<'_>) -> FaultReason {
    FaultReason {
        lang: e.attr_ns(Some(XML_NS), "lang").map(str::to_owned),
        text: e.text(),
    }
}

fn lossy_text<S: serde::Serializer>(
    v: &Option<Vec<u8>>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match v {
        Some(b) => s.serialize_some(&String::from_utf8_lossy(b)),
        None => s.serialize_none(),
    }
}
