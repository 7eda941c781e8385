//! Integration tests: habilitation.

use dmp_core::habilitation::{
    Basis, CellStatus, Matrix, MatrixData, MatrixInfo, Outcome, Reader, RowKind, Settings,
};
use dmp_core::model::{FonctionEssms, Profession, ProfessionSystem};
use dmp_core::Error;

fn matrix() -> Matrix {
    Matrix::embedded().expect("embedded matrix loads")
}

fn info(id: &str) -> MatrixInfo {
    MatrixInfo {
        id: id.into(),
        title: "test".into(),
        date: "2026-01-01".into(),
        legal_basis: "test".into(),
        note: String::new(),
    }
}

fn data_error(e: Error) -> (usize, String) {
    match e {
        Error::Data { line, message, .. } => (line, message),
        other => panic!("expected a data error, got {other:?}"),
    }
}

const HEADER: &str = "row_id,row_label_fr,row_code_system,row_codes,type_code,type_code_system,\
                      type_label_fr,class_code,value,status,reasoning,source\n";

#[test]
fn embedded_matrix_has_24_rows_90_types_2160_cells() {
    let m = matrix();
    assert_eq!(m.rows().len(), 24);
    assert_eq!(m.document_types().len(), 90);
    assert_eq!(m.cell_count(), 2160);
    assert_eq!(m.cells().count(), 2160);
    assert_eq!(m.info().id, "provisional-2023-10-26");
    assert_eq!(m.settings(), Settings::default());
    assert!(!m.settings().social_rows_in_force);
    // Types keep the file's order; class codes come through.
    assert_eq!(m.document_types()[0].type_code, "11488-4");
    assert_eq!(m.document_type("ATTEST-RESID").unwrap().class_code, "95");
    // Kinds: 18 health rows, 6 social rows.
    let soc: Vec<&str> = m
        .rows()
        .iter()
        .filter(|r| r.kind == RowKind::Soc)
        .map(|r| r.row_id.as_str())
        .collect();
    assert_eq!(
        soc,
        [
            "ASS",
            "FCT_COORD",
            "FCT_ADMIN",
            "FCT_VIE",
            "FCT_SOIN",
            "FCT_ENCADR"
        ]
    );
    let statuses = |s| m.cells().filter(|c| c.status == s).count();
    assert_eq!(statuses(CellStatus::Verified), 123);
    assert_eq!(statuses(CellStatus::Provisional), 2037);
    assert_eq!(statuses(CellStatus::Official), 0);
}

#[test]
fn embedded_matrix_agrees_with_verified_cells_and_document_types() {
    let m = matrix();
    let verified = dmp_core::csv::parse(
        "verified",
        include_str!("../dmp-core/data/habilitation/verified-cells.csv"),
    )
    .unwrap();
    let (r, t, v) = (
        verified.column("v", "row_id").unwrap(),
        verified.column("v", "type_code").unwrap(),
        verified.column("v", "consultation").unwrap(),
    );
    let mut checked = 0;
    for (_, rec) in &verified.rows {
        let cell = m.cell(&rec[r], &rec[t]).expect("verified cell in matrix");
        assert_eq!(cell.value, rec[v] == "Y", "{} × {}", rec[r], rec[t]);
        assert_eq!(cell.status, CellStatus::Verified, "{} × {}", rec[r], rec[t]);
        checked += 1;
    }
    assert_eq!(checked, 123);

    let types = dmp_core::csv::parse(
        "types",
        include_str!("../dmp-core/data/habilitation/document-types.csv"),
    )
    .unwrap();
    let (c, cls) = (
        types.column("t", "type_code").unwrap(),
        types.column("t", "class_code").unwrap(),
    );
    assert_eq!(types.rows.len(), m.document_types().len());
    for ((_, rec), dt) in types.rows.iter().zip(m.document_types()) {
        assert_eq!(rec[c], dt.type_code);
        assert_eq!(rec[cls], dt.class_code);
    }
}

#[test]
fn physician_may_read_consultation_report_with_verified_provenance() {
    let m = matrix();
    let d = m.decide(&Reader::health_professional("10"), "11488-4");
    assert_eq!(d.outcome, Outcome::Allowed);
    assert!(d.is_allowed());
    assert_eq!(d.basis, Basis::Cell);
    assert_eq!(d.row_id.as_deref(), Some("MED"));
    assert_eq!(d.type_code, "11488-4");
    assert_eq!(d.cell_value, Some(true));
    let p = d.provenance.expect("provenance");
    assert_eq!(p.status, CellStatus::Verified);
    assert!(p.source.starts_with("https://"), "{}", p.source);
    assert_eq!(p.matrix_id, "provisional-2023-10-26");
    assert!(!p.reasoning.is_empty());
}

#[test]
fn physician_is_denied_attestation_de_residence() {
    let m = matrix();
    let d = m.decide(&Reader::health_professional("10"), "ATTEST-RESID");
    assert_eq!(d.outcome, Outcome::Denied);
    assert_eq!(d.basis, Basis::Cell);
    assert_eq!(d.cell_value, Some(false));
    assert_eq!(d.provenance.unwrap().status, CellStatus::Verified);
    // …and it is the only type a physician cannot read.
    let readable = m.readable_types(&Reader::health_professional("10"));
    assert_eq!(readable.len(), 89);
    assert!(readable.iter().all(|d| d.outcome == Outcome::Allowed));
    assert!(readable.iter().all(|d| d.type_code != "ATTEST-RESID"));
    // In the matrix's type order.
    let order: Vec<&str> = m
        .document_types()
        .iter()
        .map(|t| t.type_code.as_str())
        .filter(|t| *t != "ATTEST-RESID")
        .collect();
    let got: Vec<&str> = readable.iter().map(|d| d.type_code.as_str()).collect();
    assert_eq!(got, order);
}

#[test]
fn both_nurse_codes_map_to_inf() {
    let m = matrix();
    for code in ["60", "69"] {
        let r = Reader::health_professional(code);
        assert_eq!(m.row_for(&r).unwrap().row_id, "INF");
        // Verified: nurses may read the ESSMS discharge liaison letter, not the psychiatric synthesis.
        let yes = m.decide(&r, "83981-1");
        assert_eq!(yes.outcome, Outcome::Allowed);
        assert_eq!(yes.row_id.as_deref(), Some("INF"));
        let no = m.decide(&r, "68599-0");
        assert_eq!(no.outcome, Outcome::Denied);
        assert_eq!(no.provenance.unwrap().status, CellStatus::Verified);
    }
}

#[test]
fn row_selection_rules() {
    let m = matrix();
    // Assistant de service social by TRE_R94 code 41.
    let ass = Reader::from_profession(Profession {
        system: ProfessionSystem::R94,
        code: "41".into(),
    });
    assert_eq!(m.row_for(&ass).unwrap().row_id, "ASS");
    // A function alone selects its row.
    for f in FonctionEssms::ALL {
        assert_eq!(
            m.row_for(&Reader::from_function(f)).unwrap().row_id,
            f.row_id()
        );
    }
    // A health professional with a function reads as the profession.
    let nurse_coord = Reader::health_professional("60").with_function(FonctionEssms::Coordination);
    assert_eq!(m.row_for(&nurse_coord).unwrap().row_id, "INF");
    // A non-PS profession with a function reads as the function.
    let ass_coord = ass.clone().with_function(FonctionEssms::Coordination);
    assert_eq!(m.row_for(&ass_coord).unwrap().row_id, "FCT_COORD");
    // A G15 code without a row falls back to the function (deprecated aide-soignant 35).
    let aide = Reader::health_professional("35").with_function(FonctionEssms::AccompagnementSoin);
    assert_eq!(m.row_for(&aide).unwrap().row_id, "FCT_SOIN");
    // Psychologue (TRE_R95 93) without function: no row.
    let psy = Reader::from_profession(Profession {
        system: ProfessionSystem::R95,
        code: "93".into(),
    });
    assert!(m.row_for(&psy).is_none());
    assert!(m.row_for(&Reader::default()).is_none());
}

#[test]
fn social_rows_are_not_in_force_by_default() {
    let m = matrix();
    let soin = Reader::from_function(FonctionEssms::AccompagnementSoin);
    // FCT_SOIN × 18776-5 (plan personnalisé de soins) is Y in the provisional matrix.
    let cell = m.cell("FCT_SOIN", "18776-5").unwrap();
    assert!(cell.value);
    let d = m.decide(&soin, "18776-5");
    assert_eq!(d.outcome, Outcome::Denied);
    assert_eq!(d.basis, Basis::NotInForce);
    assert!(d.reason.contains("not yet in force"), "{}", d.reason);
    assert_eq!(d.row_id.as_deref(), Some("FCT_SOIN"));
    assert_eq!(d.cell_value, Some(true));
    assert_eq!(
        d.provenance.as_ref().unwrap().status,
        CellStatus::Provisional
    );
    assert!(m.readable_types(&soin).is_empty());

    let on = m.with_settings(Settings {
        social_rows_in_force: true,
    });
    let d = on.decide(&soin, "18776-5");
    assert_eq!(d.outcome, Outcome::Allowed);
    assert_eq!(d.basis, Basis::Cell);
    assert_eq!(d.cell_value, Some(true));
    // A N cell stays denied, by the cell this time.
    assert!(!on.cell("FCT_SOIN", "68599-0").unwrap().value);
    let d = on.decide(&soin, "68599-0");
    assert_eq!((d.outcome, d.basis), (Outcome::Denied, Basis::Cell));
    // The readable list equals the Y cells of the row.
    let ys = on
        .cells()
        .filter(|c| c.row_id == "FCT_SOIN" && c.value)
        .count();
    assert!(ys > 0);
    assert_eq!(on.readable_types(&soin).len(), ys);
    // Health rows are unaffected by the setting.
    let med = Reader::health_professional("10");
    assert_eq!(matrix().decide(&med, "11488-4"), on.decide(&med, "11488-4"));
}

#[test]
fn unknown_profession_and_unknown_type_are_denied_with_reason() {
    let m = matrix();
    let d = m.decide(&Reader::health_professional("99"), "11488-4");
    assert_eq!(d.outcome, Outcome::Denied);
    assert_eq!(d.basis, Basis::UnknownReader);
    assert!(d.reason.contains("no row"), "{}", d.reason);
    assert!(d.reason.contains("TRE_G15 99"), "{}", d.reason);
    assert_eq!(d.row_id, None);
    assert_eq!(d.provenance, None);
    assert!(m
        .readable_types(&Reader::health_professional("99"))
        .is_empty());

    let d = m.decide(&Reader::health_professional("10"), "NOT-A-TYPE");
    assert_eq!(d.outcome, Outcome::Denied);
    assert_eq!(d.basis, Basis::UnknownType);
    assert!(d.reason.contains("NOT-A-TYPE"), "{}", d.reason);
    assert!(d.reason.contains("not in matrix"), "{}", d.reason);
    assert_eq!(d.row_id.as_deref(), Some("MED"));
    assert_eq!(d.cell_value, None);
    assert_eq!(d.provenance, None);
}

#[test]
fn who_may_consult_lists_allowed_staff_in_order() {
    let m = matrix();
    let staff = vec![
        Reader::health_professional("10"),                        // MED: Y
        Reader::from_function(FonctionEssms::AccompagnementSoin), // not in force
        Reader::health_professional("40"),                        // CD: N (verified) for 83981-1
        Reader::health_professional("69"),                        // INF: Y (verified)
        Reader::health_professional("99"),                        // unknown
    ];
    let who = m.who_may_consult(&staff, "83981-1");
    let idx: Vec<usize> = who.iter().map(|(i, _)| *i).collect();
    assert_eq!(idx, [0, 3]);
    assert_eq!(who[1].1.row_id.as_deref(), Some("INF"));
    assert!(who.iter().all(|(_, d)| d.is_allowed()));

    let on = m.with_settings(Settings {
        social_rows_in_force: true,
    });
    let idx: Vec<usize> = on
        .who_may_consult(&staff, "83981-1")
        .iter()
        .map(|(i, _)| *i)
        .collect();
    assert_eq!(idx, [0, 1, 3]);
}

#[test]
fn csv_bad_value_names_line_column_and_value() {
    let csv = format!("{HEADER}MED,Médecin,TRE_G15,10,T1,LOINC,t1,10,Y,OFFICIAL,,\nMED,Médecin,TRE_G15,10,T2,LOINC,t2,10,X,OFFICIAL,,\n");
    let (line, msg) = data_error(Matrix::from_csv(info("t"), &csv).unwrap_err());
    assert_eq!(line, 3);
    assert!(msg.contains("`value`"), "{msg}");
    assert!(msg.contains("\"X\""), "{msg}");
}

#[test]
fn csv_duplicate_cell_is_an_error() {
    let csv = format!(
        "{HEADER}MED,Médecin,TRE_G15,10,T1,LOINC,t1,10,Y,OFFICIAL,,\n\
         MED,Médecin,TRE_G15,10,T2,LOINC,t2,10,Y,OFFICIAL,,\n\
         MED,Médecin,TRE_G15,10,T1,LOINC,t1,10,N,OFFICIAL,,\n"
    );
    let (line, msg) = data_error(Matrix::from_csv(info("t"), &csv).unwrap_err());
    assert_eq!(line, 4);
    assert!(msg.contains("duplicate"), "{msg}");
    assert!(msg.contains("line 2"), "{msg}");
}

#[test]
fn csv_missing_column_bad_status_and_inconsistent_rows() {
    // Missing `value` column.
    let csv = "row_id,row_code_system,row_codes,type_code\nMED,TRE_G15,10,T1\n";
    let (line, msg) = data_error(Matrix::from_csv(info("t"), csv).unwrap_err());
    assert_eq!(line, 1);
    assert!(msg.contains("missing column `value`"), "{msg}");

    // Unknown status.
    let csv = format!("{HEADER}MED,Médecin,TRE_G15,10,T1,LOINC,t1,10,Y,MAYBE,,\n");
    let (line, msg) = data_error(Matrix::from_csv(info("t"), &csv).unwrap_err());
    assert_eq!(line, 2);
    assert!(
        msg.contains("`status`") && msg.contains("\"MAYBE\""),
        "{msg}"
    );

    // Row codes disagreeing across lines.
    let csv = format!(
        "{HEADER}INF,Infirmier,TRE_G15,60|69,T1,LOINC,t1,10,Y,OFFICIAL,,\n\
         INF,Infirmier,TRE_G15,60,T2,LOINC,t2,10,Y,OFFICIAL,,\n"
    );
    let (line, msg) = data_error(Matrix::from_csv(info("t"), &csv).unwrap_err());
    assert_eq!(line, 3);
    assert!(msg.contains("row_codes") && msg.contains("line 2"), "{msg}");

    // Empty row id.
    let csv = format!("{HEADER},Infirmier,TRE_G15,60,T1,LOINC,t1,10,Y,OFFICIAL,,\n");
    let (line, msg) = data_error(Matrix::from_csv(info("t"), &csv).unwrap_err());
    assert_eq!(line, 2);
    assert!(msg.contains("`row_id`: empty"), "{msg}");

    // Header only.
    let (_, msg) = data_error(Matrix::from_csv(info("t"), HEADER).unwrap_err());
    assert!(msg.contains("no data line"), "{msg}");

    // Not CSV at all / garbage never panics.
    assert!(Matrix::from_csv(info("t"), "").is_err());
    assert!(Matrix::from_csv(info("t"), "\"").is_err());
    assert!(Matrix::from_csv(info("t"), "a,b\n1\n").is_err());
}

#[test]
fn json_round_trip_preserves_everything() {
    let m = matrix();
    let json = m.to_json().unwrap();
    assert!(json.contains("\"format\": \"dmp-habilitation-matrix/1\""));
    assert!(json.contains("\"value\": \"Y\""));
    assert!(json.contains("\"status\": \"SECONDARY_VERIFIED\""));
    let back = Matrix::from_json(&json).unwrap();
    assert_eq!(back.to_data(), m.to_data());
    assert_eq!(back.info(), m.info());
    let r = Reader::health_professional("69");
    for t in m.document_types() {
        assert_eq!(back.decide(&r, &t.type_code), m.decide(&r, &t.type_code));
    }
}

#[test]
fn json_errors_name_the_field() {
    let mut data = matrix().to_data();
    data.cells[5].type_code = "NOPE".into();
    let e = Matrix::from_data(data).unwrap_err();
    let inv = e.as_invalid().unwrap();
    assert_eq!(inv.field, "cells[5].type_code");
    assert_eq!(inv.value, "NOPE");

    let mut data = matrix().to_data();
    let dup = data.cells[0].clone();
    data.cells.push(dup);
    let e = Matrix::from_data(data).unwrap_err();
    assert_eq!(e.as_invalid().unwrap().field, "cells[2160]");

    let mut data = matrix().to_data();
    data.format = "v0".into();
    assert_eq!(
        Matrix::from_data(data)
            .unwrap_err()
            .as_invalid()
            .unwrap()
            .field,
        "format"
    );

    // A bad Y/N value is a JSON error with its path.
    let json = matrix()
        .to_json()
        .unwrap()
        .replacen("\"value\": \"Y\"", "\"value\": \"X\"", 1);
    match Matrix::from_json(&json).unwrap_err() {
        Error::Json { path, message, .. } => {
            assert_eq!(path, "cells[0].value");
            assert!(message.contains("\"X\""), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(Matrix::from_json("{").is_err());
    assert!(Matrix::from_json("null").is_err());
}

#[test]
fn minimal_json_defaults_status_to_official() {
    let json = r#"{
      "format": "dmp-habilitation-matrix/1",
      "info": {"id": "j", "title": "t", "date": "2026", "legal_basis": "x"},
      "rows": [{"row_id": "INF", "code_system": "TRE_G15", "codes": ["60", "69"], "kind": "PS"}],
      "document_types": [{"type_code": "11488-4"}, {"type_code": "PROT_ALD"}],
      "cells": [{"row_id": "INF", "type_code": "11488-4", "value": "N"}]
    }"#;
    let m = Matrix::from_json(json).unwrap();
    assert_eq!(
        m.cell("INF", "11488-4").map(|c| c.status),
        Some(CellStatus::Official)
    );
    let r = Reader::health_professional("60");
    let d = m.decide(&r, "11488-4");
    assert_eq!((d.outcome, d.basis), (Outcome::Denied, Basis::Cell));
    assert_eq!(d.provenance.unwrap().matrix_id, "j");
    // Partial table: known row and type without a cell is Unknown.
    let d = m.decide(&r, "PROT_ALD");
    assert_eq!((d.outcome, d.basis), (Outcome::Unknown, Basis::NoCell));
    assert_eq!(d.provenance, None);
    assert_eq!(d.cell_value, None);
    let _ = MatrixData::FORMAT;
}

#[test]
fn replacement_official_table_overrides_the_default() {
    // An "official" table without status column: every cell is OFFICIAL.
    let csv = "row_id,row_label_fr,row_code_system,row_codes,type_code,value,source\n\
               MED,Médecin,TRE_G15,10,11488-4,N,https://www.legifrance.gouv.fr/annexe\n\
               MED,Médecin,TRE_G15,10,ATTEST-RESID,Y,https://www.legifrance.gouv.fr/annexe\n\
               FCT_SOIN,Accompagnement au soin,LOCAL,FCT_SOIN,11488-4,Y,https://www.legifrance.gouv.fr/annexe\n";
    let m = Matrix::from_csv(info("arrete-2026"), csv).unwrap();
    assert_eq!(m.rows().len(), 2);
    assert_eq!(m.row("FCT_SOIN").unwrap().kind, RowKind::Soc);
    assert_eq!(m.row("MED").unwrap().kind, RowKind::Ps);
    let med = Reader::health_professional("10");
    let d = m.decide(&med, "11488-4");
    assert_eq!(d.outcome, Outcome::Denied); // the embedded default says Y
    let p = d.provenance.unwrap();
    assert_eq!(p.status, CellStatus::Official);
    assert_eq!(p.matrix_id, "arrete-2026");
    assert_eq!(p.source, "https://www.legifrance.gouv.fr/annexe");
    assert_eq!(m.decide(&med, "ATTEST-RESID").outcome, Outcome::Allowed);
    // Types absent from the replacement are unknown types there.
    assert_eq!(m.decide(&med, "11490-0").basis, Basis::UnknownType);
    // Rows absent from the replacement: unknown reader.
    assert_eq!(
        m.decide(&Reader::health_professional("60"), "11488-4")
            .basis,
        Basis::UnknownReader
    );
    // Function rows resolve through the LOCAL code too, and obey the settings.
    let soin = Reader::from_function(FonctionEssms::AccompagnementSoin);
    assert_eq!(m.decide(&soin, "11488-4").basis, Basis::NotInForce);
    let on = m.with_settings(Settings {
        social_rows_in_force: true,
    });
    assert_eq!(on.decide(&soin, "11488-4").outcome, Outcome::Allowed);
    // Partial table: MED × nothing else; FCT_SOIN × ATTEST-RESID has no cell → Unknown.
    assert_eq!(on.decide(&soin, "ATTEST-RESID").outcome, Outcome::Unknown);
}

#[test]
fn decisions_serialize_for_ui_and_ffi() {
    let m = matrix();
    let d = m.decide(&Reader::health_professional("10"), "11488-4");
    let v = serde_json::to_value(&d).unwrap();
    assert_eq!(v["outcome"], "allowed");
    assert_eq!(v["basis"], "cell");
    assert_eq!(v["provenance"]["status"], "SECONDARY_VERIFIED");
    let reader: Reader =
        serde_json::from_str(r#"{"profession":{"system":"TRE_G15","code":"60"}}"#).unwrap();
    assert_eq!(m.row_for(&reader).unwrap().row_id, "INF");
}

/// `verdict` (no allocation, reason on demand) answers as `decide` for every row × type, an
/// unknown type and an unknown reader, social rows in force or not.
#[test]
fn verdict_agrees_with_decide_everywhere() {
    let base = matrix();
    let mut readers: Vec<Reader> = base
        .rows()
        .iter()
        .flat_map(|r| r.codes.iter().map(|c| Reader::health_professional(c)))
        .collect();
    readers.push(Reader::from_function(FonctionEssms::AccompagnementSoin));
    readers.push(Reader::health_professional("99"));
    let mut types: Vec<String> = base
        .document_types()
        .iter()
        .map(|t| t.type_code.clone())
        .collect();
    types.push("NOT-A-TYPE".into());
    let mut counts = [0usize; 3];
    for in_force in [false, true] {
        let m = base.clone().with_settings(Settings {
            social_rows_in_force: in_force,
        });
        for r in &readers {
            for t in &types {
                let v = m.verdict(r, t);
                let d = m.decide(r, t);
                assert_eq!(v.outcome, d.outcome);
                assert_eq!(v.basis, d.basis);
                assert_eq!(v.is_allowed(), d.is_allowed());
                assert_eq!(v.reason(), d.reason);
                assert_eq!(v.row().map(|r| r.row_id.clone()), d.row_id);
                assert_eq!(v.cell().map(|c| c.value), d.cell_value);
                assert_eq!(v.to_decision(), d);
                counts[match d.outcome {
                    Outcome::Allowed => 0,
                    Outcome::Denied => 1,
                    Outcome::Unknown => 2,
                }] += 1;
            }
        }
    }
    assert!(counts[0] > 0 && counts[1] > 0, "{counts:?}");
}
