//! Functional rights: which DMP transactions a user may run, by authentication mode, actor and
//! access mode.
//!
//! Source: the two GIE SESAM-Vitale tables, embedded as data —
//! **PDT-INF-526 v1.8** "DMP-Compatibilité : Matrice des droits fonctionnels" (25.09.2024;
//! direct authentication with a CPS/CPF or CPE card, indirect authentication with the
//! establishment certificate) and **PDT-INF-606 v1.3** "… Matrice des droits fonctionnels
//! AIR" (08.07.2025; *authentification indirecte renforcée*).
//!
//! Both documents say the matrix is **enforced by the DMP system and published for
//! information only**. This module is for pre-checks, greying out actions and explaining
//! refusals: a local "oui" is never a guarantee.
//!
//! # Model
//!
//! * An [`Authentication`] and an [`Actor`] select a **profile**, i.e. a printed column group
//!   ([`Profile::for_login`]): any actor under the establishment certificate is
//!   [`Profile::IndirectEsTous`]; a CPS card gives one of the four CPS profiles; a CPE card
//!   only [`Profile::DirectCpeNonPs`]; AIR one of the four AIR profiles. Combinations the
//!   tables do not print (CPE + a physician, direct CPS + non-PS, AIR + médecin du travail)
//!   are an [`Error::Invalid`] from [`Profile::for_login`], and in
//!   [`Rights::decide`] every row is [`Permission::NotApplicable`] with no profile.
//! * An [`AccessMode`] selects the printed "mode_accès" column. The **médecin du travail** has
//!   a single column, "sans objet": every access mode reads it.
//!   A profile without the mode's column (the médecin traitant in régulation, a CPE outside
//!   normal mode, the certificate in bris de glace) gives [`Permission::NotApplicable`]:
//!   an empty cell means the table has no such column, never "non".
//! * A transaction (e.g. `TD3.2`) may have several **printed rows** (the six TD3.2 document
//!   categories, the three TD0.3 sub-rights…). [`Rights::decide`] returns one
//!   [`RightDecision`] per printed row; [`Rights::allows`] is true when **at least one**
//!   printed row of the transaction is `oui` (so "may run the transaction at all"; look at
//!   the rows for the restrictions, e.g. TD3.1 for the establishment certificate allows the
//!   reference look-up but not the metadata search).
//! * The withdrawn **TD0.0** row (struck through in PDT-INF-526: available until
//!   30/09/2023) is kept, with its printed values and [`RightRow::withdrawn`] set; it never
//!   counts in [`Rights::allows`] and [`Rights::allowed_transactions`].
//! * Footnotes are resolved **per document**: the numbers differ between the two (the
//!   "same structure" restriction is (2) in 526 and (3) in 606). PDT-INF-526 prints `oui (1)`
//!   with no legend for (1): that footnote comes back with `text: None` and a note saying so.
//! * Transaction codes are those printed: the contextual Web PS access is `TD0.9` in
//!   PDT-INF-526 and `TD0.10` in PDT-INF-606, and the AIR table has no TD0.0 nor
//!   "Se supprimer MT" row. An unknown code gives no rows (and `allows` is false).
//!
//! Labels, sections and footnote texts are French, as published.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::Professionnel;

const FUNCTIONAL_CSV: &str = include_str!("../../data/rights/functional-rights.csv");
const AIR_CSV: &str = include_str!("../../data/rights/air-rights.csv");
const FOOTNOTES_CSV: &str = include_str!("../../data/rights/footnotes.csv");

/// How the user is authenticated to the DMP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Authentication {
    /// Indirect authentication with the establishment's server certificate ("Certificat ES").
    IndirecteCertificatEs,
    /// Direct authentication with a CPS (or CPF, student) card.
    DirecteCps,
    /// Direct authentication with a CPE card (establishment staff, non-PS).
    DirecteCpe,
    /// AIR: authentification indirecte renforcée (PDT-INF-606).
    Air,
}

/// The user's role as printed in the "acteur" header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    /// Health professional who is not a physician.
    PsNonMedecin,
    /// Physician who is not the patient's DMP médecin traitant.
    Medecin,
    /// The patient's DMP médecin traitant (MT).
    MedecinTraitant,
    /// Occupational physician (CPS only; single "sans objet" column).
    MedecinDuTravail,
    /// Not a health professional (CPE / AIR "PE" establishment staff).
    NonPs,
}

impl Actor {
    /// The actor a professional is outside any patient relationship: a physician
    /// (TRE_G15 `10`) is [`Actor::Medecin`], another TRE_G15 profession
    /// [`Actor::PsNonMedecin`], anyone else [`Actor::NonPs`]. Whether a physician is the
    /// patient's médecin traitant depends on the patient, so the caller says so.
    pub fn of(professionnel: &Professionnel) -> Actor {
        if professionnel.is_medecin() {
            Actor::Medecin
        } else if professionnel.is_health_professional() {
            Actor::PsNonMedecin
        } else {
            Actor::NonPs
        }
    }

    /// The actor as the JSON files and the CLI write it (`ps_non_medecin`, `medecin`…).
    pub fn code(self) -> &'static str {
        match self {
            Actor::PsNonMedecin => "ps_non_medecin",
            Actor::Medecin => "medecin",
            Actor::MedecinTraitant => "medecin_traitant",
            Actor::MedecinDuTravail => "medecin_du_travail",
            Actor::NonPs => "non_ps",
        }
    }
}

/// The access mode (TRE_R248 ModeAcces, the VIHF `PurposeOfUse`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AccessMode {
    /// `normal`.
    #[serde(rename = "normal")]
    Normal,
    /// `centre_15`: emergency call centre (SAMU regulation), printed "régulation".
    #[serde(rename = "centre_15")]
    Regulation,
    /// `bris_de_glace`: break-the-glass emergency access.
    #[serde(rename = "bris_de_glace")]
    BrisDeGlace,
}

impl AccessMode {
    /// OID of TRE_R248 ModeAcces.
    pub const OID: &'static str = "1.2.250.1.213.1.1.4.248";

    /// The TRE_R248 code (`normal`, `centre_15`, `bris_de_glace`).
    pub fn code(self) -> &'static str {
        match self {
            AccessMode::Normal => "normal",
            AccessMode::Regulation => "centre_15",
            AccessMode::BrisDeGlace => "bris_de_glace",
        }
    }

    /// Parses a TRE_R248 code.
    pub fn from_code(code: &str) -> Option<AccessMode> {
        match code {
            "normal" => Some(AccessMode::Normal),
            "centre_15" => Some(AccessMode::Regulation),
            "bris_de_glace" => Some(AccessMode::BrisDeGlace),
            _ => None,
        }
    }
}

/// A printed "mode_accès" column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModeColumn {
    /// "normal".
    Normal,
    /// "régulation".
    Regulation,
    /// "bris de glace".
    BrisDeGlace,
    /// "sans objet" (médecin du travail only).
    SansObjet,
}

impl ModeColumn {
    const ALL: [ModeColumn; 4] = [
        ModeColumn::Normal,
        ModeColumn::Regulation,
        ModeColumn::BrisDeGlace,
        ModeColumn::SansObjet,
    ];

    /// Column name in the data files.
    pub fn column_name(self) -> &'static str {
        match self {
            ModeColumn::Normal => "normal",
            ModeColumn::Regulation => "regulation",
            ModeColumn::BrisDeGlace => "bris_de_glace",
            ModeColumn::SansObjet => "sans_objet",
        }
    }
}

/// A printed column group (the `profile_id` of the data files).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Profile {
    /// PDT-INF-526, direct, CPS/CPF, PS non médecin.
    #[serde(rename = "direct_cps_ps_non_medecin")]
    DirectCpsPsNonMedecin,
    /// PDT-INF-526, direct, CPS/CPF, Médecin (non MT).
    #[serde(rename = "direct_cps_medecin_non_mt")]
    DirectCpsMedecinNonMt,
    /// PDT-INF-526, direct, CPS/CPF, Médecin du travail (column "sans objet").
    #[serde(rename = "direct_cps_medecin_du_travail")]
    DirectCpsMedecinDuTravail,
    /// PDT-INF-526, direct, CPS/CPF, Médecin Traitant (MT).
    #[serde(rename = "direct_cps_medecin_traitant")]
    DirectCpsMedecinTraitant,
    /// PDT-INF-526, direct, CPE, non PS.
    #[serde(rename = "direct_cpe_non_ps")]
    DirectCpeNonPs,
    /// PDT-INF-526, indirect, Certificat ES, tous.
    #[serde(rename = "indirect_es_tous")]
    IndirectEsTous,
    /// PDT-INF-606, PS, PS non médecin.
    #[serde(rename = "air_ps_non_medecin")]
    AirPsNonMedecin,
    /// PDT-INF-606, PS, Médecin (non MT).
    #[serde(rename = "air_ps_medecin_non_mt")]
    AirPsMedecinNonMt,
    /// PDT-INF-606, PS, Médecin Traitant (MT).
    #[serde(rename = "air_ps_medecin_traitant")]
    AirPsMedecinTraitant,
    /// PDT-INF-606, PE, non PS.
    #[serde(rename = "air_pe_non_ps")]
    AirPeNonPs,
}

impl Profile {
    /// Every profile, in the data files' order.
    pub const ALL: [Profile; 10] = [
        Profile::DirectCpsPsNonMedecin,
        Profile::DirectCpsMedecinNonMt,
        Profile::DirectCpsMedecinDuTravail,
        Profile::DirectCpsMedecinTraitant,
        Profile::DirectCpeNonPs,
        Profile::IndirectEsTous,
        Profile::AirPsNonMedecin,
        Profile::AirPsMedecinNonMt,
        Profile::AirPsMedecinTraitant,
        Profile::AirPeNonPs,
    ];

    /// The `profile_id` of the data files.
    pub fn id(self) -> &'static str {
        match self {
            Profile::DirectCpsPsNonMedecin => "direct_cps_ps_non_medecin",
            Profile::DirectCpsMedecinNonMt => "direct_cps_medecin_non_mt",
            Profile::DirectCpsMedecinDuTravail => "direct_cps_medecin_du_travail",
            Profile::DirectCpsMedecinTraitant => "direct_cps_medecin_traitant",
            Profile::DirectCpeNonPs => "direct_cpe_non_ps",
            Profile::IndirectEsTous => "indirect_es_tous",
            Profile::AirPsNonMedecin => "air_ps_non_medecin",
            Profile::AirPsMedecinNonMt => "air_ps_medecin_non_mt",
            Profile::AirPsMedecinTraitant => "air_ps_medecin_traitant",
            Profile::AirPeNonPs => "air_pe_non_ps",
        }
    }

    /// Parses a `profile_id`.
    pub fn from_id(id: &str) -> Option<Profile> {
        Profile::ALL.into_iter().find(|p| p.id() == id)
    }

    /// `true` for the PDT-INF-606 (AIR) profiles.
    pub fn is_air(self) -> bool {
        matches!(
            self,
            Profile::AirPsNonMedecin
                | Profile::AirPsMedecinNonMt
                | Profile::AirPsMedecinTraitant
                | Profile::AirPeNonPs
        )
    }

    fn index(self) -> usize {
        Profile::ALL.iter().position(|&p| p == self).unwrap_or(0)
    }

    /// The printed column group for a login, or [`Error::Invalid`] (field `actor`) when the
    /// tables print none for that combination.
    pub fn for_login(auth: Authentication, actor: Actor) -> Result<Profile> {
        use Actor as A;
        use Authentication as Au;
        let profile = match (auth, actor) {
            (Au::IndirecteCertificatEs, _) => Some(Profile::IndirectEsTous),
            (Au::DirecteCps, A::PsNonMedecin) => Some(Profile::DirectCpsPsNonMedecin),
            (Au::DirecteCps, A::Medecin) => Some(Profile::DirectCpsMedecinNonMt),
            (Au::DirecteCps, A::MedecinTraitant) => Some(Profile::DirectCpsMedecinTraitant),
            (Au::DirecteCps, A::MedecinDuTravail) => Some(Profile::DirectCpsMedecinDuTravail),
            (Au::DirecteCps, A::NonPs) => None,
            (Au::DirecteCpe, A::NonPs) => Some(Profile::DirectCpeNonPs),
            (Au::DirecteCpe, _) => None,
            (Au::Air, A::PsNonMedecin) => Some(Profile::AirPsNonMedecin),
            (Au::Air, A::Medecin) => Some(Profile::AirPsMedecinNonMt),
            (Au::Air, A::MedecinTraitant) => Some(Profile::AirPsMedecinTraitant),
            (Au::Air, A::NonPs) => Some(Profile::AirPeNonPs),
            (Au::Air, A::MedecinDuTravail) => None,
        };
        profile.ok_or_else(|| {
            let rule = match auth {
                Au::DirecteCps => {
                    "no CPS/CPF column for a non-PS actor in PDT-INF-526 (non-PS staff use a CPE)"
                }
                Au::DirecteCpe => "the CPE column of PDT-INF-526 is for non-PS actors only",
                Au::Air => "PDT-INF-606 (AIR) has no column for the médecin du travail",
                Au::IndirecteCertificatEs => "no column",
            };
            Error::invalid("actor", rule, actor.code())
        })
    }

    /// The printed column read for `mode`: the médecin du travail's single "sans objet"
    /// column for any mode, else the mode's own column.
    pub fn column(self, mode: AccessMode) -> ModeColumn {
        if self == Profile::DirectCpsMedecinDuTravail {
            return ModeColumn::SansObjet;
        }
        match mode {
            AccessMode::Normal => ModeColumn::Normal,
            AccessMode::Regulation => ModeColumn::Regulation,
            AccessMode::BrisDeGlace => ModeColumn::BrisDeGlace,
        }
    }
}

/// A cell's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Printed `oui` (possibly with restricting footnotes).
    Allowed,
    /// Printed `non`.
    Denied,
    /// No such column for this profile, or no profile for this login.
    NotApplicable,
}

/// A footnote, resolved in its document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Footnote {
    /// `1`…`11`, or `*`.
    pub number: String,
    /// The legend as published (French); `None` when the document prints no legend
    /// (PDT-INF-526 footnote (1)).
    pub text: Option<String>,
    /// Our note on the footnote (missing or cut-off legend…), if any.
    pub note: Option<String>,
}

/// One printed row of a rights table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RightRow {
    /// `PDT-INF-526 v1.8` or `PDT-INF-606 v1.3`.
    pub document: String,
    /// Position of the row in the printed table (1-based, group headings skipped).
    pub row_order: u32,
    /// Printed section heading.
    pub section: String,
    /// Most specific transaction code (`TD3.3c`; sub-rows take their group's code).
    pub transaction: String,
    /// Group row (`TD0.3`, `TD1.3`, `TD3.1`, `TD3.2`, `TD3.3`), if any.
    pub parent_transaction: Option<String>,
    /// Label of the group row, if any.
    pub parent_label: Option<String>,
    /// Row label as printed, markers included (`Supprimer un document *`).
    pub label: String,
    /// Struck through in the source (withdrawn transaction: TD0.0).
    pub withdrawn: bool,
}

/// The verdict for one printed row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RightDecision {
    /// Document the row comes from.
    pub document: String,
    /// Transaction code of the row.
    pub transaction: String,
    /// Group transaction, if any.
    pub parent_transaction: Option<String>,
    /// Row label as printed.
    pub label: String,
    /// The verdict.
    pub permission: Permission,
    /// Footnotes of the cell read and of the row label, resolved in [`document`](Self::document).
    pub footnotes: Vec<Footnote>,
    /// The column group read; `None` when the login has no column.
    pub profile: Option<Profile>,
    /// The mode column read; `None` when the login has no column.
    pub column: Option<ModeColumn>,
    /// The printed cell (`oui (4)`), empty when not applicable.
    pub cell: String,
    /// The row is withdrawn (TD0.0); its printed value is kept but does not count.
    pub withdrawn: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Mark {
    allowed: bool,
    footnotes: Vec<String>,
    raw: String,
}

type ProfileCells = [Option<Mark>; 4];

/// The two functional-rights tables, with their footnotes.
#[derive(Debug, Clone)]
pub struct Rights {
    rows: Vec<RightRow>,
    /// Parallel to `rows`; indexed by [`Profile::index`].
    cells: Vec<[Option<ProfileCells>; 10]>,
    /// Footnote markers of each row's label, parallel to `rows`.
    label_footnotes: Vec<Vec<String>>,
    footnotes: HashMap<(String, String), Footnote>,
    direct_document: String,
    air_document: String,
}

impl Rights {
    /// The embedded PDT-INF-526 v1.8 and PDT-INF-606 v1.3 tables.
    pub fn embedded() -> Result<Rights> {
        Rights::from_csv(FUNCTIONAL_CSV, AIR_CSV, FOOTNOTES_CSV)
    }

    /// Loads the tables from the text of `functional-rights.csv` (direct and indirect
    /// profiles), `air-rights.csv` (AIR profiles) and `footnotes.csv`, in the layout
    /// described in the data's README. Every line of a table must name the same document;
    /// every printed row must have exactly one line per profile of its table; cells are
    /// empty, `oui` or `non` optionally followed by `(n)` markers; every footnote used must
    /// have a legend line for its document (possibly with empty text); the `footnotes`
    /// column must list exactly the markers of the row's cells and label.
    pub fn from_csv(functional: &str, air: &str, footnotes: &str) -> Result<Rights> {
        let notes = parse_footnotes(footnotes)?;
        let mut rights = Rights {
            rows: Vec::new(),
            cells: Vec::new(),
            label_footnotes: Vec::new(),
            footnotes: notes,
            direct_document: String::new(),
            air_document: String::new(),
        };
        rights.direct_document = rights.load_table("functional-rights.csv", functional, false)?;
        rights.air_document = rights.load_table("air-rights.csv", air, true)?;
        Ok(rights)
    }

    fn load_table(&mut self, src: &str, text: &str, air: bool) -> Result<String> {
        let table = crate::csv::parse(src, text)?;
        let col = |name: &str| table.column(src, name);
        let c_doc = col("document")?;
        let c_order = col("row_order")?;
        let c_section = col("section")?;
        let c_tr = col("transaction")?;
        let c_parent = col("parent_transaction")?;
        let c_plabel = col("parent_label")?;
        let c_label = col("right_label")?;
        let c_profile = col("profile_id")?;
        let c_modes = [
            col("normal")?,
            col("regulation")?,
            col("bris_de_glace")?,
            col("sans_objet")?,
        ];
        let c_notes = col("footnotes")?;
        let c_marking = col("source_marking")?;

        let first_row = self.rows.len();
        let mut document: Option<String> = None;
        let mut by_order: HashMap<u32, (usize, usize)> = HashMap::new();
        for (line, rec) in &table.rows {
            let line = *line;
            let get = |i: usize| rec.get(i).map(String::as_str).unwrap_or("").trim();
            let err = |msg: String| Error::data(src, line, msg);

            let doc = get(c_doc);
            if doc.is_empty() {
                return Err(err("column `document`: empty".into()));
            }
            match &document {
                None => document = Some(doc.to_owned()),
                Some(d) if d != doc => {
                    return Err(err(format!(
                        "column `document`: {doc:?}, but earlier lines say {d:?}"
                    )))
                }
                Some(_) => {}
            }
            let order: u32 = get(c_order).parse().map_err(|_| {
                err(format!(
                    "column `row_order`: expected a positive integer, found {:?}",
                    get(c_order)
                ))
            })?;
            let transaction = get(c_tr);
            if transaction.is_empty() {
                return Err(err("column `transaction`: empty".into()));
            }
            let profile = Profile::from_id(get(c_profile))
                .filter(|p| p.is_air() == air)
                .ok_or_else(|| {
                    err(format!(
                        "column `profile_id`: not a profile of this table: {:?}",
                        get(c_profile)
                    ))
                })?;
            let opt = |s: &str| (!s.is_empty()).then(|| s.to_owned());
            let row = RightRow {
                document: doc.to_owned(),
                row_order: order,
                section: get(c_section).to_owned(),
                transaction: transaction.to_owned(),
                parent_transaction: opt(get(c_parent)),
                parent_label: opt(get(c_plabel)),
                label: get(c_label).to_owned(),
                withdrawn: get(c_marking).contains("struck through"),
            };
            let label_marks = label_markers(&row.label);

            let mut marks: ProfileCells = [None, None, None, None];
            let mut used: Vec<String> = label_marks.clone();
            for (k, &c) in c_modes.iter().enumerate() {
                let raw = get(c);
                let mark = parse_cell(raw).map_err(|m| {
                    err(format!(
                        "column `{}`: {m}, found {raw:?}",
                        ModeColumn::ALL[k].column_name()
                    ))
                })?;
                if let Some(m) = &mark {
                    for f in &m.footnotes {
                        if !used.contains(f) {
                            used.push(f.clone());
                        }
                    }
                }
                marks[k] = mark;
            }
            let mut listed: Vec<String> = get(c_notes)
                .split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            listed.sort();
            let mut found = used.clone();
            found.sort();
            if listed != found {
                return Err(err(format!(
                    "column `footnotes`: lists {:?} but the cells and label carry {:?}",
                    get(c_notes),
                    found.join(";")
                )));
            }
            for f in &used {
                if !self.footnotes.contains_key(&(doc.to_owned(), f.clone())) {
                    return Err(err(format!(
                        "footnote ({f}) has no line for document {doc:?} in footnotes.csv"
                    )));
                }
            }

            let ri = match by_order.get(&order) {
                Some(&(ri, first_line)) => {
                    let first = &mut self.rows[ri];
                    if first.section != row.section
                        || first.transaction != row.transaction
                        || first.parent_transaction != row.parent_transaction
                        || first.parent_label != row.parent_label
                        || first.label != row.label
                    {
                        return Err(err(format!(
                            "row_order {order}: section, transaction or labels differ from \
                             line {first_line}"
                        )));
                    }
                    first.withdrawn |= row.withdrawn;
                    ri
                }
                None => {
                    self.rows.push(row);
                    self.cells.push(Default::default());
                    self.label_footnotes.push(label_marks);
                    let ri = self.rows.len() - 1;
                    by_order.insert(order, (ri, line));
                    ri
                }
            };
            let slot = &mut self.cells[ri][profile.index()];
            if slot.is_some() {
                return Err(err(format!(
                    "row_order {order}: second line for profile {}",
                    profile.id()
                )));
            }
            *slot = Some(marks);
        }
        let Some(document) = document else {
            return Err(Error::data(src, 1, "no data line"));
        };
        for ri in first_row..self.rows.len() {
            for p in Profile::ALL.into_iter().filter(|p| p.is_air() == air) {
                if self.cells[ri][p.index()].is_none() {
                    return Err(Error::data(
                        src,
                        0,
                        format!(
                            "row_order {}: no line for profile {}",
                            self.rows[ri].row_order,
                            p.id()
                        ),
                    ));
                }
            }
        }
        Ok(document)
    }

    /// Every printed row of both tables: PDT-INF-526 first, then PDT-INF-606, in printed order.
    pub fn rows(&self) -> &[RightRow] {
        &self.rows
    }

    /// The document that applies to an authentication mode (`PDT-INF-606 v1.3` for AIR,
    /// `PDT-INF-526 v1.8` otherwise, for the embedded tables).
    pub fn document_for(&self, auth: Authentication) -> &str {
        match auth {
            Authentication::Air => &self.air_document,
            _ => &self.direct_document,
        }
    }

    /// A footnote of a document (`number` is `1`…`11` or `*`).
    pub fn footnote(&self, document: &str, number: &str) -> Option<&Footnote> {
        self.footnotes
            .get(&(document.to_owned(), number.to_owned()))
    }

    /// One decision per printed row of `transaction` (rows whose transaction or group
    /// transaction is `transaction`, so `TD3.3` gives TD3.3a…d) in the document of `auth`.
    /// Empty when the document has no such transaction. When the login has no column
    /// ([`Profile::for_login`] fails), every row is [`Permission::NotApplicable`].
    pub fn decide(
        &self,
        auth: Authentication,
        actor: Actor,
        mode: AccessMode,
        transaction: &str,
    ) -> Vec<RightDecision> {
        let document = self.document_for(auth);
        let profile = Profile::for_login(auth, actor).ok();
        self.rows
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                r.document == document
                    && (r.transaction == transaction
                        || r.parent_transaction.as_deref() == Some(transaction))
            })
            .map(|(ri, r)| self.decide_row(ri, r, profile, mode))
            .collect()
    }

    fn decide_row(
        &self,
        ri: usize,
        row: &RightRow,
        profile: Option<Profile>,
        mode: AccessMode,
    ) -> RightDecision {
        let column = profile.map(|p| p.column(mode));
        let mark = match (profile, column) {
            (Some(p), Some(c)) => self
                .cells
                .get(ri)
                .and_then(|cells| cells[p.index()].as_ref())
                .and_then(|marks| marks[ModeColumn::ALL.iter().position(|&x| x == c)?].as_ref()),
            _ => None,
        };
        let mut numbers: Vec<&str> = Vec::new();
        if let Some(m) = mark {
            numbers.extend(m.footnotes.iter().map(String::as_str));
        }
        if let Some(l) = self.label_footnotes.get(ri) {
            for n in l {
                if !numbers.contains(&n.as_str()) {
                    numbers.push(n);
                }
            }
        }
        let footnotes = numbers
            .into_iter()
            .map(|n| {
                self.footnote(&row.document, n)
                    .cloned()
                    .unwrap_or_else(|| Footnote {
                        number: n.to_owned(),
                        text: None,
                        note: Some("no legend line for this footnote".into()),
                    })
            })
            .collect();
        RightDecision {
            document: row.document.clone(),
            transaction: row.transaction.clone(),
            parent_transaction: row.parent_transaction.clone(),
            label: row.label.clone(),
            permission: match mark {
                Some(m) if m.allowed => Permission::Allowed,
                Some(_) => Permission::Denied,
                None => Permission::NotApplicable,
            },
            footnotes,
            profile,
            column: mark.and(column),
            cell: mark.map(|m| m.raw.clone()).unwrap_or_default(),
            withdrawn: row.withdrawn,
        }
    }

    /// `true` when at least one printed, non-withdrawn row of `transaction` is `oui` for this
    /// login and mode. Read [`decide`](Self::decide) for the restrictions (footnotes, other
    /// sub-rows).
    pub fn allows(
        &self,
        auth: Authentication,
        actor: Actor,
        mode: AccessMode,
        transaction: &str,
    ) -> bool {
        self.decide(auth, actor, mode, transaction)
            .iter()
            .any(|d| !d.withdrawn && d.permission == Permission::Allowed)
    }

    /// The transaction codes (most specific, as printed, e.g. `TD3.3c`) with at least one
    /// non-withdrawn `oui` row for this login and mode, in printed order, without repeats.
    pub fn allowed_transactions(
        &self,
        auth: Authentication,
        actor: Actor,
        mode: AccessMode,
    ) -> Vec<String> {
        let document = self.document_for(auth);
        let profile = Profile::for_login(auth, actor).ok();
        let mut out: Vec<String> = Vec::new();
        for (ri, row) in self.rows.iter().enumerate() {
            if row.document != document || row.withdrawn || out.contains(&row.transaction) {
                continue;
            }
            if self.decide_row(ri, row, profile, mode).permission == Permission::Allowed {
                out.push(row.transaction.clone());
            }
        }
        out
    }
}

/// `""` → not applicable; `oui` / `non` followed by optional `(n)` markers.
fn parse_cell(raw: &str) -> std::result::Result<Option<Mark>, &'static str> {
    if raw.is_empty() {
        return Ok(None);
    }
    let (word, rest) = match raw.find(char::is_whitespace) {
        Some(i) => (&raw[..i], raw[i..].trim()),
        None => (raw, ""),
    };
    let allowed = match word {
        "oui" => true,
        "non" => false,
        _ => return Err("expected empty, `oui` or `non` with optional `(n)` footnotes"),
    };
    let mut footnotes = Vec::new();
    for tok in rest.split_whitespace() {
        let inner = tok
            .strip_prefix('(')
            .and_then(|t| t.strip_suffix(')'))
            .filter(|t| !t.is_empty() && (t.chars().all(|c| c.is_ascii_digit()) || *t == "*"))
            .ok_or("expected footnote markers like `(4)` after `oui`/`non`")?;
        footnotes.push(inner.to_owned());
    }
    Ok(Some(Mark {
        allowed,
        footnotes,
        raw: raw.to_owned(),
    }))
}

/// Footnote markers printed in a row label: `(n)` anywhere, `*` at the end.
fn label_markers(label: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = label;
    while let Some(open) = rest.find('(') {
        let after = &rest[open + 1..];
        match after.find(')') {
            Some(close) => {
                let inner = &after[..close];
                if !inner.is_empty() && inner.chars().all(|c| c.is_ascii_digit()) {
                    out.push(inner.to_owned());
                }
                rest = &after[close + 1..];
            }
            None => break,
        }
    }
    if label.trim_end().ends_with('*') {
        out.push("*".to_owned());
    }
    out
}

fn parse_footnotes(text: &str) -> Result<HashMap<(String, String), Footnote>> {
    const SRC: &str = "footnotes.csv";
    let table = crate::csv::parse(SRC, text)?;
    let c_doc = table.column(SRC, "document")?;
    let c_num = table.column(SRC, "number")?;
    let c_text = table.column(SRC, "text")?;
    let c_status = table.column(SRC, "status")?;
    let mut out = HashMap::new();
    for (line, rec) in &table.rows {
        let get = |i: usize| rec.get(i).map(String::as_str).unwrap_or("").trim();
        let (doc, num) = (get(c_doc), get(c_num));
        if doc.is_empty() || num.is_empty() {
            return Err(Error::data(
                SRC,
                *line,
                "columns `document` and `number` must not be empty",
            ));
        }
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        let note = Footnote {
            number: num.to_owned(),
            text: opt(get(c_text)),
            note: opt(get(c_status)),
        };
        if out.insert((doc.to_owned(), num.to_owned()), note).is_some() {
            return Err(Error::data(
                SRC,
                *line,
                format!("footnote ({num}) of {doc:?} given twice"),
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_parse() {
        assert_eq!(parse_cell("").unwrap(), None);
        let m = parse_cell("oui (8)").unwrap().unwrap();
        assert!(m.allowed);
        assert_eq!(m.footnotes, vec!["8"]);
        assert!(!parse_cell("non").unwrap().unwrap().allowed);
        assert!(parse_cell("yes").is_err());
        assert!(parse_cell("oui 8").is_err());
        assert!(parse_cell("oui ()").is_err());
    }

    #[test]
    fn label_markers_found() {
        assert_eq!(
            label_markers("Acquisition de l’identité du patient (11)"),
            ["11"]
        );
        assert_eq!(label_markers("Supprimer un document *"), ["*"]);
        assert!(label_markers("Documents obsolètes (anciennes versions)").is_empty());
    }

    #[test]
    fn tables_validate() {
        let r = Rights::embedded().unwrap();
        assert_eq!(r.rows().len(), 27 + 25);
        // A footnote without legend line is refused.
        let bad_notes = FOOTNOTES_CSV.replace("PDT-INF-526 v1.8,9,", "PDT-INF-526 v1.8,99,");
        let e = Rights::from_csv(FUNCTIONAL_CSV, AIR_CSV, &bad_notes).unwrap_err();
        assert!(e.to_string().contains("footnote (9)"), "{e}");
        // A bad cell names line and column.
        let bad = FUNCTIONAL_CSV.replacen("oui (4)", "peut-être", 1);
        let e = Rights::from_csv(&bad, AIR_CSV, FOOTNOTES_CSV).unwrap_err();
        assert!(e.to_string().contains("peut-être"), "{e}");
    }
}
