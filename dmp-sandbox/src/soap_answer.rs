//! The envelopes the sandbox answers with, shaped like the official responses: WS-Addressing
//! `Action`, `MessageID`, `To` (anonymous) and `RelatesTo` in the default namespace of each
//! header, the body element, and SOAP 1.2 faults for what the DMP refuses before reading the
//! body (VIHF, rights, unknown action).

use dmp_core::soap::{mtom, SOAP12_NS, WSA_ANONYMOUS, WSA_NS, XOP_NS};
use dmp_core::xml::writer::XmlWriter;

/// `wsa:Action` of a SOAP fault (WS-Addressing 1.0 SOAP binding).
pub(crate) const FAULT_ACTION: &str = "http://www.w3.org/2005/08/addressing/soap/fault";

/// An answer ready to be written on the connection.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: String,
    /// The body.
    pub body: Vec<u8>,
}

/// A SOAP 1.2 fault: `Code/Value` (`soap:Sender` or `soap:Receiver`) and the reason text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SoapFault {
    /// `Sender` (the request is wrong: HTTP 400) or `Receiver` (HTTP 500).
    pub sender: bool,
    /// `Reason/Text` (French, as the DMP writes them).
    pub reason: String,
}

impl SoapFault {
    /// A fault of the client's request.
    pub(crate) fn sender(reason: impl Into<String>) -> SoapFault {
        SoapFault {
            sender: true,
            reason: reason.into(),
        }
    }

    /// A fault of the sandbox itself.
    pub(crate) fn receiver(reason: impl Into<String>) -> SoapFault {
        SoapFault {
            sender: false,
            reason: reason.into(),
        }
    }
}

fn new_message_id() -> String {
    format!("urn:uuid:{}", uuid::Uuid::new_v4())
}

/// The envelope around `body` (a complete element, written by us).
pub(crate) fn envelope(action: &str, relates_to: Option<&str>, body: &[u8]) -> Vec<u8> {
    let mut head = XmlWriter::new();
    let ns = [("xmlns", WSA_NS)];
    // The values are ours or the client's MessageID as read by the hardened reader; the
    // writer escapes them.
    let _ = head.leaf("Action", &ns, action);
    let _ = head.leaf("MessageID", &ns, &new_message_id());
    let _ = head.leaf("To", &ns, WSA_ANONYMOUS);
    if let Some(r) = relates_to {
        let _ = head.leaf("RelatesTo", &ns, r);
    }
    let head = head.finish().unwrap_or_default();
    let mut out = Vec::with_capacity(body.len() + head.len() + 256);
    out.extend_from_slice(b"<soap:Envelope xmlns:soap=\"");
    out.extend_from_slice(SOAP12_NS.as_bytes());
    out.extend_from_slice(b"\"><soap:Header>");
    out.extend_from_slice(&head);
    out.extend_from_slice(b"</soap:Header><soap:Body>");
    out.extend_from_slice(body);
    out.extend_from_slice(b"</soap:Body></soap:Envelope>");
    out
}

/// A plain SOAP 1.2 answer (`application/soap+xml`).
pub(crate) fn plain(action: &str, relates_to: Option<&str>, body: &[u8]) -> Answer {
    Answer {
        status: 200,
        content_type: format!("application/soap+xml; charset=UTF-8; action=\"{action}\""),
        body: envelope(action, relates_to, body),
    }
}

/// The `soap:Fault` element.
fn fault_body(fault: &SoapFault) -> Vec<u8> {
    let mut w = XmlWriter::new();
    let code = if fault.sender {
        "soap:Sender"
    } else {
        "soap:Receiver"
    };
    let _ = w.elem("soap:Fault", &[], |w| {
        w.elem("soap:Code", &[], |w| w.leaf("soap:Value", &[], code))?;
        w.elem("soap:Reason", &[], |w| {
            w.leaf("soap:Text", &[("xml:lang", "fr")], &fault.reason)
        })
    });
    w.finish().unwrap_or_default()
}

/// A SOAP 1.2 fault, plain (HTTP 400 for `Sender`, 500 for `Receiver`, SOAP 1.2 HTTP
/// binding).
pub(crate) fn fault(fault: &SoapFault, relates_to: Option<&str>) -> Answer {
    let mut a = plain(FAULT_ACTION, relates_to, &fault_body(fault));
    a.status = if fault.sender { 400 } else { 500 };
    a
}

/// An MTOM answer (ITI-43: "multipart/related even for SOAP faults"): the envelope as the
/// root part, `parts` after it.
pub(crate) fn mtom_answer(
    action: &str,
    relates_to: Option<&str>,
    body: &[u8],
    parts: &[mtom::Part<'_>],
    status: u16,
) -> Answer {
    let envelope = envelope(action, relates_to, body);
    let boundary = format!("MIMEBoundary_{}", uuid::Uuid::new_v4().simple());
    match mtom::build_to(
        dmp_core::soap::endpoint::REPOSITORY,
        &envelope,
        parts,
        &boundary,
        action,
    ) {
        Ok(http) => Answer {
            status,
            content_type: http.header("Content-Type").unwrap_or_default().to_owned(),
            body: http.body,
        },
        Err(e) => fault(
            &SoapFault::receiver(format!("Erreur interne : {e}")),
            relates_to,
        ),
    }
}

/// A fault in an MTOM message (TD3.2).
pub(crate) fn mtom_fault(f: &SoapFault, relates_to: Option<&str>) -> Answer {
    mtom_answer(
        FAULT_ACTION,
        relates_to,
        &fault_body(f),
        &[],
        if f.sender { 400 } else { 500 },
    )
}

/// The `xop:Include` of a part, for a `Document` element.
pub(crate) fn xop_include(w: &mut XmlWriter, content_id: &str) -> dmp_core::Result<()> {
    w.empty(
        "xop:Include",
        &[("xmlns:xop", XOP_NS), ("href", &mtom::cid_href(content_id))],
    )
}
