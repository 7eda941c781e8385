//! "Professionnels concernés": for each member of a structure's staff, what they may do with
//! the DMP — feed it through the establishment's certificates, consult it (and whether a
//! personal card is missing for that), and which document types the habilitation matrix lets
//! them read. This is step 1 of an ESSMS's DMP deployment: knowing who is concerned.
//!
//! The report combines the functional rights (which transactions a login allows) with the
//! consultation matrix (which document types a row may read). Like both, it explains and
//! pre-filters; the DMP server decides.

use std::fmt::{self, Write as _};

use serde::{Deserialize, Serialize};

use super::matrix::{CellStatus, Matrix, Reader};
use super::rights::{AccessMode, Actor, Authentication, Footnote, Rights};
use crate::error::Result;
use crate::model::{Card, Professionnel, Structure};

/// Transaction code of document feeding (alimentation).
const TD_FEED: &str = "TD2.1";
/// Transaction code of document retrieval (consultation).
const TD_CONSULT: &str = "TD3.2";

/// A structure and its staff: the input of the report (JSON: `docs/schema/staff.schema.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffList {
    /// The structure.
    pub structure: Structure,
    /// Its staff (employees and regular outside professionals).
    pub staff: Vec<Professionnel>,
}

/// Whether a person may consult the DMP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsultStatus {
    /// Yes, with the personal card they hold.
    Allowed,
    /// Their profession may consult, but they hold no CPS/CPF/e-CPS yet.
    NeedsCard,
    /// Not with the current functional rights.
    NotAllowed,
}

/// The feeding verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedVerdict {
    /// May feed the DMP (TD2.1) through the establishment's certificates.
    pub allowed: bool,
    /// Why, in English.
    pub reason: String,
    /// Footnotes of the rights table cell (e.g. documents attributed to the structure).
    pub footnotes: Vec<Footnote>,
}

/// The consultation verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsultVerdict {
    /// The verdict.
    pub status: ConsultStatus,
    /// The login that gives (or would give) consultation rights, if any.
    pub authentication: Option<Authentication>,
    /// Why, in English.
    pub reason: String,
}

/// A document type the person's matrix row may read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadableType {
    /// XDS typeCode.
    pub type_code: String,
    /// Label of the type in the matrix.
    pub label: String,
    /// Status of the matrix cell that allows it.
    pub status: CellStatus,
}

/// One person's line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffEntry {
    /// Position in the staff list (0-based).
    pub index: usize,
    /// Given name and family name.
    pub name: String,
    /// Job title, if given.
    pub job_title: Option<String>,
    /// National identifier (IdNat_PS).
    pub idnat: String,
    /// The actor of the functional-rights tables.
    pub actor: Actor,
    /// Personal card.
    pub card: Card,
    /// Feeding through the establishment's certificates.
    pub feed: FeedVerdict,
    /// Consultation.
    pub consult: ConsultVerdict,
    /// The matrix row that applies, if any.
    pub matrix_row: Option<String>,
    /// Why the matrix gives these types (or none).
    pub matrix_reason: String,
    /// Document types the row may read now (empty for a row not yet in force).
    pub readable_types: Vec<ReadableType>,
    /// How many types the row would read once the social and medico-social rows are in force
    /// (equal to `readable_types.len()` for rows already in force).
    pub readable_types_when_in_force: usize,
}

/// Counts for the whole structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffSummary {
    /// People in the list.
    pub people: usize,
    /// People who may feed the DMP.
    pub may_feed: usize,
    /// People who may consult now.
    pub may_consult: usize,
    /// People who could consult once they have a CPS/e-CPS.
    pub missing_card: usize,
}

/// The "professionnels concernés" report (JSON: `docs/schema/staff-report.schema.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffReport {
    /// Structure name.
    pub structure: String,
    /// FINESS of the geographic establishment.
    pub finess_et: String,
    /// Identifier of the habilitation matrix used.
    pub matrix_id: String,
    /// Whether the social and medico-social rows were treated as in force.
    pub social_rows_in_force: bool,
    /// The rights documents read (PDT-INF-526…).
    pub rights_documents: Vec<String>,
    /// One entry per person, in list order.
    pub entries: Vec<StaffEntry>,
    /// Counts.
    pub summary: StaffSummary,
}

impl StaffReport {
    /// Builds the report for `list` with `matrix` (its settings decide whether the social
    /// rows are in force) and the functional `rights`.
    pub fn build(list: &StaffList, matrix: &Matrix, rights: &Rights) -> StaffReport {
        let mut in_force_settings = matrix.settings();
        in_force_settings.social_rows_in_force = true;
        let in_force = matrix.clone().with_settings(in_force_settings);
        let entries: Vec<StaffEntry> = list
            .staff
            .iter()
            .enumerate()
            .map(|(i, p)| entry(i, p, matrix, &in_force, rights))
            .collect();
        let summary = StaffSummary {
            people: entries.len(),
            may_feed: entries.iter().filter(|e| e.feed.allowed).count(),
            may_consult: count(&entries, ConsultStatus::Allowed),
            missing_card: count(&entries, ConsultStatus::NeedsCard),
        };
        StaffReport {
            structure: list.structure.name().to_owned(),
            finess_et: list.structure.finess_et().to_string(),
            matrix_id: matrix.info().id.clone(),
            social_rows_in_force: matrix.settings().social_rows_in_force,
            rights_documents: vec![
                rights.document_for(Authentication::DirecteCps).to_owned(),
                rights.document_for(Authentication::Air).to_owned(),
            ],
            entries,
            summary,
        }
    }

    /// The report as pretty JSON.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(|e| crate::Error::Json {
            path: ".".into(),
            line: 0,
            column: 0,
            message: e.to_string(),
        })
    }
}

fn count(entries: &[StaffEntry], status: ConsultStatus) -> usize {
    entries
        .iter()
        .filter(|e| e.consult.status == status)
        .count()
}

fn entry(
    index: usize,
    p: &Professionnel,
    matrix: &Matrix,
    in_force: &Matrix,
    rights: &Rights,
) -> StaffEntry {
    let actor = Actor::of(p);
    let reader = Reader::of(p);
    let readable = matrix.readable_types(&reader);
    let readable_when_in_force = in_force.readable_types(&reader).len();
    let row = matrix.row_for(&reader).map(|r| r.row_id.clone());
    let matrix_reason = match (&row, readable.is_empty()) {
        (None, _) => format!(
            "no row of matrix {} for this profession or function",
            matrix.info().id
        ),
        (Some(r), true) if readable_when_in_force > 0 => format!(
            "row {r} is a social/medico-social row, not yet in force: {readable_when_in_force} types once in force"
        ),
        (Some(r), _) => format!("row {r}: {} readable types", readable.len()),
    };
    let readable_types: Vec<ReadableType> = readable
        .iter()
        .map(|d| ReadableType {
            type_code: d.type_code.clone(),
            label: matrix
                .document_type(&d.type_code)
                .map(|t| t.label.clone())
                .unwrap_or_default(),
            status: d
                .provenance
                .as_ref()
                .map(|p| p.status)
                .unwrap_or(CellStatus::Provisional),
        })
        .collect();
    StaffEntry {
        index,
        name: format!("{} {}", p.given_name(), p.family_name()),
        job_title: p.job_title().map(str::to_owned),
        idnat: p.idnat().to_string(),
        actor,
        card: p.card(),
        feed: feed_verdict(actor, rights),
        consult: consult_verdict(p, actor, rights, readable.len(), row.as_deref()),
        matrix_row: row,
        matrix_reason,
        readable_types,
        readable_types_when_in_force: readable_when_in_force,
    }
}

fn feed_verdict(actor: Actor, rights: &Rights) -> FeedVerdict {
    let auth = Authentication::IndirecteCertificatEs;
    let decisions = rights.decide(auth, actor, AccessMode::Normal, TD_FEED);
    let allowed = rights.allows(auth, actor, AccessMode::Normal, TD_FEED);
    let footnotes = decisions
        .into_iter()
        .flat_map(|d| d.footnotes)
        .collect::<Vec<_>>();
    let reason = if allowed {
        format!(
            "{TD_FEED} is open to any user of the structure authenticated indirectly with the establishment certificate ({})",
            rights.document_for(auth)
        )
    } else {
        format!(
            "{TD_FEED} is closed to the establishment certificate in {}",
            rights.document_for(auth)
        )
    };
    FeedVerdict {
        allowed,
        reason,
        footnotes,
    }
}

/// Consultation needs three things: a login whose functional rights open TD3.2, the
/// personal card for that login, and a matrix row that gives at least one document type now.
fn consult_verdict(
    p: &Professionnel,
    actor: Actor,
    rights: &Rights,
    readable_now: usize,
    row: Option<&str>,
) -> ConsultVerdict {
    let mode = AccessMode::Normal;
    // The login that would carry consultation: a CPS-type card for health professionals
    // (and anyone holding one), a CPE for other staff.
    let auth = if p.card().is_ps_card() || p.is_health_professional() {
        Authentication::DirecteCps
    } else {
        Authentication::DirecteCpe
    };
    let doc = rights.document_for(auth).to_owned();
    let air = rights.document_for(Authentication::Air);
    let not_allowed = |reason: String| ConsultVerdict {
        status: ConsultStatus::NotAllowed,
        authentication: None,
        reason,
    };
    if !rights.allows(auth, actor, mode, TD_CONSULT) {
        let who = match actor {
            Actor::NonPs => "non-health staff",
            _ => "this profession",
        };
        return not_allowed(format!(
            "{TD_CONSULT} is closed to {who} in {doc} (direct login) and {air} (AIR); the establishment certificate never allows it"
        ));
    }
    if readable_now == 0 {
        let row = row.map_or_else(
            || "no matrix row applies to this profession".to_owned(),
            |r| format!("matrix row {r} gives no document type now"),
        );
        return not_allowed(format!(
            "{TD_CONSULT} is open to this profession with a CPS/e-CPS ({doc}), but {row}"
        ));
    }
    if p.card().is_ps_card() {
        ConsultVerdict {
            status: ConsultStatus::Allowed,
            authentication: Some(auth),
            reason: format!(
                "{TD_CONSULT} is open to this profession with a personal CPS/e-CPS ({doc}); they hold one"
            ),
        }
    } else {
        ConsultVerdict {
            status: ConsultStatus::NeedsCard,
            authentication: Some(auth),
            reason: format!(
                "{TD_CONSULT} is open to this profession with a personal CPS/e-CPS ({doc}); they hold none: order a CPS or activate an e-CPS"
            ),
        }
    }
}

impl fmt::Display for StaffReport {
    /// A readable table, then one line of reasons per person.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Professionnels concernés — {} (FINESS ET {})",
            self.structure, self.finess_et
        )?;
        writeln!(
            f,
            "Matrix: {} — social/medico-social rows {}; rights: {}",
            self.matrix_id,
            if self.social_rows_in_force {
                "treated as in force"
            } else {
                "not yet in force"
            },
            self.rights_documents.join(", ")
        )?;
        writeln!(
            f,
            "Explanatory only: the DMP server applies the matrix and the rights.\n"
        )?;
        let rows: Vec<[String; 7]> = self
            .entries
            .iter()
            .map(|e| {
                [
                    (e.index + 1).to_string(),
                    e.name.clone(),
                    e.job_title.clone().unwrap_or_default(),
                    yes_no(e.feed.allowed).to_owned(),
                    consult_cell(e),
                    e.matrix_row.clone().unwrap_or_else(|| "—".into()),
                    types_cell(e),
                ]
            })
            .collect();
        let header = [
            "#",
            "Name",
            "Job",
            "Feed",
            "Consult",
            "Row",
            "Readable types",
        ]
        .map(str::to_owned);
        let mut widths = header.clone().map(|h| h.chars().count());
        for r in &rows {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(c.chars().count());
            }
        }
        for r in std::iter::once(&header).chain(rows.iter()) {
            let mut line = String::new();
            for (c, w) in r.iter().zip(widths) {
                let _ = write!(line, "{c}{}  ", " ".repeat(w - c.chars().count()));
            }
            writeln!(f, "{}", line.trim_end())?;
        }
        writeln!(
            f,
            "\n{} people: {} may feed, {} may consult, {} need a CPS/e-CPS to consult.\n",
            self.summary.people,
            self.summary.may_feed,
            self.summary.may_consult,
            self.summary.missing_card
        )?;
        for e in &self.entries {
            writeln!(f, "{}. {}", e.index + 1, e.name)?;
            writeln!(f, "   feed:    {}", e.feed.reason)?;
            writeln!(f, "   consult: {}", e.consult.reason)?;
            writeln!(f, "   matrix:  {}", e.matrix_reason)?;
        }
        Ok(())
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn consult_cell(e: &StaffEntry) -> String {
    match e.consult.status {
        ConsultStatus::Allowed => format!("yes ({})", card_name(e.card)),
        ConsultStatus::NeedsCard => "needs CPS/e-CPS".to_owned(),
        ConsultStatus::NotAllowed => "no".to_owned(),
    }
}

fn card_name(card: Card) -> &'static str {
    match card {
        Card::Cps => "CPS",
        Card::Cpf => "CPF",
        Card::Cpe => "CPE",
        Card::ECps => "e-CPS",
        Card::None => "no card",
    }
}

fn types_cell(e: &StaffEntry) -> String {
    let verified = e
        .readable_types
        .iter()
        .filter(|t| t.status != CellStatus::Provisional)
        .count();
    if e.readable_types.is_empty() && e.readable_types_when_in_force > 0 {
        format!("0 now ({} once in force)", e.readable_types_when_in_force)
    } else {
        format!("{} ({verified} verified)", e.readable_types.len())
    }
}
