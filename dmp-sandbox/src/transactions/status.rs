//! TD0.2, test of existence of a DMP (HL7 v3 `PRPA_IN201307UV02` → `PRPA_IN201308UV02`),
//! answered like the official sample: the patient with its INS, `AUTORISATION` `VALIDE`,
//! `queryResponseCode` `OK`; `NF` without a patient when the sandbox has no DMP for the INS.

use dmp_core::ids::Ins;
use dmp_core::xml::reader::Limits;
use dmp_core::xml::tree::Tree;
use dmp_core::xml::writer::XmlWriter;

use crate::dispatch::{rights_fault, Context, Outcome};
use crate::soap_answer::{self, SoapFault};
use crate::store::{self, PatientRow};

const HL7: &str = "urn:hl7-org:v3";
/// The DMP's device OID (sender of every answer).
const DMP_DEVICE: &str = "1.2.250.1.213.4.1.1.1";
const ANSWER_ACTION: &str = "urn:hl7-org:v3:PRPA_IN201308UV02";

pub(crate) fn run(ctx: &Context<'_>) -> Outcome {
    if !crate::dispatch::allowed(ctx, "TD0.2", None) {
        return super::fault(ctx, rights_fault(ctx, "TD0.2"), "");
    }
    let (ins, message_id, query_id) = match read(ctx.envelope) {
        Ok(v) => v,
        Err(e) => return super::fault(ctx, SoapFault::sender(e), ""),
    };
    let found = ctx
        .checker
        .store
        .transaction(|tx| store::patient(tx, ins.matricule().as_str()));
    let patient = match found {
        Ok(p) => p,
        Err(e) => {
            return super::fault(
                ctx,
                SoapFault::receiver(format!("Erreur interne : {e}")),
                ins.matricule().as_str(),
            )
        }
    };
    let body = answer(&ins, patient.as_ref(), &message_id, &query_id);
    let answer = soap_answer::plain(ANSWER_ACTION, ctx.message_id, &body);
    if patient.is_some() {
        Outcome::ok(answer, ins.matricule().as_str())
    } else {
        Outcome::refused(answer, "NF", ins.matricule().as_str())
    }
}

/// The INS asked for, the message id and the query id of the request.
/// An HL7 `II`: (root, extension).
type InstanceId = (String, String);

fn read(envelope: &[u8]) -> Result<(Ins, InstanceId, InstanceId), String> {
    let tree = Tree::parse(envelope, &Limits::default()).map_err(|e| e.to_string())?;
    let id_of = |local: &str| {
        tree.elements()
            .find(|e| e.is(HL7, local))
            .map(|e| {
                (
                    e.attr("root").unwrap_or_default().to_owned(),
                    e.attr("extension").unwrap_or_default().to_owned(),
                )
            })
            .unwrap_or_default()
    };
    let value = tree
        .elements()
        .find(|e| e.is(HL7, "patientIdentifier"))
        .and_then(|p| p.child(HL7, "value"))
        .ok_or("PRPA_IN201307UV02 sans patientIdentifier/value : l'INS est obligatoire")?;
    let (root, ext) = (
        value.attr("root").unwrap_or_default(),
        value.attr("extension").unwrap_or_default(),
    );
    let ins = Ins::parse(ext, root).map_err(|e| format!("INS {ext} ({root}) invalide : {e}"))?;
    let message_id = tree
        .root()
        .descendants_or_self()
        .find(|e| e.is(HL7, "PRPA_IN201307UV02"))
        .and_then(|m| m.child(HL7, "id"))
        .map(|e| {
            (
                e.attr("root").unwrap_or_default().to_owned(),
                e.attr("extension").unwrap_or_default().to_owned(),
            )
        })
        .unwrap_or_default();
    Ok((ins, message_id, id_of("queryId")))
}

fn answer(
    ins: &Ins,
    patient: Option<&PatientRow>,
    message_id: &(String, String),
    query_id: &(String, String),
) -> Vec<u8> {
    let now = chrono::Utc::now().format("%Y%m%d%H%M%S").to_string();
    let id = uuid::Uuid::new_v4().to_string();
    let mut w = XmlWriter::new();
    let xsi = ("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance");
    let _ = w.elem(
        "PRPA_IN201308UV02",
        &[("ITSVersion", "XML_1.0"), ("xmlns", HL7)],
        |w| {
            w.empty("id", &[("root", &id)])?;
            w.empty("creationTime", &[("value", &now)])?;
            w.empty(
                "interactionId",
                &[
                    ("extension", "PRPA_IN201308UV02"),
                    ("root", "2.16.840.1.113883.1.6"),
                ],
            )?;
            w.empty("processingCode", &[("code", "P")])?;
            w.empty("processingModeCode", &[("code", "T")])?;
            w.empty("acceptAckCode", &[("code", "NE")])?;
            w.elem("sender", &[("typeCode", "SND")], |w| {
                w.elem(
                    "device",
                    &[("classCode", "DEV"), ("determinerCode", "INSTANCE")],
                    |w| {
                        w.empty("id", &[("root", DMP_DEVICE)])?;
                        w.leaf("softwareName", &[], "DMP")
                    },
                )
            })?;
            if patient.is_some() {
                w.elem("attentionLine", &[], |w| {
                    w.empty(
                        "keyWordText",
                        &[
                            ("code", "AUTORISATION"),
                            ("codeSystem", "1.2.250.1.213.4.1.2.6.1"),
                        ],
                    )?;
                    w.empty(
                        "value",
                        &[
                            ("code", "VALIDE"),
                            ("codeSystem", "1.2.250.1.213.4.1.2.6.2"),
                            ("xsi:type", "CV"),
                            xsi,
                        ],
                    )
                })?;
                w.elem("attentionLine", &[], |w| {
                    w.empty(
                        "keyWordText",
                        &[
                            ("code", "STATUT_MT"),
                            ("codeSystem", "1.2.250.1.213.4.1.2.6.3"),
                        ],
                    )?;
                    w.empty("value", &[("value", "false"), ("xsi:type", "BL"), xsi])
                })?;
            }
            w.elem("acknowledgement", &[("typeCode", "AA")], |w| {
                w.elem("targetMessage", &[], |w| {
                    w.empty(
                        "id",
                        &[("extension", &message_id.1), ("root", &message_id.0)],
                    )
                })
            })?;
            w.elem(
                "controlActProcess",
                &[("classCode", "CACT"), ("moodCode", "EVN")],
                |w| {
                    w.empty(
                        "reasonCode",
                        &[
                            ("code", "TEST_EXST"),
                            ("codeSystem", "1.2.250.1.213.1.1.4.11"),
                            ("displayName", "Test d'existence de dossier"),
                        ],
                    )?;
                    if let Some(p) = patient {
                        subject(w, ins, p)?;
                    }
                    w.elem("queryAck", &[], |w| {
                        w.empty(
                            "queryId",
                            &[("extension", &query_id.1), ("root", &query_id.0)],
                        )?;
                        w.empty(
                            "queryResponseCode",
                            &[("code", if patient.is_some() { "OK" } else { "NF" })],
                        )
                    })
                },
            )
        },
    );
    w.finish().unwrap_or_default()
}

fn subject(w: &mut XmlWriter, ins: &Ins, p: &PatientRow) -> dmp_core::Result<()> {
    w.elem(
        "subject",
        &[("contextConductionInd", "false"), ("typeCode", "SUBJ")],
        |w| {
            w.elem(
                "registrationEvent",
                &[("classCode", "REG"), ("moodCode", "EVN")],
                |w| {
                    w.empty("statusCode", &[("code", "completed")])?;
                    w.elem("subject1", &[("typeCode", "SBJ")], |w| {
                        w.elem("patient", &[("classCode", "PAT")], |w| {
                            w.empty(
                                "id",
                                &[("extension", ins.matricule().as_str()), ("root", ins.oid())],
                            )?;
                            w.empty("statusCode", &[("code", "active")])?;
                            w.elem(
                                "patientPerson",
                                &[("classCode", "PSN"), ("determinerCode", "INSTANCE")],
                                |w| {
                                    w.elem("name", &[], |w| {
                                        w.leaf("given", &[], &p.given)?;
                                        w.leaf("family", &[("qualifier", "SP")], &p.family)
                                    })?;
                                    w.empty("administrativeGenderCode", &[("code", &p.gender)])?;
                                    w.empty("birthTime", &[("value", &p.birth_date)])
                                },
                            )
                        })
                    })?;
                    w.elem("custodian", &[("typeCode", "CST")], |w| {
                        w.elem("assignedEntity", &[("classCode", "ASSIGNED")], |w| {
                            w.empty("id", &[("root", DMP_DEVICE)])
                        })
                    })
                },
            )
        },
    )
}
