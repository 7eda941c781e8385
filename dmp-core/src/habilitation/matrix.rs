//! The DMP consultation matrix (*matrice d'habilitation*): which professionals may read which
//! document types.
//!
//! # What this is, and what it is not
//!
//! The matrix in force is the annex of the *arrêté du 26 octobre 2023 fixant les règles de
//! gestion des droits d'accès au dossier médical partagé* (JORF n°0252, 29 October 2023).
//! Its rows are professions (TRE_G15 health professions, the assistant de service social of
//! TRE_R94) and, for social and medico-social staff, *functions*; its columns are DMP
//! document types (XDS `typeCode`, grouped by `classCode`); a cell says whether the row may
//! **consult** (read, download) documents of that type. It is not a feeding matrix.
//!
//! **The DMP server applies the matrix and decides.** This module is explanatory and for
//! pre-filtering only: use it to explain why a document is not visible, to avoid offering a
//! consultation that will be refused, and to inform staff. A local [`Outcome::Allowed`] grants
//! nothing.
//!
//! # Versioned data, provisional default
//!
//! The official annex is not published as data. [`Matrix::embedded`] therefore loads a
//! **provisional** reconstruction (24 rows × 90 candidate types = 2160 cells) in which every
//! cell carries a [`CellStatus`]: [`CellStatus::Verified`] for the 123 cells stated by
//! secondary sources (press, professional bodies), [`CellStatus::Provisional`] for the rest.
//! Every [`Decision`] built from a cell carries that status, the cell's reasoning and source,
//! and the matrix id ([`Provenance`]), so that nobody mistakes a placeholder for the rule.
//!
//! The official table (or any revision, e.g. the announced revised arrêté for the social
//! rows) replaces it **at run time, without a rebuild**: pass the file's text to
//! [`Matrix::from_csv`] (long form, see there) or [`Matrix::from_json`] (see [`MatrixData`]).
//!
//! # Social and medico-social rows
//!
//! Rows of kind [`RowKind::Soc`] (assistant de service social and the five ESSMS function
//! rows) are legally valid but not enforced by the DMP in production, and a revised arrêté is
//! announced. By default ([`Settings::default`]) decisions for them are [`Outcome::Denied`]
//! with [`Basis::NotInForce`]; the decision still carries the cell's value
//! ([`Decision::cell_value`]) so a UI can say "would be allowed once in force". Set
//! [`Settings::social_rows_in_force`] with [`Matrix::with_settings`] to apply their cells.
//!
//! # Language
//!
//! [`Decision::reason`] is an **English** sentence for logs and developers; UIs should build
//! their own (French) wording from the machine-readable [`Decision::outcome`],
//! [`Decision::basis`], [`Decision::cell_value`] and [`Decision::provenance`]. Labels taken
//! from the data (row and document-type labels) are French, as published.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{FonctionEssms, Profession, ProfessionSystem, Professionnel};

/// The embedded provisional matrix (long form), copied from the project's reference data.
const EMBEDDED_CSV: &str = include_str!("../../data/habilitation/provisional-matrix.csv");

/// Name of the CSV source in [`Error::Data`] errors.
const CSV_SOURCE: &str = "habilitation matrix CSV";

/// Code system of the rows that have no official code (the ESSMS function rows).
const LOCAL_SYSTEM: &str = "LOCAL";

/// Identity and legal basis of one version of the matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatrixInfo {
    /// Stable identifier of this version, e.g. `provisional-2023-10-26`; copied into every
    /// [`Provenance`]. Must not be empty.
    pub id: String,
    /// Human title.
    pub title: String,
    /// Date of the version or of its legal text, as written by its publisher (free text,
    /// ISO 8601 recommended).
    pub date: String,
    /// Legal text the matrix comes from.
    pub legal_basis: String,
    /// Free note (caveats, how it was obtained). Optional in JSON.
    #[serde(default)]
    pub note: String,
}

impl MatrixInfo {
    /// The description of the embedded provisional matrix.
    pub fn embedded() -> MatrixInfo {
        MatrixInfo {
            id: "provisional-2023-10-26".into(),
            title: "Matrice d'habilitation DMP — reconstruction provisoire".into(),
            date: "2023-10-26".into(),
            legal_basis: "Arrêté du 26 octobre 2023 fixant les règles de gestion des droits \
                          d'accès au dossier médical partagé (JORF n°0252 du 29 octobre 2023), \
                          annexe"
                .into(),
            note: "PROVISIONAL: the official annex could not be obtained as data. Only cells \
                   with status SECONDARY_VERIFIED rest on published (secondary) evidence; \
                   every PROVISIONAL cell is a placeholder to be replaced by the official \
                   table. The social and medico-social rows were partly annulled (Conseil \
                   d'État, 15 October 2025, n° 490409) and are not enforced in production."
                .into(),
        }
    }
}

/// Whether a row is a health profession or a social / medico-social row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RowKind {
    /// Health profession (professionnel de santé), TRE_G15.
    #[serde(rename = "PS")]
    Ps,
    /// Social or medico-social row: assistant de service social, ESSMS functions.
    #[serde(rename = "SOC")]
    Soc,
}

impl RowKind {
    /// The code used in data files (`PS`, `SOC`).
    pub fn code(self) -> &'static str {
        match self {
            RowKind::Ps => "PS",
            RowKind::Soc => "SOC",
        }
    }

    /// Parses `PS` or `SOC`.
    pub fn from_code(code: &str) -> Option<RowKind> {
        match code {
            "PS" => Some(RowKind::Ps),
            "SOC" => Some(RowKind::Soc),
            _ => None,
        }
    }

    /// The kind implied by a row's code system when the data does not say: `TRE_G15`
    /// (health professions) is [`RowKind::Ps`], anything else [`RowKind::Soc`].
    pub fn inferred(code_system: &str) -> RowKind {
        if code_system == ProfessionSystem::G15.name() {
            RowKind::Ps
        } else {
            RowKind::Soc
        }
    }
}

/// One row of the matrix: a profession or a function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatrixRow {
    /// Local identifier (`MED`, `INF`, `ASS`, `FCT_SOIN`…).
    pub row_id: String,
    /// French label.
    #[serde(default)]
    pub label: String,
    /// Code system of [`codes`](Self::codes): `TRE_G15`, `TRE_R94`, or `LOCAL` for the
    /// function rows (whose codes are their `FCT_*` ids).
    pub code_system: String,
    /// The codes that select this row (`60` and `69` for INF).
    pub codes: Vec<String>,
    /// Health or social row.
    pub kind: RowKind,
}

/// One document type (column) of the matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentType {
    /// XDS typeCode (`11488-4`, `ATTEST-RESID`…).
    pub type_code: String,
    /// Its code system (`LOINC`, `TRE_A05`); may be empty in a loaded table.
    #[serde(default)]
    pub system: String,
    /// French label; may be empty in a loaded table.
    #[serde(default)]
    pub label: String,
    /// XDS classCode (TRE_A03) grouping the type; may be empty in a loaded table.
    #[serde(default)]
    pub class_code: String,
}

/// How much a cell can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum CellStatus {
    /// Read from the official annex. The default when a table gives no status.
    #[default]
    #[serde(rename = "OFFICIAL")]
    Official,
    /// Stated by a secondary source (press, professional body) quoting the official text.
    #[serde(rename = "SECONDARY_VERIFIED")]
    Verified,
    /// A placeholder inferred by rules; to be replaced by the official value.
    #[serde(rename = "PROVISIONAL")]
    Provisional,
}

impl CellStatus {
    /// The code used in data files (`OFFICIAL`, `SECONDARY_VERIFIED`, `PROVISIONAL`).
    pub fn code(self) -> &'static str {
        match self {
            CellStatus::Official => "OFFICIAL",
            CellStatus::Verified => "SECONDARY_VERIFIED",
            CellStatus::Provisional => "PROVISIONAL",
        }
    }

    /// Parses one of the codes of [`code`](Self::code).
    pub fn from_code(code: &str) -> Option<CellStatus> {
        match code {
            "OFFICIAL" => Some(CellStatus::Official),
            "SECONDARY_VERIFIED" => Some(CellStatus::Verified),
            "PROVISIONAL" => Some(CellStatus::Provisional),
            _ => None,
        }
    }
}

/// One cell: may `row_id` consult `type_code`?
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cell {
    /// Row of the cell.
    pub row_id: String,
    /// Document type of the cell.
    pub type_code: String,
    /// `true` when the row may consult the type. Written `"Y"` / `"N"` in CSV and JSON.
    #[serde(with = "yes_no")]
    pub value: bool,
    /// Trust level; [`CellStatus::Official`] when the table gives none.
    #[serde(default)]
    pub status: CellStatus,
    /// Why the cell has this value (may be empty).
    #[serde(default)]
    pub reasoning: String,
    /// Where the value comes from, usually a URL (may be empty).
    #[serde(default)]
    pub source: String,
}

/// The serialisable content of a matrix: the JSON document of [`Matrix::from_json`] and
/// [`Matrix::to_json`].
///
/// ```json
/// {
///   "format": "dmp-habilitation-matrix/1",
///   "info": { "id": "arrete-2023-10-26", "title": "…", "date": "2023-10-26",
///             "legal_basis": "Arrêté du 26 octobre 2023…", "note": "…" },
///   "rows": [ { "row_id": "INF", "label": "Infirmier", "code_system": "TRE_G15",
///               "codes": ["60", "69"], "kind": "PS" } ],
///   "document_types": [ { "type_code": "11488-4", "system": "LOINC",
///                         "label": "CR ou fiche de consultation ou de visite",
///                         "class_code": "10" } ],
///   "cells": [ { "row_id": "INF", "type_code": "11488-4", "value": "Y",
///                "status": "OFFICIAL", "reasoning": "", "source": "https://…" } ]
/// }
/// ```
///
/// * `format` must be exactly [`MatrixData::FORMAT`].
/// * `rows` and `document_types` give the order of [`Matrix::rows`] and
///   [`Matrix::document_types`] (and so of [`Matrix::readable_types`]). Row ids and type
///   codes are unique; `codes` is non-empty; a `(code_system, code)` pair selects at most
///   one row. `kind` is `PS` or `SOC`.
/// * `cells`: `value` is `"Y"` or `"N"`; `status` is `OFFICIAL` (default when omitted),
///   `SECONDARY_VERIFIED` or `PROVISIONAL`; `reasoning` and `source` default to `""`. Each
///   cell names a listed row and type; at most one cell per row × type. Cells may be
///   missing (a partial table): decisions for them are [`Outcome::Unknown`].
/// * `info.note`, `rows[].label` and the `document_types[]` fields other than `type_code`
///   may be omitted. Unknown fields are errors (they are usually typos).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatrixData {
    /// Format tag, [`MatrixData::FORMAT`].
    pub format: String,
    /// Identity of the version.
    pub info: MatrixInfo,
    /// Rows, in display order.
    pub rows: Vec<MatrixRow>,
    /// Document types, in display order.
    pub document_types: Vec<DocumentType>,
    /// Cells, in any order.
    pub cells: Vec<Cell>,
}

impl MatrixData {
    /// The format tag of version 1 of the JSON document.
    pub const FORMAT: &'static str = "dmp-habilitation-matrix/1";
}

/// Run-time switches of a [`Matrix`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Apply the cells of the social / medico-social rows ([`RowKind::Soc`]). `false` (the
    /// default) treats them as not yet in force: every decision for them is
    /// [`Outcome::Denied`] with [`Basis::NotInForce`].
    #[serde(default)]
    pub social_rows_in_force: bool,
}

/// Who is reading: the profession and/or the ESSMS function of a staff member.
///
/// Row selection, in this order:
/// 1. a **health profession** (`TRE_G15`) that has a row → that row, whatever the function
///    (a nurse working as coordinator reads as a nurse);
/// 2. otherwise a **function** → its `FCT_*` row (the function decides for non-health staff,
///    including an assistant de service social who holds a function, and for a TRE_G15 code
///    absent from the matrix, e.g. the deprecated aide-soignant `35`);
/// 3. otherwise a profession of another system that has a row (`TRE_R94` `41` → ASS);
/// 4. otherwise no row: decisions are [`Outcome::Denied`] with [`Basis::UnknownReader`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reader {
    /// Profession, if any.
    #[serde(default)]
    pub profession: Option<Profession>,
    /// ESSMS function, if any.
    #[serde(default)]
    pub function: Option<FonctionEssms>,
}

impl Reader {
    /// A reader known by profession only.
    pub fn from_profession(profession: Profession) -> Reader {
        Reader {
            profession: Some(profession),
            function: None,
        }
    }

    /// A health professional by TRE_G15 code (`10` médecin, `60` infirmier…).
    pub fn health_professional(g15_code: &str) -> Reader {
        Reader::from_profession(Profession {
            system: ProfessionSystem::G15,
            code: g15_code.to_owned(),
        })
    }

    /// A reader known by ESSMS function only.
    pub fn from_function(function: FonctionEssms) -> Reader {
        Reader {
            profession: None,
            function: Some(function),
        }
    }

    /// The same reader with `function` set.
    #[must_use]
    pub fn with_function(mut self, function: FonctionEssms) -> Reader {
        self.function = Some(function);
        self
    }

    /// The reader a professional of the model is: their profession and function.
    pub fn of(professionnel: &Professionnel) -> Reader {
        Reader {
            profession: professionnel.profession().cloned(),
            function: professionnel.function(),
        }
    }

    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(p) = &self.profession {
            parts.push(format!("profession {} {}", p.system.name(), p.code));
        }
        if let Some(f) = self.function {
            parts.push(format!("function {}", f.row_id()));
        }
        if parts.is_empty() {
            "neither profession nor function".to_owned()
        } else {
            parts.join(", ")
        }
    }
}

/// The answer of [`Matrix::decide`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The matrix lets the row consult the type (the server still decides).
    Allowed,
    /// The matrix, or this library's policy (unknown reader or type, row not in force),
    /// says no.
    Denied,
    /// The row and the type are both in the matrix but the loaded table has no cell for
    /// them (a partial table). Treat as "do not offer", but say "unknown", not "forbidden".
    Unknown,
}

/// Why a [`Decision`] came out as it did (machine-readable companion of
/// [`Decision::reason`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// The cell decided ([`Outcome::Allowed`] or [`Outcome::Denied`]).
    Cell,
    /// A social / medico-social row while [`Settings::social_rows_in_force`] is off
    /// ([`Outcome::Denied`]; [`Decision::cell_value`] holds the would-be value).
    NotInForce,
    /// The reader selects no row of the matrix ([`Outcome::Denied`]).
    UnknownReader,
    /// The document type is not a column of the matrix ([`Outcome::Denied`]).
    UnknownType,
    /// Known row and type but no cell ([`Outcome::Unknown`]).
    NoCell,
}

/// Where a decision's cell comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// Trust level of the cell.
    pub status: CellStatus,
    /// Source of the cell (URL or reference).
    pub source: String,
    /// Reasoning recorded with the cell.
    pub reasoning: String,
    /// [`MatrixInfo::id`] of the matrix that decided.
    pub matrix_id: String,
}

/// A consultation decision for one reader and one document type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// Allowed, denied or unknown.
    pub outcome: Outcome,
    /// What decided.
    pub basis: Basis,
    /// One English sentence explaining the outcome (for logs; build UI text from the other
    /// fields).
    pub reason: String,
    /// The reader's row, when one was found.
    pub row_id: Option<String>,
    /// The document type asked about.
    pub type_code: String,
    /// The cell's value when a cell exists, even when the outcome ignores it
    /// ([`Basis::NotInForce`]): `Some(true)` there means "would be allowed once in force".
    pub cell_value: Option<bool>,
    /// The cell's provenance; present whenever a cell exists.
    pub provenance: Option<Provenance>,
}

impl Decision {
    /// `true` when the outcome is [`Outcome::Allowed`].
    pub fn is_allowed(&self) -> bool {
        self.outcome == Outcome::Allowed
    }
}

/// A [`Decision`] borrowed from its matrix ([`Matrix::verdict`]): outcome and basis decided,
/// the reason sentence and the owned record built only when asked for, so that deciding for
/// many readers × types costs the look-ups and nothing else.
#[derive(Debug, Clone, Copy)]
pub struct Verdict<'m> {
    matrix: &'m Matrix,
    reader: &'m Reader,
    type_code: &'m str,
    /// Allowed, denied or unknown.
    pub outcome: Outcome,
    /// What decided.
    pub basis: Basis,
    row: Option<&'m MatrixRow>,
    cell: Option<&'m Cell>,
}

impl<'m> Verdict<'m> {
    /// `true` when the outcome is [`Outcome::Allowed`].
    pub fn is_allowed(&self) -> bool {
        self.outcome == Outcome::Allowed
    }

    /// The reader's row, when one was found.
    pub fn row(&self) -> Option<&'m MatrixRow> {
        self.row
    }

    /// The cell, when one exists (even when the outcome ignores it: [`Basis::NotInForce`]).
    pub fn cell(&self) -> Option<&'m Cell> {
        self.cell
    }

    /// [`Decision::reason`]: one English sentence explaining the outcome.
    pub fn reason(&self) -> String {
        let id = &self.matrix.info.id;
        let type_code = self.type_code;
        let Some(row) = self.row else {
            return format!(
                "no row of matrix {id} for this reader ({}); not allowed",
                self.reader.describe()
            );
        };
        let row_id = &row.row_id;
        match (self.basis, self.cell) {
            (Basis::UnknownType, _) => {
                format!("document type {type_code} is not in matrix {id}; not allowed")
            }
            (Basis::NotInForce, cell) => format!(
                "row {row_id} is a social/medico-social row, not yet in force \
                 (turn on the social_rows_in_force setting, CLI --social-rows-in-force, once \
                 the decree applies); {}",
                match cell {
                    Some(c) if c.value => format!(
                        "would be allowed once in force (cell Y, {})",
                        c.status.code()
                    ),
                    Some(c) => format!("the cell says N ({})", c.status.code()),
                    None => "the matrix has no cell for it".to_owned(),
                }
            ),
            (_, Some(c)) if c.value => format!(
                "row {row_id} may consult {type_code} (cell Y, {}, matrix {id})",
                c.status.code()
            ),
            (_, Some(c)) => format!(
                "row {row_id} may not consult {type_code} (cell N, {}, matrix {id})",
                c.status.code()
            ),
            (_, None) => {
                format!("matrix {id} has no cell for row {row_id} × type {type_code}; unknown")
            }
        }
    }

    /// The owned record ([`Matrix::decide`]'s answer).
    pub fn to_decision(&self) -> Decision {
        let cell = self.cell();
        Decision {
            outcome: self.outcome,
            basis: self.basis,
            reason: self.reason(),
            row_id: self.row.map(|r| r.row_id.clone()),
            type_code: self.type_code.to_owned(),
            cell_value: cell.map(|c| c.value),
            provenance: cell.map(|c| Provenance {
                status: c.status,
                source: c.source.clone(),
                reasoning: c.reasoning.clone(),
                matrix_id: self.matrix.info.id.clone(),
            }),
        }
    }
}

/// One version of the consultation matrix, with its indexes and [`Settings`].
///
/// Immutable once built; cheap to query ([`decide`](Self::decide) does two hash look-ups).
#[derive(Debug, Clone)]
pub struct Matrix {
    info: MatrixInfo,
    settings: Settings,
    rows: Vec<MatrixRow>,
    types: Vec<DocumentType>,
    /// Row-major, `rows.len() * types.len()`.
    cells: Vec<Option<Cell>>,
    cell_count: usize,
    row_index: HashMap<String, usize>,
    type_index: HashMap<String, usize>,
    /// code system → code → row. The systems are a handful (TRE_G15, local): a list scanned
    /// before one hash look-up is faster than two hash look-ups (see `benches/habilitation.rs`).
    code_index: Vec<(String, HashMap<String, usize>)>,
}

impl Matrix {
    /// The embedded provisional matrix ([`MatrixInfo::embedded`]), parsed with
    /// [`Matrix::from_csv`]. Default [`Settings`].
    pub fn embedded() -> Result<Matrix> {
        Matrix::from_csv(MatrixInfo::embedded(), EMBEDDED_CSV)
    }

    /// Loads a matrix from its long CSV form: one line per row × document type.
    ///
    /// Columns (any order; others are ignored):
    ///
    /// | column | required | content |
    /// |---|---|---|
    /// | `row_id` | yes | row identifier, non-empty |
    /// | `row_code_system` | yes | `TRE_G15`, `TRE_R94`, `LOCAL`… |
    /// | `row_codes` | yes | codes selecting the row, `\|`-separated, non-empty |
    /// | `type_code` | yes | XDS typeCode, non-empty |
    /// | `value` | yes | `Y` or `N` |
    /// | `row_label_fr` | no | row label |
    /// | `row_kind` | no | `PS` or `SOC`; when absent or empty, inferred with [`RowKind::inferred`] (`TRE_G15` → PS, else SOC) |
    /// | `type_code_system`, `type_label_fr`, `class_code` | no | document type details |
    /// | `status` | no | `OFFICIAL`, `SECONDARY_VERIFIED` or `PROVISIONAL`. **When the column is absent every cell is [`CellStatus::Official`]** (an official table is plain Y/N); when present, an empty or other value is an error |
    /// | `reasoning`, `source` | no | copied into [`Provenance`] |
    ///
    /// The row attributes (label, code system, codes, kind) must be identical on every line
    /// of a row, and the type attributes on every line of a type. Rows and types keep the
    /// order of their first line. A table need not be complete: missing cells give
    /// [`Outcome::Unknown`].
    ///
    /// Errors are [`Error::Data`] naming the line, the column and the value (bad `value`,
    /// unknown `status`, duplicate row × type, disagreeing row attributes, empty ids, a
    /// code claimed by two rows, missing column, no data line), or [`Error::Invalid`] for an
    /// empty `info.id`.
    pub fn from_csv(info: MatrixInfo, text: &str) -> Result<Matrix> {
        check_info(&info)?;
        let table = crate::csv::parse(CSV_SOURCE, text)?;
        let req = |name: &str| table.column(CSV_SOURCE, name);
        let opt = |name: &str| table.header.iter().position(|h| h == name);
        let c_row = req("row_id")?;
        let c_system = req("row_code_system")?;
        let c_codes = req("row_codes")?;
        let c_type = req("type_code")?;
        let c_value = req("value")?;
        let c_label = opt("row_label_fr");
        let c_kind = opt("row_kind");
        let c_tsys = opt("type_code_system");
        let c_tlabel = opt("type_label_fr");
        let c_class = opt("class_code");
        let c_status = opt("status");
        let c_reasoning = opt("reasoning");
        let c_source = opt("source");

        let mut rows: Vec<MatrixRow> = Vec::new();
        let mut row_lines: Vec<usize> = Vec::new();
        let mut row_index: HashMap<String, usize> = HashMap::new();
        let mut types: Vec<DocumentType> = Vec::new();
        let mut type_lines: Vec<usize> = Vec::new();
        let mut type_index: HashMap<String, usize> = HashMap::new();
        let mut cells: Vec<(usize, usize, Cell)> = Vec::new();
        let mut cell_lines: HashMap<(usize, usize), usize> = HashMap::new();

        for (line, rec) in &table.rows {
            let line = *line;
            let get = |i: usize| rec.get(i).map(String::as_str).unwrap_or("");
            let get_opt = |i: Option<usize>| i.map(get).unwrap_or("");
            let err = |msg: String| Error::data(CSV_SOURCE, line, msg);

            let row_id = get(c_row).trim();
            if row_id.is_empty() {
                return Err(err("column `row_id`: empty".into()));
            }
            let type_code = get(c_type).trim();
            if type_code.is_empty() {
                return Err(err("column `type_code`: empty".into()));
            }
            let code_system = get(c_system).trim();
            if code_system.is_empty() {
                return Err(err(format!(
                    "column `row_code_system`: empty for row {row_id:?}"
                )));
            }
            let codes = split_codes(get(c_codes))
                .map_err(|m| err(format!("column `row_codes`: {m}, found {:?}", get(c_codes))))?;
            let kind = match get_opt(c_kind).trim() {
                "" => RowKind::inferred(code_system),
                k => RowKind::from_code(k).ok_or_else(|| {
                    err(format!(
                        "column `row_kind`: expected `PS` or `SOC`, found {k:?}"
                    ))
                })?,
            };
            let value = match get(c_value).trim() {
                "Y" => true,
                "N" => false,
                v => {
                    return Err(err(format!(
                        "column `value`: expected `Y` or `N`, found {v:?}"
                    )))
                }
            };
            let status = match c_status {
                None => CellStatus::Official,
                Some(i) => {
                    let s = get(i).trim();
                    CellStatus::from_code(s).ok_or_else(|| {
                        err(format!(
                            "column `status`: expected `OFFICIAL`, `SECONDARY_VERIFIED` or \
                             `PROVISIONAL`, found {s:?}"
                        ))
                    })?
                }
            };

            let row = MatrixRow {
                row_id: row_id.to_owned(),
                label: get_opt(c_label).trim().to_owned(),
                code_system: code_system.to_owned(),
                codes,
                kind,
            };
            let ri = match row_index.get(row_id) {
                Some(&ri) => {
                    let first = &rows[ri];
                    let first_line = row_lines[ri];
                    let clash = if first.label != row.label {
                        Some(("row_label_fr", &first.label, &row.label))
                    } else if first.code_system != row.code_system {
                        Some(("row_code_system", &first.code_system, &row.code_system))
                    } else {
                        None
                    };
                    if let Some((col, a, b)) = clash {
                        return Err(err(format!(
                            "column `{col}`: row {row_id:?} has {b:?} here but {a:?} on line \
                             {first_line}"
                        )));
                    }
                    if first.codes != row.codes {
                        return Err(err(format!(
                            "column `row_codes`: row {row_id:?} has {:?} here but {:?} on line \
                             {first_line}",
                            row.codes.join("|"),
                            first.codes.join("|")
                        )));
                    }
                    if first.kind != row.kind {
                        return Err(err(format!(
                            "column `row_kind`: row {row_id:?} is {} here but {} on line \
                             {first_line}",
                            row.kind.code(),
                            first.kind.code()
                        )));
                    }
                    ri
                }
                None => {
                    rows.push(row);
                    row_lines.push(line);
                    row_index.insert(row_id.to_owned(), rows.len() - 1);
                    rows.len() - 1
                }
            };

            let doc_type = DocumentType {
                type_code: type_code.to_owned(),
                system: get_opt(c_tsys).trim().to_owned(),
                label: get_opt(c_tlabel).trim().to_owned(),
                class_code: get_opt(c_class).trim().to_owned(),
            };
            let ti = match type_index.get(type_code) {
                Some(&ti) => {
                    let first = &types[ti];
                    let first_line = type_lines[ti];
                    let clash = if first.system != doc_type.system {
                        Some(("type_code_system", &first.system, &doc_type.system))
                    } else if first.label != doc_type.label {
                        Some(("type_label_fr", &first.label, &doc_type.label))
                    } else if first.class_code != doc_type.class_code {
                        Some(("class_code", &first.class_code, &doc_type.class_code))
                    } else {
                        None
                    };
                    if let Some((col, a, b)) = clash {
                        return Err(err(format!(
                            "column `{col}`: type {type_code:?} has {b:?} here but {a:?} on line \
                             {first_line}"
                        )));
                    }
                    ti
                }
                None => {
                    types.push(doc_type);
                    type_lines.push(line);
                    type_index.insert(type_code.to_owned(), types.len() - 1);
                    types.len() - 1
                }
            };

            if let Some(first_line) = cell_lines.insert((ri, ti), line) {
                return Err(err(format!(
                    "duplicate cell: row {row_id:?} × type {type_code:?} already given on line \
                     {first_line}"
                )));
            }
            cells.push((
                ri,
                ti,
                Cell {
                    row_id: row_id.to_owned(),
                    type_code: type_code.to_owned(),
                    value,
                    status,
                    reasoning: get_opt(c_reasoning).trim().to_owned(),
                    source: get_opt(c_source).trim().to_owned(),
                },
            ));
        }
        if cells.is_empty() {
            return Err(Error::data(CSV_SOURCE, 1, "no data line"));
        }
        let code_index = index_codes(&rows).map_err(|(a, b, code)| {
            Error::data(
                CSV_SOURCE,
                row_lines.get(b).copied().unwrap_or(0),
                format!(
                    "column `row_codes`: code {code:?} selects row {:?} here but row {:?} on \
                     line {}",
                    rows.get(b).map(|r| r.row_id.as_str()).unwrap_or(""),
                    rows.get(a).map(|r| r.row_id.as_str()).unwrap_or(""),
                    row_lines.get(a).copied().unwrap_or(0)
                ),
            )
        })?;
        Ok(Matrix::assemble(
            info, rows, row_index, types, type_index, code_index, cells,
        ))
    }

    /// Loads a matrix from its JSON document ([`MatrixData`], produced by
    /// [`Matrix::to_json`]). Syntax and type errors are [`Error::Json`] with the field path;
    /// rule violations are [`Error::Invalid`] naming the field (`cells[12].type_code`).
    pub fn from_json(text: &str) -> Result<Matrix> {
        let data: MatrixData = crate::json::from_str(text)?;
        Matrix::from_data(data)
    }

    /// Builds a matrix from its content, validating it (see [`MatrixData`] for the rules).
    pub fn from_data(data: MatrixData) -> Result<Matrix> {
        if data.format != MatrixData::FORMAT {
            return Err(Error::invalid(
                "format",
                format!("must be {:?}", MatrixData::FORMAT),
                &data.format,
            ));
        }
        check_info(&data.info)?;
        if data.rows.is_empty() {
            return Err(Error::invalid("rows", "must not be empty", "[]"));
        }
        if data.document_types.is_empty() {
            return Err(Error::invalid("document_types", "must not be empty", "[]"));
        }
        if data.cells.is_empty() {
            return Err(Error::invalid("cells", "must not be empty", "[]"));
        }
        let mut row_index = HashMap::new();
        for (i, row) in data.rows.iter().enumerate() {
            if row.row_id.trim().is_empty() {
                return Err(Error::invalid(
                    format!("rows[{i}].row_id"),
                    "must not be empty",
                    &row.row_id,
                ));
            }
            if row.code_system.trim().is_empty() {
                return Err(Error::invalid(
                    format!("rows[{i}].code_system"),
                    "must not be empty",
                    &row.code_system,
                ));
            }
            if row.codes.is_empty() || row.codes.iter().any(|c| c.trim().is_empty()) {
                return Err(Error::invalid(
                    format!("rows[{i}].codes"),
                    "must be a non-empty list of non-empty codes",
                    row.codes.join("|"),
                ));
            }
            if let Some(first) = row_index.insert(row.row_id.clone(), i) {
                return Err(Error::invalid(
                    format!("rows[{i}].row_id"),
                    format!("duplicate of rows[{first}].row_id"),
                    &row.row_id,
                ));
            }
        }
        let mut type_index = HashMap::new();
        for (i, t) in data.document_types.iter().enumerate() {
            if t.type_code.trim().is_empty() {
                return Err(Error::invalid(
                    format!("document_types[{i}].type_code"),
                    "must not be empty",
                    &t.type_code,
                ));
            }
            if let Some(first) = type_index.insert(t.type_code.clone(), i) {
                return Err(Error::invalid(
                    format!("document_types[{i}].type_code"),
                    format!("duplicate of document_types[{first}].type_code"),
                    &t.type_code,
                ));
            }
        }
        let code_index = index_codes(&data.rows).map_err(|(a, b, code)| {
            Error::invalid(
                format!("rows[{b}].codes"),
                format!("code already selects rows[{a}]"),
                code,
            )
        })?;
        let mut seen: HashMap<(usize, usize), usize> = HashMap::new();
        let mut cells = Vec::with_capacity(data.cells.len());
        for (i, cell) in data.cells.into_iter().enumerate() {
            let ri = *row_index.get(&cell.row_id).ok_or_else(|| {
                Error::invalid(
                    format!("cells[{i}].row_id"),
                    "must name a row listed in rows",
                    &cell.row_id,
                )
            })?;
            let ti = *type_index.get(&cell.type_code).ok_or_else(|| {
                Error::invalid(
                    format!("cells[{i}].type_code"),
                    "must name a type listed in document_types",
                    &cell.type_code,
                )
            })?;
            if let Some(first) = seen.insert((ri, ti), i) {
                return Err(Error::invalid(
                    format!("cells[{i}]"),
                    format!("duplicate of cells[{first}] (same row_id and type_code)"),
                    format!("{} × {}", cell.row_id, cell.type_code),
                ));
            }
            cells.push((ri, ti, cell));
        }
        Ok(Matrix::assemble(
            data.info,
            data.rows,
            row_index,
            data.document_types,
            type_index,
            code_index,
            cells,
        ))
    }

    fn assemble(
        info: MatrixInfo,
        rows: Vec<MatrixRow>,
        row_index: HashMap<String, usize>,
        types: Vec<DocumentType>,
        type_index: HashMap<String, usize>,
        code_index: HashMap<String, HashMap<String, usize>>,
        cells: Vec<(usize, usize, Cell)>,
    ) -> Matrix {
        let width = types.len();
        let mut dense: Vec<Option<Cell>> = vec![None; rows.len() * width];
        let cell_count = cells.len();
        for (ri, ti, cell) in cells {
            if let Some(slot) = dense.get_mut(ri * width + ti) {
                *slot = Some(cell);
            }
        }
        let code_index = code_index.into_iter().collect();
        Matrix {
            info,
            settings: Settings::default(),
            rows,
            types,
            cells: dense,
            cell_count,
            row_index,
            type_index,
            code_index,
        }
    }

    /// The content of the matrix (rows, types, cells in row-major order).
    pub fn to_data(&self) -> MatrixData {
        MatrixData {
            format: MatrixData::FORMAT.to_owned(),
            info: self.info.clone(),
            rows: self.rows.clone(),
            document_types: self.types.clone(),
            cells: self.cells().cloned().collect(),
        }
    }

    /// The matrix as a JSON document ([`MatrixData`]), readable by [`Matrix::from_json`].
    /// Settings are not part of it.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(&self.to_data()).map_err(|e| Error::Json {
            path: ".".into(),
            line: 0,
            column: 0,
            message: e.to_string(),
        })
    }

    /// The same matrix with other settings.
    #[must_use]
    pub fn with_settings(mut self, settings: Settings) -> Matrix {
        self.settings = settings;
        self
    }

    /// Current settings.
    pub fn settings(&self) -> Settings {
        self.settings
    }

    /// Identity of this version.
    pub fn info(&self) -> &MatrixInfo {
        &self.info
    }

    /// Rows, in the table's order.
    pub fn rows(&self) -> &[MatrixRow] {
        &self.rows
    }

    /// Document types, in the table's order.
    pub fn document_types(&self) -> &[DocumentType] {
        &self.types
    }

    /// Every cell, row-major.
    pub fn cells(&self) -> impl Iterator<Item = &Cell> + '_ {
        self.cells.iter().flatten()
    }

    /// Number of cells (2160 for the embedded matrix).
    pub fn cell_count(&self) -> usize {
        self.cell_count
    }

    /// The row with this id.
    pub fn row(&self, row_id: &str) -> Option<&MatrixRow> {
        self.row_index.get(row_id).and_then(|&i| self.rows.get(i))
    }

    /// The document type with this code.
    pub fn document_type(&self, type_code: &str) -> Option<&DocumentType> {
        self.type_index
            .get(type_code)
            .and_then(|&i| self.types.get(i))
    }

    /// The cell of a row × type, if the table has one.
    pub fn cell(&self, row_id: &str, type_code: &str) -> Option<&Cell> {
        let ri = *self.row_index.get(row_id)?;
        let ti = *self.type_index.get(type_code)?;
        self.cell_at(ri, ti)
    }

    fn cell_at(&self, ri: usize, ti: usize) -> Option<&Cell> {
        self.cells
            .get(ri * self.types.len() + ti)
            .and_then(Option::as_ref)
    }

    /// The row of `reader` (selection rules on [`Reader`]).
    pub fn row_for(&self, reader: &Reader) -> Option<&MatrixRow> {
        self.row_index_for(reader).and_then(|i| self.rows.get(i))
    }

    fn by_code(&self, system: &str, code: &str) -> Option<usize> {
        let (_, by_code) = self.code_index.iter().find(|(s, _)| s == system)?;
        by_code.get(code).copied()
    }

    fn row_index_for(&self, reader: &Reader) -> Option<usize> {
        let g15 = ProfessionSystem::G15;
        if let Some(p) = reader.profession.as_ref().filter(|p| p.system == g15) {
            if let Some(i) = self.by_code(g15.name(), &p.code) {
                return Some(i);
            }
        }
        if let Some(f) = reader.function {
            let id = f.row_id();
            if let Some(i) = self
                .row_index
                .get(id)
                .copied()
                .or_else(|| self.by_code(LOCAL_SYSTEM, id))
            {
                return Some(i);
            }
        }
        match reader.profession.as_ref().filter(|p| p.system != g15) {
            Some(p) => self.by_code(p.system.name(), &p.code),
            None => None,
        }
    }

    /// May `reader` consult documents of type `type_code`? Never fails: an unknown reader or
    /// type is [`Outcome::Denied`] with the reason; a known row × type without a cell is
    /// [`Outcome::Unknown`]; a social row is denied while not in force (see [`Settings`]).
    ///
    /// The full record (owned, with its reason sentence): [`verdict`](Self::verdict) is the
    /// same answer without allocation, for loops over many readers and types.
    pub fn decide(&self, reader: &Reader, type_code: &str) -> Decision {
        self.verdict(reader, type_code).to_decision()
    }

    /// [`decide`](Self::decide) without building the [`Decision`]: the outcome and basis
    /// at once, the row, cell and reason borrowed or produced on demand
    /// ([`Verdict::reason`], [`Verdict::to_decision`]). No allocation, no formatting.
    pub fn verdict<'m>(&'m self, reader: &'m Reader, type_code: &'m str) -> Verdict<'m> {
        match self.row_index_for(reader) {
            Some(ri) => self.verdict_row(ri, type_code, reader),
            None => Verdict {
                matrix: self,
                reader,
                type_code,
                outcome: Outcome::Denied,
                basis: Basis::UnknownReader,
                row: None,
                cell: None,
            },
        }
    }

    fn verdict_row<'m>(&'m self, ri: usize, type_code: &'m str, reader: &'m Reader) -> Verdict<'m> {
        let row = self.rows.get(ri);
        let mut v = Verdict {
            matrix: self,
            reader,
            type_code,
            outcome: Outcome::Denied,
            basis: Basis::UnknownReader,
            row,
            cell: None,
        };
        let Some(row) = row else {
            return v; // unreachable by construction; stay total
        };
        let Some(&ti) = self.type_index.get(type_code) else {
            v.basis = Basis::UnknownType;
            return v;
        };
        v.cell = self.cell_at(ri, ti);
        let not_in_force = row.kind == RowKind::Soc && !self.settings.social_rows_in_force;
        (v.outcome, v.basis) = match (v.cell, not_in_force) {
            (_, true) => (Outcome::Denied, Basis::NotInForce),
            (Some(c), false) if c.value => (Outcome::Allowed, Basis::Cell),
            (Some(_), false) => (Outcome::Denied, Basis::Cell),
            (None, false) => (Outcome::Unknown, Basis::NoCell),
        };
        v
    }

    /// The allowed decisions for `reader`, one per readable document type, in the matrix's
    /// type order. Empty when the reader has no row.
    pub fn readable_types(&self, reader: &Reader) -> Vec<Decision> {
        let Some(ri) = self.row_index_for(reader) else {
            return Vec::new();
        };
        self.types
            .iter()
            .map(|t| self.verdict_row(ri, &t.type_code, reader))
            .filter(Verdict::is_allowed)
            .map(|v| v.to_decision())
            .collect()
    }

    /// The staff members allowed to consult `type_code`: `(index in staff, decision)` for
    /// each [`Outcome::Allowed`] decision, in staff order. Use [`decide`](Self::decide) for
    /// the refusals and their reasons.
    pub fn who_may_consult(&self, staff: &[Reader], type_code: &str) -> Vec<(usize, Decision)> {
        staff
            .iter()
            .enumerate()
            .map(|(i, r)| (i, self.verdict(r, type_code)))
            .filter(|(_, v)| v.is_allowed())
            .map(|(i, v)| (i, v.to_decision()))
            .collect()
    }
}

fn check_info(info: &MatrixInfo) -> Result<()> {
    if info.id.trim().is_empty() {
        return Err(Error::invalid("info.id", "must not be empty", &info.id));
    }
    Ok(())
}

/// Splits `a|b|c` into trimmed, non-empty, distinct codes.
fn split_codes(text: &str) -> std::result::Result<Vec<String>, &'static str> {
    let mut codes: Vec<String> = Vec::new();
    for c in text.split('|') {
        let c = c.trim();
        if c.is_empty() {
            return Err("expected non-empty codes separated by `|`");
        }
        if codes.iter().any(|x| x == c) {
            return Err("a code is repeated");
        }
        codes.push(c.to_owned());
    }
    Ok(codes)
}

/// Indexes rows by (code system, code); on a clash returns (first row, second row, code).
#[allow(clippy::type_complexity)]
fn index_codes(
    rows: &[MatrixRow],
) -> std::result::Result<HashMap<String, HashMap<String, usize>>, (usize, usize, String)> {
    let mut index: HashMap<String, HashMap<String, usize>> = HashMap::new();
    for (i, row) in rows.iter().enumerate() {
        let by_code = index.entry(row.code_system.clone()).or_default();
        for code in &row.codes {
            if let Some(first) = by_code.insert(code.clone(), i) {
                if first != i {
                    return Err((first, i, code.clone()));
                }
            }
        }
    }
    Ok(index)
}

/// `bool` as `"Y"` / `"N"`.
mod yes_no {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &bool, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(if *value { "Y" } else { "N" })
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        let s = String::deserialize(d)?;
        match s.as_str() {
            "Y" => Ok(true),
            "N" => Ok(false),
            other => Err(serde::de::Error::custom(format!(
                "expected \"Y\" or \"N\", found {other:?}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_row_kinds_match_row_codes_table() {
        // The long form has no kind column: the inference must agree with row-codes.csv.
        let m = Matrix::embedded().unwrap();
        let t = crate::csv::parse(
            "row-codes",
            include_str!("../../data/habilitation/row-codes.csv"),
        )
        .unwrap();
        let c_id = t.column("row-codes", "row_id").unwrap();
        let c_kind = t.column("row-codes", "kind").unwrap();
        let c_codes = t.column("row-codes", "codes").unwrap();
        assert_eq!(t.rows.len(), m.rows().len());
        for (_, r) in &t.rows {
            let row = m.row(&r[c_id]).unwrap();
            assert_eq!(row.kind.code(), r[c_kind], "{}", r[c_id]);
            assert_eq!(row.codes.join("|"), r[c_codes]);
        }
    }

    #[test]
    fn code_clash_between_rows_is_an_error() {
        let csv = "row_id,row_code_system,row_codes,type_code,value\n\
                   A,TRE_G15,10,T,Y\nB,TRE_G15,10|11,T,N\n";
        let e = Matrix::from_csv(MatrixInfo::embedded(), csv).unwrap_err();
        match e {
            Error::Data { line, message, .. } => {
                assert_eq!(line, 3);
                assert!(message.contains("\"10\""), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn empty_info_id_is_refused() {
        let mut info = MatrixInfo::embedded();
        info.id = " ".into();
        let e = Matrix::from_csv(info, EMBEDDED_CSV).unwrap_err();
        assert_eq!(e.as_invalid().unwrap().field, "info.id");
    }
}
