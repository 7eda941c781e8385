//! The habilitation services, answered like the official samples (`output/status` `DMPOk`,
//! `output/context`) from the `authorizations` table:
//! - TD0.3 setAuthorization: `AJOUT` declares the VIHF subject authorised on the VIHF
//!   usager's DMP, `SUPPRESSION` removes it (with role `MEDECIN_TRAITANT`: only that role);
//! - TD0.4 patientList: the DMPs the subject is authorised on, with a document added
//!   (`LASTDOC`) or an authorisation given (`LASTAUTORIZATION`) since `startDate`;
//! - TD1.6 listAuthorizationByPatient: the professionals authorised (`ACTIVE`), blocked
//!   (`INTERDITE`) or both (`TOUTE`) on the usager's DMP.

use chrono::{DateTime, NaiveDateTime, Utc};
use dmp_core::authorization::{NS_HABILITATIONS, NS_PATIENTS, ROLE_MEDECIN_TRAITANT, STATUS_OK};
use dmp_core::codes::system::TRE_G15;
use dmp_core::soap::action;
use dmp_core::vihf::attr::SUBJECT_ID;
use dmp_core::vihf::SecurityToken;
use dmp_core::xml::reader::Limits;
use dmp_core::xml::tree::Tree;
use dmp_core::xml::writer::XmlWriter;

use crate::dispatch::{allowed, rights_fault, Context, Outcome};
use crate::soap_answer::{self, SoapFault};
use crate::store::{self, AuthorizationRow};

/// The status the sandbox answers when the VIHF names no usager it has a DMP for (the
/// DMP's catalogue is not public: our code).
const STATUS_UNKNOWN_PATIENT: &str = "DMPPatientNotFound";
/// Dates as the DMP writes them.
const DMP_TIME: &str = "%Y%m%d%H%M%S";

pub(crate) fn run(act: &str, ctx: &Context<'_>) -> Outcome {
    let tree = match Tree::parse(ctx.envelope, &Limits::default()) {
        Ok(t) => t,
        Err(e) => {
            return super::fault(
                ctx,
                SoapFault::sender(format!("Requête illisible : {e}")),
                "",
            )
        }
    };
    let body_text = |ns: &str, local: &str| {
        tree.elements()
            .find(|e| e.is(ns, local))
            .map(|e| e.text().trim().to_owned())
    };
    match act {
        action::SET_AUTHORIZATION => {
            let Some(verb) = body_text(NS_HABILITATIONS, "action") else {
                return super::fault(
                    ctx,
                    SoapFault::sender("setAuthorization sans action (AJOUT, SUPPRESSION)"),
                    "",
                );
            };
            let role = body_text(NS_HABILITATIONS, "role");
            set(ctx, &tree, &verb, role.as_deref())
        }
        action::PATIENT_LIST => {
            let start = body_text(NS_PATIENTS, "startDate").unwrap_or_default();
            let date_type = body_text(NS_PATIENTS, "dateType").unwrap_or_default();
            list_dmps(ctx, &start, &date_type)
        }
        _ => {
            let mode = body_text(NS_HABILITATIONS, "mode").unwrap_or_else(|| "TOUTE".into());
            list_professionals(ctx, &mode)
        }
    }
}

/// The answer `element` (`ns1:…Response`, the samples' prefix) of namespace `ns`: `output`
/// with its rows, status and context.
fn answer(
    ctx: &Context<'_>,
    (ns, element): (&str, &'static str),
    rows: impl FnOnce(&mut XmlWriter) -> dmp_core::Result<()>,
    status: &str,
    context: Option<&str>,
) -> soap_answer::Answer {
    let mut w = XmlWriter::new();
    let _ = w.elem(element, &[("xmlns:ns1", ns)], |w| {
        w.elem("ns1:output", &[], |w| {
            rows(w)?;
            w.leaf("ns1:status", &[], status)?;
            match context {
                Some(c) => w.leaf("ns1:context", &[], c),
                None => Ok(()),
            }
        })
    });
    let service = if ns == NS_PATIENTS {
        "PatientSpecificEndPoint"
    } else {
        "HabilitationsEndPoint"
    };
    let response = element.trim_start_matches("ns1:");
    let action = format!("{ns}:{service}:{response}");
    soap_answer::plain(&action, ctx.message_id, &w.finish().unwrap_or_default())
}

/// The caller's name from the VIHF subject-id (`FAMILY Given`), empty in direct mode where
/// the VIHF carries none.
fn subject_name(tree: &Tree) -> (String, String) {
    let value = tree
        .elements()
        .find(|e| e.local_name() == "Attribute" && e.attr("Name") == Some(SUBJECT_ID))
        .and_then(|a| a.children().find(|v| v.local_name() == "AttributeValue"))
        .map(|v| v.text().trim().to_owned())
        .unwrap_or_default();
    match value.split_once(' ') {
        Some((family, given)) => (family.to_owned(), given.trim().to_owned()),
        None => (value, String::new()),
    }
}

fn set(ctx: &Context<'_>, tree: &Tree, verb: &str, role: Option<&str>) -> Outcome {
    let ins = ctx.caller.ins();
    let (label, remove_mt) = match (verb, role) {
        ("AJOUT", None) => ("Se déclarer autorisé", false),
        ("SUPPRESSION", None) => ("Supprimer son autorisation", false),
        ("SUPPRESSION", Some(ROLE_MEDECIN_TRAITANT)) => ("Se supprimer MT", true),
        _ => {
            return super::fault(
                ctx,
                SoapFault::sender(format!(
                    "setAuthorization : action {verb} avec le rôle {} non prise en charge \
                     (AJOUT ; SUPPRESSION ; SUPPRESSION avec MEDECIN_TRAITANT)",
                    role.unwrap_or("(aucun)")
                )),
                &ins,
            )
        }
    };
    if !allowed(ctx, "TD0.3", Some(label)) {
        return super::fault(ctx, rights_fault(ctx, "TD0.3"), &ins);
    }
    let who = ctx.caller.token.name_id.clone();
    let now = Utc::now().format(DMP_TIME).to_string();
    let (family, given) = subject_name(tree);
    let specialty = specialty(&ctx.caller.token);
    let result = ctx.checker.store.transaction(|tx| {
        if store::patient(tx, &ins)?.is_none() {
            return Ok((
                STATUS_UNKNOWN_PATIENT,
                format!("Aucun DMP pour l'INS {ins}"),
            ));
        }
        let current = store::authorizations(tx, &ins)?
            .into_iter()
            .find(|a| a.who == who);
        Ok::<_, rusqlite::Error>(match (verb, current) {
            ("AJOUT", Some(a)) if a.mode == "ACTIVE" => (
                STATUS_OK,
                "Autorisation déjà présente aucune action effectuée".to_owned(),
            ),
            ("AJOUT", Some(_)) => (
                "DMPAccessDenied",
                "Le patient a bloqué ce professionnel : autorisation impossible".into(),
            ),
            ("AJOUT", None) => {
                store::put_authorization(
                    tx,
                    &AuthorizationRow {
                        ins: ins.clone(),
                        who: who.clone(),
                        family,
                        given,
                        specialty,
                        structure: ctx.caller.token.structure_id.clone(),
                        mode: "ACTIVE".into(),
                        medecin_traitant: false,
                        started_at: now.clone(),
                        last_action_at: now,
                    },
                )?;
                (STATUS_OK, "Autorisation ajoutée".into())
            }
            (_, Some(mut a)) if remove_mt && a.mode == "ACTIVE" => {
                a.medecin_traitant = false;
                a.last_action_at = now;
                store::put_authorization(tx, &a)?;
                (STATUS_OK, "Rôle de médecin traitant DMP supprimé".into())
            }
            (_, Some(a)) if a.mode == "ACTIVE" => {
                store::remove_authorization(tx, &ins, &who)?;
                (STATUS_OK, "Autorisation supprimée".into())
            }
            _ => (
                STATUS_OK,
                "Autorisation absente aucune action effectuée".into(),
            ),
        })
    });
    match result {
        Ok((status, context)) => {
            let a = answer(
                ctx,
                (NS_HABILITATIONS, "ns1:setAuthorizationResponse"),
                |_| Ok(()),
                status,
                Some(&context),
            );
            if status == STATUS_OK {
                Outcome::ok(a, &ins)
            } else {
                Outcome::refused(a, status, &ins)
            }
        }
        Err(e) => super::fault(
            ctx,
            SoapFault::receiver(format!("Erreur interne : {e}")),
            &ins,
        ),
    }
}

/// The JDV_J01 specialty of the VIHF roles (`G15_10/SM26` from TRE_G15 `10` then TRE_R01
/// `SM26`, or as one value), empty when the VIHF names no profession.
fn specialty(token: &SecurityToken) -> String {
    if let Some(r) = token.roles.iter().find(|r| r.code.starts_with("G15_")) {
        return r.code.clone();
    }
    let Some(profession) = token.profession_g15() else {
        return String::new();
    };
    match token.roles.iter().find(|r| r.code_system != TRE_G15) {
        Some(r) => format!("G15_{profession}/{}", r.code),
        None => format!("G15_{profession}"),
    }
}

/// A DMP date (`yyyyMMddHHmmss`, UTC) or an RFC 3339 one (the stored submission times).
fn instant(value: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(value, DMP_TIME)
        .map(|t| t.and_utc())
        .ok()
        .or_else(|| {
            DateTime::parse_from_rfc3339(value)
                .ok()
                .map(|t| t.with_timezone(&Utc))
        })
}

fn list_dmps(ctx: &Context<'_>, start: &str, date_type: &str) -> Outcome {
    let ins = ctx.caller.ins();
    if !allowed(ctx, "TD0.4", None) {
        return super::fault(ctx, rights_fault(ctx, "TD0.4"), &ins);
    }
    let Some(since) = instant(start) else {
        return super::fault(
            ctx,
            SoapFault::sender(format!(
                "patientList : startDate {start} n'est pas une date aaaaMMjjHHmmss"
            )),
            &ins,
        );
    };
    let by_document = match date_type {
        "LASTDOC" => true,
        "LASTAUTORIZATION" => false,
        other => {
            return super::fault(
                ctx,
                SoapFault::sender(format!(
                    "patientList : dateType {other} inconnu (LASTDOC, LASTAUTORIZATION)"
                )),
                &ins,
            )
        }
    };
    let who = ctx.caller.token.name_id.clone();
    let found = ctx.checker.store.transaction(|tx| {
        let mut out = Vec::new();
        for (a, last_doc) in store::authorizations_of(tx, &who)? {
            let date = if by_document {
                last_doc.as_deref().and_then(instant)
            } else {
                instant(&a.started_at)
            };
            if date.is_some_and(|d| d >= since) {
                if let Some(p) = store::patient(tx, &a.ins)? {
                    let last_add = last_doc
                        .as_deref()
                        .and_then(instant)
                        .map(|d| d.format(DMP_TIME).to_string());
                    out.push((a, p, last_add));
                }
            }
        }
        Ok::<_, rusqlite::Error>(out)
    });
    let found = match found {
        Ok(f) => f,
        Err(e) => {
            return super::fault(
                ctx,
                SoapFault::receiver(format!("Erreur interne : {e}")),
                &ins,
            )
        }
    };
    let a = answer(
        ctx,
        (NS_PATIENTS, "ns1:patientListResponse"),
        |w| {
            found.iter().try_for_each(|(a, p, last_add)| {
                w.elem("ns1:patientlistData", &[], |w| {
                    w.elem("ns1:patientIdentifier", &[], |w| {
                        w.leaf("ns1:nationalId", &[], &p.ins)?;
                        w.leaf("ns1:nationalIdType", &[], &p.oid)
                    })?;
                    w.leaf("ns1:lastName", &[], &p.family)?;
                    w.leaf("ns1:firstName", &[], &p.given)?;
                    w.leaf("ns1:dateOfBirth", &[], &p.birth_date)?;
                    w.leaf("ns1:MT", &[], bool_text(a.medecin_traitant))?;
                    w.leaf("ns1:message", &[], "false")?;
                    w.leaf("ns1:lastUpdateDate", &[], &a.last_action_at)?;
                    match last_add {
                        Some(d) => w.leaf("ns1:lastAddDate", &[], d),
                        None => Ok(()),
                    }
                })
            })
        },
        STATUS_OK,
        None,
    );
    Outcome::ok(a, &ins)
}

fn bool_text(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

fn list_professionals(ctx: &Context<'_>, mode: &str) -> Outcome {
    let ins = ctx.caller.ins();
    if !allowed(ctx, "TD1.6", None) {
        return super::fault(ctx, rights_fault(ctx, "TD1.6"), &ins);
    }
    let keep = |m: &str| match mode {
        "ACTIVE" | "INTERDITE" => Some(m == mode),
        "TOUTE" => Some(true),
        _ => None,
    };
    if keep("ACTIVE").is_none() {
        return super::fault(
            ctx,
            SoapFault::sender(format!(
                "listAuthorizationByPatient : mode {mode} inconnu (ACTIVE, INTERDITE, TOUTE)"
            )),
            &ins,
        );
    }
    let rows = ctx.checker.store.transaction(|tx| {
        Ok::<_, rusqlite::Error>((
            store::patient(tx, &ins)?.is_some(),
            store::authorizations(tx, &ins)?,
        ))
    });
    let (known, rows) = match rows {
        Ok(r) => r,
        Err(e) => {
            return super::fault(
                ctx,
                SoapFault::receiver(format!("Erreur interne : {e}")),
                &ins,
            )
        }
    };
    let rows: Vec<_> = rows
        .into_iter()
        .filter(|a| keep(&a.mode) == Some(true))
        .collect();
    let (status, context) = if known {
        (STATUS_OK, None)
    } else {
        (
            STATUS_UNKNOWN_PATIENT,
            Some(format!("Aucun DMP pour l'INS {ins}")),
        )
    };
    let a = answer(
        ctx,
        (NS_HABILITATIONS, "ns1:listAuthorizationByPatientResponse"),
        |w| {
            rows.iter().try_for_each(|a| {
                w.elem("ns1:listOfAuthorizationByPatient", &[], |w| {
                    w.leaf("ns1:nationalId", &[], &a.who)?;
                    w.leaf("ns1:nationalIdType", &[], "1.2.250.1.71.4.2.1")?;
                    w.leaf("ns1:firstName", &[], &a.given)?;
                    w.leaf("ns1:lastName", &[], &a.family)?;
                    if !a.specialty.is_empty() {
                        w.leaf("ns1:codeSpeciality", &[], &a.specialty)?;
                    }
                    w.leaf("ns1:startOfAuthorization", &[], &a.started_at)?;
                    w.leaf("ns1:lastActionDate", &[], &a.last_action_at)?;
                    w.leaf("ns1:mode", &[], &a.mode)?;
                    if a.medecin_traitant {
                        w.leaf("ns1:specificRight", &[], ROLE_MEDECIN_TRAITANT)?;
                    }
                    Ok(())
                })
            })
        },
        status,
        Some(context.as_deref().unwrap_or("")),
    );
    if known {
        Outcome::ok(a, &ins)
    } else {
        Outcome::refused(a, status, &ins)
    }
}
