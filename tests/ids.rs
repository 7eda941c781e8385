//! Integration tests: ids.
//!
//! Official identifiers are copied from the DMP example messages (GIE SESAM-Vitale / ANS,
//! TD0.x–TD3.x) and the CI-SIS example documents, so that these tests run without the
//! reference material.

use dmp_core::ids::{
    oid, Adeli, Finess, FinessKind, IdNatPs, Ins, InsSystem, LocalIdKind, Matricule, Oid, Rpps,
};
use dmp_core::Error;
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------
// Helpers: independent reference implementations of the keys (string/u128 arithmetic), so
// that the tests do not merely repeat the library's code.

/// NIR key computed the way the social-security documentation states it.
fn ref_nir_key(number13: &str) -> u32 {
    let substituted = match number13.get(5..7) {
        Some("2A") => format!("{}19{}", &number13[..5], &number13[7..]),
        Some("2B") => format!("{}18{}", &number13[..5], &number13[7..]),
        _ => number13.to_owned(),
    };
    let n: u128 = substituted.parse().unwrap();
    97 - (n % 97) as u32
}

/// Luhn check over a digit string (key last).
fn ref_luhn_ok(s: &str) -> bool {
    let mut sum = 0;
    for (i, c) in s.chars().rev().enumerate() {
        let mut d = c.to_digit(10).unwrap();
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum % 10 == 0
}

/// The Luhn key digit that completes `body`.
fn ref_luhn_key(body: &str) -> char {
    (b'0'..=b'9')
        .map(char::from)
        .find(|k| ref_luhn_ok(&format!("{body}{k}")))
        .unwrap()
}

/// Asserts that `r` is a validation error on `field` whose text contains `rule_part` and the
/// value `value`.
#[track_caller]
fn assert_invalid<T: std::fmt::Debug>(
    r: Result<T, Error>,
    field: &str,
    rule_part: &str,
    value: &str,
) {
    let e = r.expect_err("expected a validation error");
    let inv = e
        .as_invalid()
        .unwrap_or_else(|| panic!("not Invalid: {e:?}"));
    assert_eq!(inv.field, field, "field of {e}");
    assert!(
        inv.rule.contains(rule_part),
        "rule {:?} should contain {rule_part:?}",
        inv.rule
    );
    assert_eq!(inv.value, value, "value of {e}");
}

/// Deserialises a JSON string value into `T` and returns the serde error text.
fn json_err<T: serde::de::DeserializeOwned + std::fmt::Debug>(json: &str) -> String {
    serde_json::from_str::<T>(json).unwrap_err().to_string()
}

// ---------------------------------------------------------------------------------------
// OID

#[test]
fn oid_constants_are_the_spec_values() {
    assert_eq!(oid::INS_NIR, "1.2.250.1.213.1.4.8");
    assert_eq!(oid::INS_NIA, "1.2.250.1.213.1.4.9");
    assert_eq!(oid::INS_NIR_TEST, "1.2.250.1.213.1.4.10");
    assert_eq!(oid::INS_NIR_DEMO, "1.2.250.1.213.1.4.11");
    assert_eq!(oid::PS_IDNAT, "1.2.250.1.71.4.2.1");
    assert_eq!(oid::STRUCT_IDNAT, "1.2.250.1.71.4.2.2");
}

#[test]
fn oid_valid() {
    for s in [
        "1.2.250.1.213.1.4.8",
        "2.25.0",
        "0.39",
        "1.0",
        "2.999.12",
        "1.2.250.1.999.1.1.7898",
        "1.2.250.1.213.4.1.1.1.2",
    ] {
        let o: Oid = s.parse().unwrap();
        assert_eq!(o.as_str(), s);
        assert_eq!(o.to_string(), s);
        assert_eq!(Oid::new(s).unwrap(), o);
    }
    // Exactly 64 characters is allowed.
    let s64 = format!("1.2.{}", "3".repeat(60));
    assert_eq!(s64.len(), 64);
    assert!(s64.parse::<Oid>().is_ok());
}

#[test]
fn oid_invalid() {
    assert_invalid("".parse::<Oid>(), "oid", "empty", "");
    assert_invalid(" 1.2.3".parse::<Oid>(), "oid", "whitespace", " 1.2.3");
    assert_invalid("1".parse::<Oid>(), "oid", "two arcs", "1");
    assert_invalid("1.".parse::<Oid>(), "oid", "empty", "1.");
    assert_invalid(".1.2".parse::<Oid>(), "oid", "empty", ".1.2");
    assert_invalid("1..2".parse::<Oid>(), "oid", "empty", "1..2");
    assert_invalid("3.1".parse::<Oid>(), "oid", "first arc", "3.1");
    assert_invalid("1.40".parse::<Oid>(), "oid", "below 40", "1.40");
    assert_invalid("0.123".parse::<Oid>(), "oid", "below 40", "0.123");
    assert_invalid("1.02".parse::<Oid>(), "oid", "leading zeros", "1.02");
    assert_invalid("01.2".parse::<Oid>(), "oid", "leading zeros", "01.2");
    assert_invalid("1.2.a".parse::<Oid>(), "oid", "digits and dots", "1.2.a");
    assert_invalid("1.2 .3".parse::<Oid>(), "oid", "digits and dots", "1.2 .3");
    assert_invalid("urn:oid:1.2".parse::<Oid>(), "oid", "digits", "urn:oid:1.2");
    let s65 = format!("1.2.{}", "3".repeat(61));
    assert_invalid(s65.parse::<Oid>(), "oid", "64", &s65);
}

#[test]
fn oid_from_uuid() {
    // ITU-T X.667 example.
    let u = uuid::Uuid::parse_str("f81d4fae-7dec-11d0-a765-00a0c91e6bf6").unwrap();
    assert_eq!(
        Oid::from_uuid(u).as_str(),
        "2.25.329800735698586629295641978511506172918"
    );
    assert_eq!(Oid::from_uuid(uuid::Uuid::nil()).as_str(), "2.25.0");
    let max = Oid::from_uuid(uuid::Uuid::max());
    assert_eq!(max.as_str(), "2.25.340282366920938463463374607431768211455");
    assert_eq!(max.as_str().parse::<Oid>().unwrap(), max);
    let random = Oid::from_uuid(uuid::Uuid::new_v4());
    assert_eq!(random.as_str().parse::<Oid>().unwrap(), random);
}

#[test]
fn oid_child() {
    let root: Oid = "1.2.250.1.999.1.1.7898".parse().unwrap();
    assert_eq!(root.child(2).unwrap().as_str(), "1.2.250.1.999.1.1.7898.2");
    assert_eq!(root.child(0).unwrap().as_str(), "1.2.250.1.999.1.1.7898.0");
    // 44 characters + ".18446744073709551615" (21) = 65 > 64.
    let big = Oid::from_uuid(uuid::Uuid::max());
    assert_invalid(
        big.child(u64::MAX),
        "oid",
        "64",
        "2.25.340282366920938463463374607431768211455.18446744073709551615",
    );
    // …but a short child fits.
    assert!(big.child(1).is_ok());
}

#[test]
fn oid_serde() {
    let o: Oid = serde_json::from_str("\"1.2.250.1.213.1.4.8\"").unwrap();
    assert_eq!(
        serde_json::to_string(&o).unwrap(),
        "\"1.2.250.1.213.1.4.8\""
    );
    let msg = json_err::<Oid>("\"1.2.03\"");
    assert!(msg.contains("oid"), "{msg}");
    assert!(msg.contains("leading zeros"), "{msg}");
    assert!(msg.contains("1.2.03"), "{msg}");
    // Not a string at all.
    assert!(serde_json::from_str::<Oid>("12").is_err());
}

// ---------------------------------------------------------------------------------------
// INS

/// Official test INS values of the DMP example messages (OID 1.2.250.1.213.1.4.10).
const OFFICIAL_INS: [&str; 3] = ["207058575627097", "153078987658513", "279035121518989"];

#[test]
fn matricule_official_values_are_valid() {
    for s in OFFICIAL_INS {
        let m: Matricule = s.parse().unwrap();
        assert_eq!(m.as_str(), s);
        assert_eq!(u32::from(m.key()), ref_nir_key(&s[..13]));
        assert_eq!(m.number(), &s[..13]);
    }
    assert_eq!("207058575627097".parse::<Matricule>().unwrap().key(), 97);
}

#[test]
fn matricule_corsica() {
    // 2 80 12 2A 004 017, key computed with 2A → 19: 81.
    let m: Matricule = "280122A00401781".parse().unwrap();
    assert_eq!(m.key(), 81);
    assert_eq!(ref_nir_key("280122A004017"), 81);
    // 1 69 05 2B 123 456, key with 2B → 18: 68. Lower case is canonicalised.
    let m: Matricule = "169052b12345668".parse().unwrap();
    assert_eq!(m.as_str(), "169052B12345668");
    assert_eq!(m.to_string(), "169052B12345668");
    // The key computed with the letter as 0 (2A → 20) is wrong.
    assert_invalid(
        "280122A00401754".parse::<Matricule>(),
        "ins",
        "expected 81",
        "280122A00401754",
    );
    assert_invalid(
        "169052B12345614".parse::<Matricule>(),
        "ins",
        "expected 68",
        "169052B12345614",
    );
    // Letters elsewhere, or a letter after another digit than 2.
    assert_invalid(
        "280121A00401781".parse::<Matricule>(),
        "ins",
        "Corsican",
        "280121A00401781",
    );
    assert_invalid(
        "28012A200401781".parse::<Matricule>(),
        "ins",
        "digits",
        "28012A200401781",
    );
    assert_invalid(
        "280122C00401781".parse::<Matricule>(),
        "ins",
        "digits",
        "280122C00401781",
    );
}

#[test]
fn matricule_invalid() {
    assert_invalid(
        "207058575627098".parse::<Matricule>(),
        "ins",
        "NIR key must equal 97 - (first 13 digits mod 97",
        "207058575627098",
    );
    assert_invalid(
        "207058575627098".parse::<Matricule>(),
        "ins",
        "expected 97",
        "207058575627098",
    );
    assert_invalid(
        "153078987658531".parse::<Matricule>(),
        "ins",
        "expected 13",
        "153078987658531",
    );
    assert_invalid(
        "20705857562709".parse::<Matricule>(),
        "ins",
        "15 characters",
        "20705857562709",
    );
    assert_invalid(
        "2070585756270970".parse::<Matricule>(),
        "ins",
        "found 16",
        "2070585756270970",
    );
    assert_invalid(
        "2070585756270AB".parse::<Matricule>(),
        "ins",
        "digits",
        "2070585756270AB",
    );
    assert_invalid(
        "20705857562709é".parse::<Matricule>(),
        "ins",
        "digits",
        "20705857562709é",
    );
    assert_invalid("".parse::<Matricule>(), "ins", "empty", "");
    assert_invalid(
        " 207058575627097".parse::<Matricule>(),
        "ins",
        "whitespace",
        " 207058575627097",
    );
    assert_invalid(
        "207058575627097\n".parse::<Matricule>(),
        "ins",
        "whitespace",
        "207058575627097\n",
    );
    assert_invalid(
        "               ".parse::<Matricule>(),
        "ins",
        "whitespace",
        "               ",
    );
    // Sex digit 0 or 9, with an otherwise valid key.
    for sex in ['0', '9'] {
        let body = format!("{sex}07058575627");
        let body = format!("{body}0");
        let s = format!("{body}{:02}", ref_nir_key(&body));
        assert_invalid(s.parse::<Matricule>(), "ins", "sex", &s);
    }
}

#[test]
fn ins_system() {
    assert_eq!(InsSystem::Nir.oid(), "1.2.250.1.213.1.4.8");
    assert_eq!(InsSystem::Nia.oid(), "1.2.250.1.213.1.4.9");
    assert_eq!(InsSystem::NirTest.oid(), "1.2.250.1.213.1.4.10");
    assert_eq!(InsSystem::NirDemo.oid(), "1.2.250.1.213.1.4.11");
    for s in InsSystem::ALL {
        assert_eq!(InsSystem::from_oid(s.oid()), Some(s));
    }
    assert_eq!(InsSystem::from_oid("1.2.250.1.213.1.4.2"), None);
    assert_eq!(InsSystem::from_oid("1.2.250.1.213.1.4.1"), None);
    assert_eq!(InsSystem::from_oid("1.2.250.1.213.1.4.10 "), None);
    assert!(!InsSystem::Nir.is_test());
    assert!(!InsSystem::Nia.is_test());
    assert!(InsSystem::NirTest.is_test());
    assert!(InsSystem::NirDemo.is_test());
}

#[test]
fn ins_cx_round_trip() {
    let ins = Ins::new("207058575627097".parse().unwrap(), InsSystem::NirTest);
    let cx = "207058575627097^^^&1.2.250.1.213.1.4.10&ISO^NH";
    assert_eq!(ins.to_cx(), cx);
    assert_eq!(ins.to_string(), cx);
    assert_eq!(Ins::from_cx(cx).unwrap(), ins);
    assert_eq!(cx.parse::<Ins>().unwrap(), ins);
    assert_eq!(ins.oid(), oid::INS_NIR_TEST);
    assert!(ins.is_test());
    assert_eq!(ins.matricule().as_str(), "207058575627097");
    assert_eq!(ins.system(), InsSystem::NirTest);

    let other = Ins::from_cx("153078987658513^^^&1.2.250.1.213.1.4.10&ISO^NH").unwrap();
    assert_eq!(other.matricule().as_str(), "153078987658513");
    let prod = Ins::parse("279035121518989", oid::INS_NIR).unwrap();
    assert_eq!(
        prod.to_cx(),
        "279035121518989^^^&1.2.250.1.213.1.4.8&ISO^NH"
    );
    assert!(!prod.is_test());
    assert_eq!(Ins::from_cx(&prod.to_cx()).unwrap(), prod);
}

#[test]
fn ins_cx_tolerates_cx7_date() {
    // As in the official TD2.1 submission.
    for cx in [
        "207058575627097^^^&1.2.250.1.213.1.4.10&ISO^NH^^20100907",
        "207058575627097^^^&1.2.250.1.213.1.4.10&ISO^NH^^20210604092415",
        "207058575627097^^^&1.2.250.1.213.1.4.10&ISO^NH^",
    ] {
        let ins = Ins::from_cx(cx).unwrap();
        assert_eq!(
            ins.to_cx(),
            "207058575627097^^^&1.2.250.1.213.1.4.10&ISO^NH"
        );
    }
}

#[test]
fn ins_cx_invalid() {
    let bad_type = "207058575627097^^^&1.2.250.1.213.1.4.10&ISO^PI";
    assert_invalid(Ins::from_cx(bad_type), "ins", "NH", bad_type);
    let no_type = "207058575627097^^^&1.2.250.1.213.1.4.10&ISO";
    assert_invalid(Ins::from_cx(no_type), "ins", "form", no_type);
    let bad_iso = "207058575627097^^^&1.2.250.1.213.1.4.10&L^NH";
    assert_invalid(Ins::from_cx(bad_iso), "ins", "ISO", bad_iso);
    let bad_hd = "207058575627097^^^1.2.250.1.213.1.4.10^NH";
    assert_invalid(Ins::from_cx(bad_hd), "ins", "&<OID>&ISO", bad_hd);
    // Local IPP authority: not an INS.
    assert_invalid(
        Ins::from_cx("0456789999^^^&1.2.250.1.999.1.1.7898.2&ISO^PI"),
        "ins",
        "15 characters",
        "0456789999",
    );
    let unknown = "207058575627097^^^&1.2.250.1.999&ISO^NH";
    assert_invalid(
        Ins::from_cx(unknown),
        "ins",
        "must be an INS OID",
        "1.2.250.1.999",
    );
    let insc = "207058575627097^^^&1.2.250.1.213.1.4.2&ISO^NH";
    assert_invalid(Ins::from_cx(insc), "ins", "INS-C", "1.2.250.1.213.1.4.2");
    let check_digit = "207058575627097^7^^&1.2.250.1.213.1.4.10&ISO^NH";
    assert_invalid(Ins::from_cx(check_digit), "ins", "CX.2", check_digit);
    let bad_key = "207058575627098^^^&1.2.250.1.213.1.4.10&ISO^NH";
    assert_invalid(
        Ins::from_cx(bad_key),
        "ins",
        "expected 97",
        "207058575627098",
    );
    assert_invalid(Ins::from_cx(""), "ins", "empty", "");
    assert_invalid(
        Ins::parse("207058575627097", "1.2.3"),
        "ins",
        "must be an INS OID",
        "1.2.3",
    );
}

#[test]
fn ins_serde_json() {
    let ins = Ins::parse("207058575627097", oid::INS_NIR_TEST).unwrap();
    let json = serde_json::to_string(&ins).unwrap();
    assert_eq!(
        json,
        r#"{"matricule":"207058575627097","oid":"1.2.250.1.213.1.4.10"}"#
    );
    assert_eq!(serde_json::from_str::<Ins>(&json).unwrap(), ins);

    let msg = json_err::<Ins>(r#"{"matricule":"207058575627097","oid":"1.2.250.1.999"}"#);
    assert!(msg.contains("ins.oid"), "{msg}");
    assert!(msg.contains("must be an INS OID"), "{msg}");
    assert!(msg.contains("1.2.250.1.999"), "{msg}");

    let msg = json_err::<Ins>(r#"{"matricule":"207058575627098","oid":"1.2.250.1.213.1.4.10"}"#);
    assert!(msg.contains("ins.matricule"), "{msg}");
    assert!(msg.contains("expected 97"), "{msg}");
    assert!(msg.contains("207058575627098"), "{msg}");

    // Missing or unknown fields are refused.
    assert!(serde_json::from_str::<Ins>(r#"{"matricule":"207058575627097"}"#).is_err());
    assert!(serde_json::from_str::<Ins>(
        r#"{"matricule":"207058575627097","oid":"1.2.250.1.213.1.4.10","x":1}"#
    )
    .is_err());
    // Matricule alone is a string.
    let m: Matricule = serde_json::from_str("\"279035121518989\"").unwrap();
    assert_eq!(serde_json::to_string(&m).unwrap(), "\"279035121518989\"");
    let msg = json_err::<Matricule>("\"27903512151898\"");
    assert!(msg.contains("invalid ins: must be 15 characters"), "{msg}");
    assert!(msg.contains("27903512151898"), "{msg}");
}

// ---------------------------------------------------------------------------------------
// RPPS and ADELI

#[test]
fn rpps_valid() {
    // RPPS parts of official PS_IdNat values (8 + RPPS).
    for s in ["01234567897", "10002422979", "99900062490", "99900063480"] {
        assert!(ref_luhn_ok(s), "{s}");
        let r: Rpps = s.parse().unwrap();
        assert_eq!(r.as_str(), s);
        assert_eq!(r.to_string(), s);
        assert_eq!(Rpps::new(s).unwrap(), r);
    }
}

#[test]
fn rpps_invalid() {
    // 801234534765 appears in a CI-SIS example document, but its RPPS part fails Luhn.
    assert_invalid(
        "01234534765".parse::<Rpps>(),
        "rpps",
        "Luhn key (11th digit) is wrong; expected 4",
        "01234534765",
    );
    assert_invalid(
        "10002422978".parse::<Rpps>(),
        "rpps",
        "expected 9",
        "10002422978",
    );
    assert_invalid(
        "1000242297".parse::<Rpps>(),
        "rpps",
        "11 digits",
        "1000242297",
    );
    assert_invalid(
        "100024229790".parse::<Rpps>(),
        "rpps",
        "found 12",
        "100024229790",
    );
    assert_invalid("1000242297A".parse::<Rpps>(), "rpps", "'A'", "1000242297A");
    assert_invalid("1000 242297".parse::<Rpps>(), "rpps", "' '", "1000 242297");
    assert_invalid("".parse::<Rpps>(), "rpps", "empty", "");
    assert_invalid(
        "10002422979 ".parse::<Rpps>(),
        "rpps",
        "whitespace",
        "10002422979 ",
    );
    // Non-ASCII digits are not digits.
    assert!("１0002422979".parse::<Rpps>().is_err());
}

#[test]
fn rpps_serde() {
    let r: Rpps = serde_json::from_str("\"10002422979\"").unwrap();
    assert_eq!(serde_json::to_string(&r).unwrap(), "\"10002422979\"");
    // The serde message is the Error's Display text (serde_json appends the position).
    let msg = json_err::<Rpps>("\"10002422978\"");
    let err = "10002422978".parse::<Rpps>().unwrap_err().to_string();
    assert_eq!(
        err,
        "invalid rpps: Luhn key (11th digit) is wrong; expected 9 (value: \"10002422978\")"
    );
    assert!(msg.starts_with(&err), "{msg}");
}

#[test]
fn adeli_shape() {
    for (s, canon) in [
        ("751234567", "751234567"),
        ("2A1234567", "2A1234567"),
        ("2b1234567", "2B1234567"),
        ("011234567", "011234567"),
    ] {
        let a: Adeli = s.parse().unwrap();
        assert_eq!(a.as_str(), canon);
        assert_eq!(a.to_string().parse::<Adeli>().unwrap(), a);
    }
    assert_invalid(
        "75123456".parse::<Adeli>(),
        "adeli",
        "9 characters",
        "75123456",
    );
    assert_invalid(
        "7512345678".parse::<Adeli>(),
        "adeli",
        "found 10",
        "7512345678",
    );
    assert_invalid(
        "7A1234567".parse::<Adeli>(),
        "adeli",
        "département",
        "7A1234567",
    );
    // The DMP test platform's ADELI 0B2800585 (PS_IdNat 00B2800585) is not a real shape.
    assert_invalid(
        "0B2800585".parse::<Adeli>(),
        "adeli",
        "département",
        "0B2800585",
    );
    assert_invalid(
        "75123456X".parse::<Adeli>(),
        "adeli",
        "must be digits",
        "75123456X",
    );
    assert_invalid("".parse::<Adeli>(), "adeli", "empty", "");
    assert_invalid(
        "\t751234567".parse::<Adeli>(),
        "adeli",
        "whitespace",
        "\t751234567",
    );
    let msg = json_err::<Adeli>("\"75123456\"");
    assert!(msg.contains("adeli") && msg.contains("9 characters") && msg.contains("75123456"));
    let a: Adeli = serde_json::from_str("\"2a1234567\"").unwrap();
    assert_eq!(serde_json::to_string(&a).unwrap(), "\"2A1234567\"");
}

// ---------------------------------------------------------------------------------------
// FINESS

#[test]
fn finess_valid() {
    for s in ["750803447", "750512345", "970421038"] {
        assert!(ref_luhn_ok(s), "{s}");
        let f: Finess = s.parse().unwrap();
        assert_eq!(f.as_str(), s);
        assert!(f.has_valid_key());
        assert_eq!(f.to_string().parse::<Finess>().unwrap(), f);
    }
    let f: Finess = "750803447".parse().unwrap();
    assert_eq!(f.struct_idnat(), "1750803447");
    assert_eq!(f.departement(), "75");
}

#[test]
fn finess_official_tddui_example_has_a_wrong_key() {
    // The ANS DUI-transfer CDA example uses FINESS 480787529, whose Luhn key should be 2.
    assert!(!ref_luhn_ok("480787529"));
    assert_invalid(
        "480787529".parse::<Finess>(),
        "finess",
        "Luhn key (9th character) is wrong; expected 2",
        "480787529",
    );
    let f = Finess::parse_unchecked_key("480787529").unwrap();
    assert!(!f.has_valid_key());
    assert_eq!(f.struct_idnat(), "1480787529");
}

#[test]
fn finess_test_platform_structures() {
    // Struct_IdNat 10B0041968 and 10B0127189 of the DMP test platform.
    for (finess, idnat, name, xon) in [
        (
            "0B0041968",
            "10B0041968",
            "ETABLISEMENT DE SANTE DE TEST 2013",
            "ETABLISEMENT DE SANTE DE TEST 2013^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^10B0041968",
        ),
        (
            "0B0127189",
            "10B0127189",
            "HOPITAL DES 3 VALLEES00771",
            "HOPITAL DES 3 VALLEES00771^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^10B0127189",
        ),
    ] {
        assert!(
            finess.parse::<Finess>().is_err(),
            "{finess} must fail strict"
        );
        let f = Finess::parse_unchecked_key(finess).unwrap();
        assert_eq!(f.as_str(), finess);
        assert_eq!(f.struct_idnat(), idnat);
        assert_eq!(f.to_xon(name).unwrap(), xon);
        assert!(!f.has_valid_key());
    }
    // Shape only, but still a shape.
    assert_invalid(
        Finess::parse_unchecked_key("0B004196"),
        "finess",
        "9 ASCII letters or digits",
        "0B004196",
    );
    assert_invalid(
        Finess::parse_unchecked_key("0B00-1968"),
        "finess",
        "9 ASCII letters or digits",
        "0B00-1968",
    );
    assert_invalid(Finess::parse_unchecked_key(""), "finess", "empty", "");
    assert_invalid(
        Finess::parse_unchecked_key(" 0B0041968"),
        "finess",
        "whitespace",
        " 0B0041968",
    );
}

#[test]
fn finess_corsica() {
    // 2A000001?: key 6 with the letter counted as 0, 4 with A = 1. Both accepted.
    assert_eq!(ref_luhn_key("20000001"), '6');
    assert_eq!(ref_luhn_key("21000001"), '4');
    for s in ["2A0000016", "2A0000014", "2a0000014"] {
        let f: Finess = s.parse().unwrap();
        assert_eq!(f.as_str(), s.to_ascii_uppercase());
        assert_eq!(f.departement(), "2A");
    }
    // 2B001234?: 2 (letter as 0) or 8 (B = 2).
    assert_eq!(ref_luhn_key("20001234"), '2');
    assert_eq!(ref_luhn_key("22001234"), '8');
    assert!("2B0012342".parse::<Finess>().is_ok());
    assert!("2B0012348".parse::<Finess>().is_ok());
    assert_invalid(
        "2A0000010".parse::<Finess>(),
        "finess",
        "expected 6 (Corsican letter counted as 0) or 4",
        "2A0000010",
    );
    assert_invalid(
        "2B0012345".parse::<Finess>(),
        "finess",
        "expected 2",
        "2B0012345",
    );
    assert_invalid(
        "2C0000016".parse::<Finess>(),
        "finess",
        "département",
        "2C0000016",
    );
}

#[test]
fn finess_invalid() {
    assert_invalid(
        "750803448".parse::<Finess>(),
        "finess",
        "expected 7",
        "750803448",
    );
    assert_invalid(
        "75080344".parse::<Finess>(),
        "finess",
        "9 characters",
        "75080344",
    );
    assert_invalid(
        "7508034470".parse::<Finess>(),
        "finess",
        "found 10",
        "7508034470",
    );
    assert_invalid(
        "75080344A".parse::<Finess>(),
        "finess",
        "digits",
        "75080344A",
    );
    assert_invalid(
        "000000000".parse::<Finess>(),
        "finess",
        "département",
        "000000000",
    );
    assert_invalid(
        "0B0041968".parse::<Finess>(),
        "finess",
        "département",
        "0B0041968",
    );
    assert_invalid("".parse::<Finess>(), "finess", "empty", "");
    assert_invalid(
        "750803447 ".parse::<Finess>(),
        "finess",
        "whitespace",
        "750803447 ",
    );
    assert_invalid(
        "75080344é".parse::<Finess>(),
        "finess",
        "digits",
        "75080344é",
    );
}

#[test]
fn finess_xon() {
    let f: Finess = "750803447".parse().unwrap();
    assert_eq!(
        f.to_xon("EHPAD Les Tilleuls").unwrap(),
        "EHPAD Les Tilleuls^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^1750803447"
    );
    assert_eq!(
        f.to_xon("  EHPAD  ").unwrap(),
        "EHPAD^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^1750803447"
    );
    assert_invalid(f.to_xon(""), "name", "empty", "");
    assert_invalid(f.to_xon("   "), "name", "empty", "   ");
    assert_invalid(f.to_xon("A&B"), "name", "'&'", "A&B");
    assert_invalid(f.to_xon("A|B"), "name", "'|'", "A|B");
    assert_invalid(f.to_xon("A\rB"), "name", "control", "A\rB");
}

#[test]
fn finess_serde_and_kind() {
    let f: Finess = serde_json::from_str("\"750803447\"").unwrap();
    assert_eq!(serde_json::to_string(&f).unwrap(), "\"750803447\"");
    let msg = json_err::<Finess>("\"480787529\"");
    assert!(msg.contains("invalid finess"), "{msg}");
    assert!(msg.contains("expected 2"), "{msg}");
    assert!(msg.contains("480787529"), "{msg}");
    // A test-platform FINESS does not survive a JSON round trip (documented).
    let t = Finess::parse_unchecked_key("0B0041968").unwrap();
    let json = serde_json::to_string(&t).unwrap();
    assert!(serde_json::from_str::<Finess>(&json).is_err());

    assert_eq!(serde_json::to_string(&FinessKind::Et).unwrap(), "\"ET\"");
    assert_eq!(
        serde_json::from_str::<FinessKind>("\"EJ\"").unwrap(),
        FinessKind::Ej
    );
    assert!(serde_json::from_str::<FinessKind>("\"ej\"").is_err());
    assert_eq!(FinessKind::Ej.to_string(), "EJ");
}

// ---------------------------------------------------------------------------------------
// PS_IdNat

#[test]
fn idnat_parse_all_forms() {
    let id: IdNatPs = "801234567897".parse().unwrap();
    assert!(matches!(&id, IdNatPs::Rpps(r) if r.as_str() == "01234567897"));
    let id: IdNatPs = "0751234567".parse().unwrap();
    assert!(matches!(&id, IdNatPs::Adeli(a) if a.as_str() == "751234567"));
    let id: IdNatPs = "3750803447/1453".parse().unwrap();
    match &id {
        IdNatPs::Local(l) => {
            assert_eq!(l.kind(), LocalIdKind::Finess);
            assert_eq!(l.structure(), "750803447");
            assert_eq!(l.local_id(), "1453");
        }
        other => panic!("{other:?}"),
    }
    for (s, kind) in [
        ("1751234567/AB-12", LocalIdKind::AdeliCabinet),
        ("4123456789/x", LocalIdKind::Siren),
        ("512345678901234/employé 7", LocalIdKind::Siret),
        ("610002422979001/42", LocalIdKind::RppsCabinet),
    ] {
        let id: IdNatPs = s.parse().unwrap();
        assert!(matches!(&id, IdNatPs::Local(l) if l.kind() == kind), "{s}");
        assert_eq!(id.to_string(), s);
    }
    for s in [
        "801234567897",
        "810002422979",
        "899900062490",
        "899900063480",
        "0751234567",
        "02A1234567",
        "3750803447/1453",
    ] {
        let id: IdNatPs = s.parse().unwrap();
        assert_eq!(id.to_string(), s);
        assert_eq!(IdNatPs::new(&id.to_string()).unwrap(), id);
    }
}

#[test]
fn idnat_constructors() {
    let f: Finess = "750803447".parse().unwrap();
    let id = IdNatPs::local_finess(&f, "1453").unwrap();
    assert_eq!(id.to_string(), "3750803447/1453");
    assert_eq!(id, "3750803447/1453".parse().unwrap());
    assert_invalid(IdNatPs::local_finess(&f, ""), "local_id", "1 to 64", "");
    assert_invalid(IdNatPs::local_finess(&f, "a/b"), "local_id", "'/'", "a/b");

    let id = IdNatPs::local(LocalIdKind::Siret, "12345678901234", "A1").unwrap();
    assert_eq!(id.to_string(), "512345678901234/A1");
    assert_invalid(
        IdNatPs::local(LocalIdKind::Siren, "12345678", "A1"),
        "siren",
        "9 digits",
        "12345678",
    );
    assert_invalid(
        IdNatPs::local(LocalIdKind::Finess, "480787529", "A1"),
        "finess",
        "expected 2",
        "480787529",
    );
}

#[test]
fn idnat_strict_finess_and_test_platform() {
    // The structure of a "3" PS_IdNat must be a key-valid FINESS.
    assert_invalid(
        "3480787529/1453".parse::<IdNatPs>(),
        "idnat_ps.finess",
        "expected 2",
        "480787529",
    );
    // Test-platform author of the official TD2.1/TD3.x messages.
    assert!("30B0041968/XXX123".parse::<IdNatPs>().is_err());
    let f = Finess::parse_unchecked_key("0B0041968").unwrap();
    let id = IdNatPs::local_finess(&f, "XXX123").unwrap();
    assert_eq!(
        id.to_xcn("CHU-GENE", "ALAIN").unwrap(),
        "30B0041968/XXX123^CHU-GENE^ALAIN^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS"
    );
}

#[test]
fn idnat_invalid() {
    assert_invalid("".parse::<IdNatPs>(), "idnat_ps", "empty", "");
    assert_invalid(
        " 810002422979".parse::<IdNatPs>(),
        "idnat_ps",
        "whitespace",
        " 810002422979",
    );
    assert_invalid(
        "210002422979".parse::<IdNatPs>(),
        "idnat_ps",
        "must start with 8 (RPPS)",
        "210002422979",
    );
    assert_invalid(
        "X10002422979".parse::<IdNatPs>(),
        "idnat_ps",
        "must start with",
        "X10002422979",
    );
    assert_invalid(
        "810002422978".parse::<IdNatPs>(),
        "idnat_ps.rpps",
        "expected 9",
        "10002422978",
    );
    assert_invalid(
        "81000242297".parse::<IdNatPs>(),
        "idnat_ps.rpps",
        "11 digits",
        "1000242297",
    );
    assert_invalid(
        "0751234567X".parse::<IdNatPs>(),
        "idnat_ps.adeli",
        "9 characters",
        "751234567X",
    );
    // The test-platform ADELI author 00B2800585 is refused (shape).
    assert_invalid(
        "00B2800585".parse::<IdNatPs>(),
        "idnat_ps.adeli",
        "département",
        "0B2800585",
    );
    assert_invalid(
        "3750803447".parse::<IdNatPs>(),
        "idnat_ps",
        "<structure>/<local id>",
        "3750803447",
    );
    assert_invalid(
        "3750803447/".parse::<IdNatPs>(),
        "idnat_ps.local_id",
        "1 to 64",
        "",
    );
    // Trailing whitespace is caught on the whole identifier first…
    assert_invalid(
        "3750803447/   ".parse::<IdNatPs>(),
        "idnat_ps",
        "leading or trailing whitespace",
        "3750803447/   ",
    );
    // …and on the local id when it is given alone.
    let f: Finess = "750803447".parse().unwrap();
    assert_invalid(
        IdNatPs::local_finess(&f, "   "),
        "local_id",
        "whitespace only",
        "   ",
    );
    assert_invalid(
        IdNatPs::local_finess(&f, "12 "),
        "local_id",
        "leading or trailing",
        "12 ",
    );
    assert_invalid(
        "3750803447/ 12".parse::<IdNatPs>(),
        "idnat_ps.local_id",
        "leading or trailing",
        " 12",
    );
    assert_invalid(
        "3750803447/a/b".parse::<IdNatPs>(),
        "idnat_ps.local_id",
        "'/'",
        "a/b",
    );
    for (local, what) in [
        ("a^b", "'^'"),
        ("a&b", "'&'"),
        ("a~b", "'~'"),
        ("a\\b", "'\\\\'"),
        ("a|b", "'|'"),
        ("a\u{0}b", "control"),
        ("a\u{85}b", "control"),
    ] {
        let s = format!("3750803447/{local}");
        assert_invalid(s.parse::<IdNatPs>(), "idnat_ps.local_id", what, local);
    }
    let long = "x".repeat(65);
    assert_invalid(
        format!("3750803447/{long}").parse::<IdNatPs>(),
        "idnat_ps.local_id",
        "found 65",
        &long,
    );
    let max = "é".repeat(64);
    assert!(format!("3750803447/{max}").parse::<IdNatPs>().is_ok());
    assert_invalid(
        "412345678/x".parse::<IdNatPs>(),
        "idnat_ps.siren",
        "9 digits",
        "12345678",
    );
    assert_invalid(
        "51234567890123/x".parse::<IdNatPs>(),
        "idnat_ps.siret",
        "14 digits",
        "1234567890123",
    );
    assert_invalid(
        "1751-234567/x".parse::<IdNatPs>(),
        "idnat_ps.structure",
        "ASCII letters or digits",
        "751-234567",
    );
    assert_invalid("6/x".parse::<IdNatPs>(), "idnat_ps.structure", "empty", "");
}

#[test]
fn idnat_xcn_official() {
    let id: IdNatPs = "899900063480".parse().unwrap();
    assert_eq!(
        id.to_xcn("MAX", "LIBRE").unwrap(),
        "899900063480^MAX^LIBRE^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS"
    );
    assert_eq!(
        id.to_xcn("Kit", "Editeur").unwrap(),
        "899900063480^Kit^Editeur^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS"
    );
}

#[test]
fn idnat_xcn_uses_idnps_not_the_ei_of_one_official_sample() {
    // The official TD2.1 sample writes this authorPerson with type code EI; the CI-SIS
    // (and the other samples) say IDNPS. We render IDNPS; everything else is identical.
    let official = "899900062490^MACHEPRO^ULYSSE^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^EI";
    let id: IdNatPs = "899900062490".parse().unwrap();
    let ours = id.to_xcn("MACHEPRO", "ULYSSE").unwrap();
    assert_ne!(ours, official);
    assert_eq!(ours.strip_suffix("IDNPS"), official.strip_suffix("EI"));
    assert_eq!(ours.split('^').nth(12), Some("IDNPS"));
}

#[test]
fn idnat_xcn_names() {
    let id: IdNatPs = "810002422979".parse().unwrap();
    // Names kept as given (no upper-casing), trimmed.
    assert_eq!(
        id.to_xcn(" de la Tour ", "Éloïse").unwrap(),
        "810002422979^de la Tour^Éloïse^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS"
    );
    assert_invalid(id.to_xcn("", "Marie"), "family", "empty", "");
    assert_invalid(id.to_xcn("  ", "Marie"), "family", "empty", "  ");
    assert_invalid(id.to_xcn("Dupont", ""), "given", "empty", "");
    assert_invalid(id.to_xcn("Du^pont", "Marie"), "family", "'^'", "Du^pont");
    assert_invalid(id.to_xcn("Dupont", "Ma&rie"), "given", "'&'", "Ma&rie");
    assert_invalid(id.to_xcn("Dupont", "Ma~rie"), "given", "'~'", "Ma~rie");
    assert_invalid(
        id.to_xcn("Du\\pont", "Marie"),
        "family",
        "HL7 delimiter",
        "Du\\pont",
    );
    assert_invalid(id.to_xcn("Du|pont", "Marie"), "family", "'|'", "Du|pont");
    assert_invalid(
        id.to_xcn("Dupont", "Ma\trie"),
        "given",
        "control",
        "Ma\trie",
    );
}

#[test]
fn idnat_serde() {
    let id: IdNatPs = serde_json::from_str("\"3750803447/1453\"").unwrap();
    assert_eq!(serde_json::to_string(&id).unwrap(), "\"3750803447/1453\"");
    let ids: Vec<IdNatPs> = serde_json::from_str(r#"["810002422979","0751234567"]"#).unwrap();
    assert_eq!(
        serde_json::to_string(&ids).unwrap(),
        r#"["810002422979","0751234567"]"#
    );
    let msg = json_err::<IdNatPs>("\"810002422978\"");
    assert!(msg.contains("invalid idnat_ps.rpps"), "{msg}");
    assert!(msg.contains("Luhn key"), "{msg}");
    assert!(msg.contains("10002422978"), "{msg}");
}

#[test]
fn errors_truncate_long_values() {
    let long = "9".repeat(500);
    let e = long.parse::<Rpps>().unwrap_err();
    assert!(e.as_invalid().unwrap().value.chars().count() <= 81);
}

// ---------------------------------------------------------------------------------------
// Properties

fn digit_string(len: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(0u8..10, len)
        .prop_map(|v| v.into_iter().map(|d| char::from(b'0' + d)).collect())
}

/// A 13-character NIR body: sex 1-8, then digits, possibly Corsica at positions 6-7.
fn nir_body() -> impl Strategy<Value = String> {
    (
        1u8..=8,
        digit_string(4),
        prop_oneof![
            digit_string(2),
            Just("2A".to_owned()),
            Just("2B".to_owned())
        ],
        digit_string(6),
    )
        .prop_map(|(sex, a, dep, b)| format!("{sex}{a}{dep}{b}"))
}

/// Replaces the digit at byte index `i` of an ASCII string by a different digit.
fn flip_digit(s: &str, i: usize, delta: u8) -> Option<String> {
    let b = *s.as_bytes().get(i)?;
    if !b.is_ascii_digit() {
        return None;
    }
    let d = (b - b'0' + 1 + delta % 9) % 10;
    let mut out = s.as_bytes().to_vec();
    out[i] = b'0' + d;
    String::from_utf8(out).ok()
}

proptest! {
    #[test]
    fn nir_with_computed_key_parses(body in nir_body()) {
        let s = format!("{body}{:02}", ref_nir_key(&body));
        let m: Matricule = s.parse().unwrap();
        prop_assert_eq!(m.as_str(), s.as_str());
        prop_assert_eq!(u32::from(m.key()), ref_nir_key(&body));
        let ins = Ins::new(m.clone(), InsSystem::NirTest);
        prop_assert_eq!(Ins::from_cx(&ins.to_cx()).unwrap(), ins.clone());
        let json = serde_json::to_string(&ins).unwrap();
        prop_assert_eq!(serde_json::from_str::<Ins>(&json).unwrap(), ins);
    }

    #[test]
    fn nir_any_other_key_fails(body in nir_body(), other in 0u32..100) {
        let key = ref_nir_key(&body);
        prop_assume!(other != key);
        let s = format!("{body}{other:02}");
        let e = s.parse::<Matricule>().unwrap_err();
        let expected = format!("expected {key:02}");
        prop_assert!(e.to_string().contains(&expected), "{}", e);
    }

    #[test]
    fn nir_flipping_a_digit_breaks_it(body in nir_body(), i in 1usize..13, delta in 0u8..9) {
        let s = format!("{body}{:02}", ref_nir_key(&body));
        if let Some(flipped) = flip_digit(&s, i, delta) {
            prop_assert!(flipped.parse::<Matricule>().is_err(), "{}", flipped);
        }
    }

    #[test]
    fn rpps_with_luhn_key_parses(body in digit_string(10), i in 0usize..11, delta in 0u8..9) {
        let s = format!("{body}{}", ref_luhn_key(&body));
        let r: Rpps = s.parse().unwrap();
        prop_assert_eq!(r.as_str(), s.as_str());
        let id: IdNatPs = format!("8{s}").parse().unwrap();
        prop_assert_eq!(id.to_string(), format!("8{s}"));
        let flipped = flip_digit(&s, i, delta).unwrap();
        prop_assert!(flipped.parse::<Rpps>().is_err(), "{}", flipped);
    }

    #[test]
    fn finess_with_luhn_key_parses(dep in 1u8..100, rest in digit_string(6), i in 2usize..9, delta in 0u8..9) {
        let body = format!("{dep:02}{rest}");
        let s = format!("{body}{}", ref_luhn_key(&body));
        let f: Finess = s.parse().unwrap();
        prop_assert_eq!(f.as_str(), s.as_str());
        prop_assert_eq!(serde_json::from_str::<Finess>(&serde_json::to_string(&f).unwrap()).unwrap(), f.clone());
        let id = IdNatPs::local_finess(&f, "7").unwrap();
        prop_assert_eq!(id.to_string().parse::<IdNatPs>().unwrap(), id);
        let flipped = flip_digit(&s, i, delta).unwrap();
        prop_assert!(flipped.parse::<Finess>().is_err(), "{}", flipped);
    }

    #[test]
    fn oid_generated_parses(first in 0u8..3, second in 0u64..40, rest in proptest::collection::vec(any::<u32>(), 0..5)) {
        let mut s = format!("{first}.{second}");
        for a in rest {
            s.push_str(&format!(".{a}"));
        }
        let o: Oid = s.parse().unwrap();
        prop_assert_eq!(o.to_string(), s.clone());
        let child = o.child(5).unwrap();
        prop_assert_eq!(child.as_str(), format!("{s}.5"));
        prop_assert_eq!(child.as_str().parse::<Oid>().unwrap(), child.clone());
    }

    #[test]
    fn local_id_round_trip(local in "[A-Za-z0-9éÀ_.:+-]([A-Za-z0-9éÀ _.:+-]{0,62}[A-Za-z0-9éÀ_.:+-])?") {
        let f: Finess = "750803447".parse().unwrap();
        let id = IdNatPs::local_finess(&f, &local).unwrap();
        let back: IdNatPs = id.to_string().parse().unwrap();
        prop_assert_eq!(&back, &id);
        let xcn = id.to_xcn("DUPONT", "Marie").unwrap();
        prop_assert_eq!(xcn.split('^').count(), 13);
    }

    #[test]
    fn random_strings_never_panic(s in "\\PC{0,80}", t in ".{0,20}") {
        let _ = s.parse::<Oid>();
        let _ = s.parse::<Matricule>();
        let _ = s.parse::<Ins>();
        let _ = Ins::from_cx(&s);
        let _ = Ins::parse(&s, &t);
        let _ = s.parse::<Rpps>();
        let _ = s.parse::<Adeli>();
        let _ = s.parse::<Finess>();
        let _ = Finess::parse_unchecked_key(&s);
        let _ = s.parse::<IdNatPs>();
        let _ = serde_json::from_str::<Ins>(&s);
        let _ = serde_json::from_str::<IdNatPs>(&format!("{s:?}"));
        let f: Finess = "750803447".parse().unwrap();
        let _ = f.to_xon(&s);
        let _ = IdNatPs::local_finess(&f, &s);
        for k in LocalIdKind::ALL {
            let _ = IdNatPs::local(k, &s, &t);
        }
        if let Ok(id) = "810002422979".parse::<IdNatPs>() {
            let _ = id.to_xcn(&s, &t);
        }
    }

    #[test]
    fn random_ascii_near_shapes_never_panic(s in "[0-9AB2a-z/^&. ]{0,20}") {
        let _ = s.parse::<Matricule>();
        let _ = s.parse::<Finess>();
        let _ = s.parse::<IdNatPs>();
        let _ = s.parse::<Oid>();
        let _ = Ins::from_cx(&format!("{s}^^^&{}&ISO^NH", oid::INS_NIR));
    }

    #[test]
    fn display_parse_round_trip_for_accepted_values(s in "[0-9AB/]{9,16}") {
        if let Ok(id) = s.parse::<IdNatPs>() {
            prop_assert_eq!(id.to_string().parse::<IdNatPs>().unwrap(), id);
        }
        if let Ok(f) = s.parse::<Finess>() {
            prop_assert_eq!(f.to_string().parse::<Finess>().unwrap(), f);
        }
        if let Ok(m) = s.parse::<Matricule>() {
            prop_assert_eq!(m.to_string().parse::<Matricule>().unwrap(), m);
        }
    }
}
