//! Signs sample documents with the test ORG_SIGN certificate (`examples/pki/`, TEST ONLY)
//! and writes them to a folder, for `.ci/signature-checks` (xmlsec1, xmllint, openssl) and
//! for trying `dmp verify`:
//!
//! ```sh
//! cargo run --example sign_samples -- target/signature-samples
//! cargo run -p dmp-cli -- verify target/signature-samples/vihf-rsa-sha256.xml \
//!     --trust examples/pki/root.pem --trust examples/pki/org-ca.pem
//! ```
//!
//! Written: `vihf-rsa-sha256.xml` and `vihf-rsa-sha1.xml` (a VIHF-like SAML assertion with
//! an enveloped signature), `xades.xml` (the XAdES manifest signature of a submission set:
//! the dummy submission-set digest, a DLU CDA canonicalised with comments, a PDF as raw
//! bytes), its parts `dlu.xml` and `sample.pdf`, `parts.txt` (one `URN FILE TRANSFORM` line
//! per checkable part) and `message.mime` (an MTOM-like multipart message carrying the VIHF
//! in a SOAP header, the CDA and the XAdES signature as attachments). Same inputs, same
//! bytes: the clock is fixed.

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, Utc};
use dmp_core::cda::{self, Case};
use dmp_core::crypto::{SignatureAlgorithm, SigningIdentity, UsagePolicy};
use dmp_core::xades::{self, DigestSource, ManifestReference, XadesOptions};
use dmp_core::xmldsig::{self, EnvelopedOptions};

const P12: &[u8] = include_bytes!("pki/org-sign.p12");
const PASSWORD: &str = include_str!("pki/PASSWORD");
const VIHF_TEMPLATE: &[u8] = include_bytes!("../tests/fixtures/xmldsig/vihf-template.xml");
const VIHF_ID: &str = "_4f3c2a1e-8b7d-4e2f-9a10-5c6d7e8f9a0b";
const DLU: &str = include_str!("data/cases/dlu.json");
const PDF: &[u8] = include_bytes!("data/cases/sample.pdf");
/// The submission set's uniqueId (its manifest reference carries the dummy digest).
const SUBMISSION_SET: &str = "urn:oid:1.2.250.1.999.1.1.7898.5.9000";
const PDF_URN: &str = "urn:oid:1.2.250.1.999.1.1.7898.4.2002";

type Error = Box<dyn std::error::Error>;

fn main() -> Result<(), Error> {
    // Under the workspace's target/, wherever the example is run from.
    let out = std::env::args_os().nth(1).map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/signature-samples"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&out)?;
    let now: DateTime<Utc> = "2026-01-15T10:00:00Z".parse()?;
    let identity = SigningIdentity::from_pkcs12(P12, PASSWORD.trim())?;

    let mut vihf256 = Vec::new();
    for (name, alg) in [
        ("vihf-rsa-sha256.xml", SignatureAlgorithm::RsaSha256),
        ("vihf-rsa-sha1.xml", SignatureAlgorithm::RsaSha1),
    ] {
        let signer = identity
            .clone()
            .with_algorithm(alg)?
            .signer_at(now, UsagePolicy::DmpSignature)?;
        let signed =
            xmldsig::sign_enveloped(VIHF_TEMPLATE, VIHF_ID, &EnvelopedOptions::vihf(), &signer)?;
        std::fs::write(out.join(name), &signed)?;
        if alg == SignatureAlgorithm::RsaSha256 {
            vihf256 = signed;
        }
    }

    let case: Case = dmp_core::json::from_str(DLU)?;
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/data/cases");
    let (header, content) =
        case.into_parts(|p| std::fs::read(base.join(p)).map_err(|e| e.to_string()))?;
    let cda_bytes = cda::build(&header, &content)?;
    let cda_urn = format!("urn:oid:{}", header.id);
    std::fs::write(out.join("dlu.xml"), &cda_bytes)?;
    std::fs::write(out.join("sample.pdf"), PDF)?;

    let signer = identity
        .clone()
        .with_algorithm(SignatureAlgorithm::RsaSha1)?
        .signer_at(now, UsagePolicy::DmpSignature)?;
    let time: DateTime<FixedOffset> = "2026-01-15T11:00:00.000+01:00".parse()?;
    let refs = [
        ManifestReference {
            uri: SUBMISSION_SET.into(),
            digest: DigestSource::dmp_dummy(),
        },
        ManifestReference {
            uri: cda_urn.clone(),
            digest: DigestSource::C14nWithComments(&cda_bytes),
        },
        ManifestReference {
            uri: PDF_URN.into(),
            digest: DigestSource::Raw(PDF),
        },
    ];
    let options = XadesOptions::new("7d1f9a52-3c8e-4b6a-9e21-0f4d5c6b7a89", time);
    let xades_bytes = xades::sign_manifest(&refs, &options, &signer)?;
    std::fs::write(out.join("xades.xml"), &xades_bytes)?;
    std::fs::write(
        out.join("parts.txt"),
        format!("{cda_urn} dlu.xml c14n-with-comments\n{PDF_URN} sample.pdf raw\n"),
    )?;
    std::fs::write(
        out.join("message.mime"),
        mtom(&vihf256, &cda_bytes, &xades_bytes, &cda_urn),
    )?;
    println!("signature samples written to {}", out.display());
    Ok(())
}

/// A ProvideAndRegisterDocumentSet-like MTOM message (enough of it for `dmp verify`: the
/// VIHF in the SOAP header, the XDS metadata that maps each document's uniqueId to its
/// attachment, the CDA, the PDF and the signature as attachments). Every document the
/// signature's manifest names is in the message, as `dmp verify` requires of a whole message.
fn mtom(vihf: &[u8], cda: &[u8], xades: &[u8], cda_urn: &str) -> Vec<u8> {
    let vihf = std::str::from_utf8(vihf).unwrap_or_default();
    let vihf = vihf
        .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        .unwrap_or(vihf);
    let unique = cda_urn.trim_start_matches("urn:oid:");
    let pdf_unique = PDF_URN.trim_start_matches("urn:oid:");
    let mut m = Vec::new();
    let root = format!(
        "--MIMEBoundary_dmp\r\n\
         Content-Type: application/xop+xml; charset=UTF-8; type=\"application/soap+xml\"\r\n\
         Content-Transfer-Encoding: binary\r\n\
         Content-ID: <root.message@dmp.example>\r\n\r\n\
         <soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\"><soap:Header>\
         <wsse:Security xmlns:wsse=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd\">\
         {vihf}</wsse:Security></soap:Header><soap:Body>\
         <xdsb:ProvideAndRegisterDocumentSetRequest xmlns:xdsb=\"urn:ihe:iti:xds-b:2007\">\
         <lcm:SubmitObjectsRequest xmlns:lcm=\"urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0\">\
         <rim:RegistryObjectList xmlns:rim=\"urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0\">\
         <rim:ExtrinsicObject id=\"Document01\" mimeType=\"text/xml\" objectType=\"urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1\">\
         <rim:ExternalIdentifier id=\"ei01\" registryObject=\"Document01\" identificationScheme=\"urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab\" value=\"{unique}\"/>\
         </rim:ExtrinsicObject>\
         <rim:ExtrinsicObject id=\"Document02\" mimeType=\"application/pdf\" objectType=\"urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1\">\
         <rim:ExternalIdentifier id=\"ei02\" registryObject=\"Document02\" identificationScheme=\"urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab\" value=\"{pdf_unique}\"/>\
         </rim:ExtrinsicObject></rim:RegistryObjectList></lcm:SubmitObjectsRequest>\
         <xdsb:Document id=\"Document01\"><xop:Include xmlns:xop=\"http://www.w3.org/2004/08/xop/include\" href=\"cid:dlu.xml\"/></xdsb:Document>\
         <xdsb:Document id=\"Document02\"><xop:Include xmlns:xop=\"http://www.w3.org/2004/08/xop/include\" href=\"cid:sample.pdf\"/></xdsb:Document>\
         <xdsb:Document id=\"Signature01\"><xop:Include xmlns:xop=\"http://www.w3.org/2004/08/xop/include\" href=\"cid:signature.xml\"/></xdsb:Document>\
         </xdsb:ProvideAndRegisterDocumentSetRequest></soap:Body></soap:Envelope>\r\n"
    );
    m.extend_from_slice(root.as_bytes());
    for (cid, body, media_type) in [
        ("dlu.xml", cda, "text/xml; charset=UTF-8"),
        ("sample.pdf", PDF, "application/pdf"),
        ("signature.xml", xades, "text/xml; charset=UTF-8"),
    ] {
        m.extend_from_slice(
            format!(
                "--MIMEBoundary_dmp\r\nContent-Type: {media_type}\r\n\
                 Content-Transfer-Encoding: binary\r\nContent-ID: <{cid}>\r\n\r\n"
            )
            .as_bytes(),
        );
        m.extend_from_slice(body);
        m.extend_from_slice(b"\r\n");
    }
    m.extend_from_slice(b"--MIMEBoundary_dmp--\r\n");
    m
}
