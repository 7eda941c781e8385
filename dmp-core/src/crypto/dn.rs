//! Distinguished names and their RFC 2253 string form, as the DMP expects it.
//!
//! Where the DMP shows a DN as text — the VIHF `Issuer` (subject of the signing certificate)
//! and the XAdES `X509IssuerName` — it uses RFC 2253: the RDNs **most specific first**
//! (reversed from the DER order), `,` between RDNs with no blank, `+` inside a multi-valued
//! RDN, and backslash escaping. The attribute names differ between toolkits:
//!
//! | attribute | [`DnStyle::Dmp`] (default) | [`DnStyle::Java`] | .NET | OpenSSL / xmlsec1 |
//! |---|---|---|---|---|
//! | stateOrProvinceName | `ST` | `ST` | `S` | `ST` |
//! | givenName | `GN` | `2.5.4.42=#…` | `G` | `GN` |
//! | surname | `SN` | `2.5.4.4=#…` | `SN` | `SN` |
//! | title | `T` | `2.5.4.12=#…` | `T` | `title` |
//! | emailAddress | `E` | `1.2.840.113549.1.9.1=#…` | `E` | `emailAddress` |
//!
//! The CI-SIS transport volet (§4.3.1.5.1.1, quoted by the ANS C# kit) requires `ST` and
//! `GN`, never .NET's `S` and `G`; [`DnStyle::Dmp`] follows it and keeps the other .NET names.
//! [`DnStyle::Java`] is Java's `X500Principal.getName(RFC2253)`: only the RFC 2253 keywords,
//! everything else as `OID=#hex`, which is what the official VIHF DIRECTE sample shows
//! (`CN=899900038839+2.5.4.4=#14045452414c+2.5.4.42=#14064144454d4953,OU=M?decin,O=TEST,C=FR`).
//! Both render the CA names of the official XAdES sample identically.

use std::fmt;

use super::der::{self, TAG_OID, TAG_SEQUENCE, TAG_SET};
use crate::error::{Error, Result};

/// `countryName`.
pub const OID_C: &str = "2.5.4.6";
/// `commonName`.
pub const OID_CN: &str = "2.5.4.3";
/// `surname`.
pub const OID_SN: &str = "2.5.4.4";
/// `serialNumber` (the attribute of the name, not the certificate serial).
pub const OID_SERIAL_NUMBER: &str = "2.5.4.5";
/// `localityName`.
pub const OID_L: &str = "2.5.4.7";
/// `stateOrProvinceName`.
pub const OID_ST: &str = "2.5.4.8";
/// `streetAddress`.
pub const OID_STREET: &str = "2.5.4.9";
/// `organizationName`.
pub const OID_O: &str = "2.5.4.10";
/// `organizationalUnitName` (the IGC-Santé puts the structure identifier there).
pub const OID_OU: &str = "2.5.4.11";
/// `title` (the IGC-Santé puts the profession there, e.g. `Médecin`).
pub const OID_TITLE: &str = "2.5.4.12";
/// `givenName`.
pub const OID_GN: &str = "2.5.4.42";
/// `domainComponent`.
pub const OID_DC: &str = "0.9.2342.19200300.100.1.25";
/// `userId`.
pub const OID_UID: &str = "0.9.2342.19200300.100.1.1";
/// `emailAddress` (PKCS#9).
pub const OID_EMAIL: &str = "1.2.840.113549.1.9.1";

/// Which attribute names a DN string uses (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DnStyle {
    /// The names the DMP documents expect: RFC 2253's (`CN, L, ST, O, OU, C, STREET, DC,
    /// UID`) plus `SN`, `GN`, `T`, `E` and `SERIALNUMBER`; other attributes as `OID=#hex`.
    #[default]
    Dmp,
    /// Java's `X500Principal.getName(RFC2253)`: only RFC 2253's nine names; every other
    /// attribute (surname, givenName, title…) as `OID=#hex`.
    Java,
}

/// One attribute of a name: its type (dotted OID), its value as text when it is a string
/// type, and the DER encoding of the value.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct DnAttribute {
    oid: String,
    text: Option<String>,
    value_der: Vec<u8>,
}

impl DnAttribute {
    /// The attribute type, e.g. `2.5.4.3`.
    pub fn oid(&self) -> &str {
        &self.oid
    }

    /// The value as text, when it is a decodable string type (UTF8String, PrintableString,
    /// IA5String, TeletexString read as Latin-1, BMPString, UniversalString…).
    pub fn text(&self) -> Option<&str> {
        self.text.as_deref()
    }

    /// The DER encoding of the value (tag, length, content).
    pub fn value_der(&self) -> &[u8] {
        &self.value_der
    }

    fn render(&self, style: DnStyle, out: &mut String) {
        match (keyword(&self.oid, style), &self.text) {
            (Some(name), Some(text)) => {
                out.push_str(name);
                out.push('=');
                escape_value(text, out);
            }
            _ => {
                out.push_str(&self.oid);
                out.push_str("=#");
                out.push_str(&der::hex(&self.value_der));
            }
        }
    }
}

impl fmt::Debug for DnAttribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        self.render(DnStyle::Dmp, &mut s);
        f.write_str(&s)
    }
}

/// A distinguished name: its RDNs in DER order (least specific first, usually `C` first),
/// each a set of one or more attributes.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct DistinguishedName {
    rdns: Vec<Vec<DnAttribute>>,
    der: Vec<u8>,
}

impl DistinguishedName {
    /// Parses the DER encoding of a `Name` (a SEQUENCE of SETs of AttributeTypeAndValue).
    pub fn from_der(der: &[u8]) -> Result<Self> {
        let what = "distinguished name";
        let (name, rest) = der::expect_tlv(der, TAG_SEQUENCE, what)?;
        if !rest.is_empty() {
            return Err(Error::crypto(
                "certificate",
                "distinguished name: trailing bytes after the name",
            ));
        }
        let mut rdns = Vec::new();
        let mut input = name.content;
        while !input.is_empty() {
            let (set, rest) = der::expect_tlv(input, TAG_SET, what)?;
            input = rest;
            let mut attrs = Vec::new();
            let mut inner = set.content;
            while !inner.is_empty() {
                let (atv, rest) = der::expect_tlv(inner, TAG_SEQUENCE, what)?;
                inner = rest;
                let (oid, rest) = der::expect_tlv(atv.content, TAG_OID, what)?;
                let (value, rest) = der::read_tlv(rest, what)?;
                if !rest.is_empty() {
                    return Err(Error::crypto(
                        "certificate",
                        "distinguished name: extra bytes in an attribute",
                    ));
                }
                attrs.push(DnAttribute {
                    oid: der::oid_to_string(oid.content)?,
                    text: decode_string(value.tag, value.content),
                    value_der: value.encoded.to_vec(),
                });
            }
            if attrs.is_empty() {
                return Err(Error::crypto(
                    "certificate",
                    "distinguished name: empty RDN",
                ));
            }
            rdns.push(attrs);
        }
        Ok(DistinguishedName {
            rdns,
            der: der.to_vec(),
        })
    }

    /// The DER encoding of the name (what chain building compares).
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The RDNs in DER order (least specific first).
    pub fn rdns(&self) -> &[Vec<DnAttribute>] {
        &self.rdns
    }

    /// RFC 2253 string in the [`DnStyle::Dmp`] style, e.g.
    /// `CN=TEST AC IGC-SANTE ELEMENTAIRE PERSONNES,OU=IGC-SANTE TEST,OU=0002 187512751,O=ASIP-SANTE,C=FR`.
    pub fn to_rfc2253(&self) -> String {
        self.to_rfc2253_with(DnStyle::Dmp)
    }

    /// RFC 2253 string with the attribute names of `style`.
    pub fn to_rfc2253_with(&self, style: DnStyle) -> String {
        let mut out = String::new();
        for (i, rdn) in self.rdns.iter().rev().enumerate() {
            if i > 0 {
                out.push(',');
            }
            for (j, attr) in rdn.iter().enumerate() {
                if j > 0 {
                    out.push('+');
                }
                attr.render(style, &mut out);
            }
        }
        out
    }

    /// The text values of every attribute of type `oid`, in DER order.
    pub fn values<'a>(&'a self, oid: &str) -> impl Iterator<Item = &'a str> + 'a {
        let oid = oid.to_owned();
        self.rdns
            .iter()
            .flatten()
            .filter(move |a| a.oid == oid)
            .filter_map(DnAttribute::text)
    }

    /// The first text value of type `oid`.
    pub fn first(&self, oid: &str) -> Option<&str> {
        self.values(oid).next()
    }

    /// The common name (`CN`).
    pub fn common_name(&self) -> Option<&str> {
        self.first(OID_CN)
    }
}

impl fmt::Display for DistinguishedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc2253())
    }
}

impl fmt::Debug for DistinguishedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.to_rfc2253())
    }
}

fn keyword(oid: &str, style: DnStyle) -> Option<&'static str> {
    let rfc2253 = match oid {
        OID_CN => Some("CN"),
        OID_L => Some("L"),
        OID_ST => Some("ST"),
        OID_O => Some("O"),
        OID_OU => Some("OU"),
        OID_C => Some("C"),
        OID_STREET => Some("STREET"),
        OID_DC => Some("DC"),
        OID_UID => Some("UID"),
        _ => None,
    };
    match style {
        DnStyle::Java => rfc2253,
        DnStyle::Dmp => rfc2253.or(match oid {
            OID_SN => Some("SN"),
            OID_GN => Some("GN"),
            OID_TITLE => Some("T"),
            OID_EMAIL => Some("E"),
            OID_SERIAL_NUMBER => Some("SERIALNUMBER"),
            _ => None,
        }),
    }
}

/// RFC 2253 §2.4 escaping: `,+"\<>;` anywhere, `#` or a space at the start, a space at the
/// end; control characters as `\XX`.
fn escape_value(value: &str, out: &mut String) {
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        match c {
            ',' | '+' | '"' | '\\' | '<' | '>' | ';' => {
                out.push('\\');
                out.push(c);
            }
            '#' if i == 0 => out.push_str("\\#"),
            ' ' if i == 0 || i == last => out.push_str("\\ "),
            c if c.is_control() => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push('\\');
                    out.push_str(&der::hex(&[b]).to_uppercase());
                }
            }
            c => out.push(c),
        }
    }
}

/// Text of a directory-string value, or `None` for non-string or undecodable values.
fn decode_string(tag: u8, content: &[u8]) -> Option<String> {
    match tag {
        // UTF8String
        0x0c => std::str::from_utf8(content).ok().map(str::to_owned),
        // NumericString, PrintableString, IA5String, VisibleString
        0x12 | 0x13 | 0x16 | 0x1a => content
            .is_ascii()
            .then(|| content.iter().map(|&b| char::from(b)).collect()),
        // TeletexString: read as Latin-1, as most toolkits do.
        0x14 => Some(content.iter().map(|&b| char::from(b)).collect()),
        // BMPString: UCS-2 big-endian.
        0x1e => {
            if !content.len().is_multiple_of(2) {
                return None;
            }
            let units: Vec<u16> = content
                .chunks_exact(2)
                .map(|p| u16::from_be_bytes([p[0], p[1]]))
                .collect();
            String::from_utf16(&units).ok()
        }
        // UniversalString: UCS-4 big-endian.
        0x1c => {
            if !content.len().is_multiple_of(4) {
                return None;
            }
            content
                .chunks_exact(4)
                .map(|q| char::from_u32(u32::from_be_bytes([q[0], q[1], q[2], q[3]])))
                .collect()
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::der::push_tlv;

    /// (OID content bytes, value tag, value bytes).
    type Atv<'a> = (&'a [u8], u8, &'a [u8]);

    /// Builds a Name from RDNs of attributes.
    fn name(rdns: &[&[Atv<'_>]]) -> Vec<u8> {
        let mut seq = Vec::new();
        for rdn in rdns {
            let mut set = Vec::new();
            for (oid, tag, value) in *rdn {
                let mut atv = Vec::new();
                push_tlv(&mut atv, TAG_OID, oid);
                push_tlv(&mut atv, *tag, value);
                push_tlv(&mut set, TAG_SEQUENCE, &atv);
            }
            push_tlv(&mut seq, TAG_SET, &set);
        }
        let mut out = Vec::new();
        push_tlv(&mut out, TAG_SEQUENCE, &seq);
        out
    }

    const C: &[u8] = &[0x55, 4, 6];
    const CN: &[u8] = &[0x55, 4, 3];
    const O: &[u8] = &[0x55, 4, 10];
    const ST: &[u8] = &[0x55, 4, 8];
    const SN: &[u8] = &[0x55, 4, 4];
    const GN: &[u8] = &[0x55, 4, 42];
    const TITLE: &[u8] = &[0x55, 4, 12];
    const UNKNOWN: &[u8] = &[0x2a, 0x81, 0x7a, 0x01];

    #[test]
    fn reversed_order_and_names() {
        let der = name(&[
            &[(C, 0x13, b"FR")],
            &[(ST, 0x0c, "Rhône (69)".as_bytes())],
            &[(TITLE, 0x0c, "Médecin".as_bytes())],
            &[(GN, 0x0c, b"MAX"), (SN, 0x0c, b"LIBRE")],
            &[(CN, 0x13, b"899900063480")],
        ]);
        let dn = DistinguishedName::from_der(&der).unwrap();
        assert_eq!(
            dn.to_rfc2253(),
            "CN=899900063480,GN=MAX+SN=LIBRE,T=Médecin,ST=Rhône (69),C=FR"
        );
        assert_eq!(
            dn.to_rfc2253_with(DnStyle::Java),
            "CN=899900063480,2.5.4.42=#0c034d4158+2.5.4.4=#0c054c49425245,\
             2.5.4.12=#0c084dc3a9646563696e,ST=Rhône (69),C=FR"
        );
        assert_eq!(dn.common_name(), Some("899900063480"));
        assert_eq!(dn.first(OID_SN), Some("LIBRE"));
        assert_eq!(dn.der(), &der[..]);
    }

    #[test]
    fn escaping_per_rfc2253() {
        let der = name(&[
            &[(O, 0x0c, b"A, B + C \"D\" \\E <F> ;G")],
            &[(CN, 0x0c, b"#lead and trail ")],
            &[(CN, 0x0c, b" x=y#")],
            &[(CN, 0x0c, b"bell\x07")],
        ]);
        let dn = DistinguishedName::from_der(&der).unwrap();
        assert_eq!(
            dn.to_rfc2253(),
            "CN=bell\\07,CN=\\ x=y#,CN=\\#lead and trail\\ ,O=A\\, B \\+ C \\\"D\\\" \\\\E \\<F\\> \\;G"
        );
    }

    #[test]
    fn unknown_oids_and_non_strings_are_hex() {
        let der = name(&[&[(UNKNOWN, 0x0c, b"x")], &[(CN, 0x04, &[1, 2])]]);
        let dn = DistinguishedName::from_der(&der).unwrap();
        assert_eq!(dn.to_rfc2253(), "2.5.4.3=#04020102,1.2.250.1=#0c0178");
    }

    #[test]
    fn string_types_decode() {
        assert_eq!(
            decode_string(0x1e, &[0, 0x41, 0, 0xe9]).as_deref(),
            Some("Aé")
        );
        assert_eq!(decode_string(0x1c, &[0, 0, 0, 0x41]).as_deref(), Some("A"));
        assert_eq!(decode_string(0x14, &[0xe9]).as_deref(), Some("é"));
        assert_eq!(decode_string(0x13, &[0xe9]), None);
        assert_eq!(decode_string(0x0c, &[0xff]), None);
        assert_eq!(decode_string(0x1e, &[0]), None);
        assert_eq!(decode_string(0x1c, &[0, 0x11, 0, 0]), None);
    }

    #[test]
    fn malformed_names_are_errors() {
        assert!(DistinguishedName::from_der(&[]).is_err());
        assert!(DistinguishedName::from_der(&[0x30, 0x02, 0x31, 0x00]).is_err());
        assert!(DistinguishedName::from_der(&[0x30, 0x00, 0x00]).is_err());
        assert!(DistinguishedName::from_der(&[0x30, 0x04, 0x31, 0x02, 0x30, 0x00]).is_err());
        let empty = DistinguishedName::from_der(&[0x30, 0x00]).unwrap();
        assert_eq!(empty.to_rfc2253(), "");
    }
}
