//! Habilitation: who may consult which DMP document type, and which DMP transactions a
//! user may run depending on how they log in.
//!
//! Two independent tables live here:
//!
//! - [`matrix`]: the **consultation matrix** (*matrice d'habilitation*, annex of the arrêté
//!   du 26 octobre 2023). It says whether a professional of a given row (a profession, or
//!   for social and medico-social staff a *function*) may read a document of a given type
//!   (XDS `typeCode`). The official annex is not published as data: the embedded default is
//!   a provisional reconstruction in which every cell carries its status and source, and an
//!   official table can replace it at run time ([`Matrix::from_csv`], [`Matrix::from_json`]).
//! - [`rights`]: the **functional rights** (GIE SESAM-Vitale PDT-INF-526 v1.8 and
//!   PDT-INF-606 v1.3): which transactions (TD0.2 existence test, TD2.1 feeding, TD3.2
//!   consultation…) are open to an authentication mode × actor × access mode.
//!
//! - [`report`]: the "professionnels concernés" staff report built on both.
//!
//! Both are **explanatory and for pre-filtering only**: the DMP server applies them and
//! decides. Use them to grey out actions, to explain a refusal or why a document is not
//! visible, and to produce the "professionnels concernés" staff information; never treat a
//! local "allowed" as a guarantee, nor as a security control.

pub mod matrix;
pub mod report;
pub mod rights;

pub use matrix::{
    Basis, Cell, CellStatus, Decision, DocumentType, Matrix, MatrixData, MatrixInfo, MatrixRow,
    Outcome, Provenance, Reader, RowKind, Settings, Verdict,
};
pub use report::{
    ConsultStatus, ConsultVerdict, FeedVerdict, ReadableType, StaffEntry, StaffList, StaffReport,
    StaffSummary,
};
pub use rights::{
    AccessMode, Actor, Authentication, Footnote, ModeColumn, Permission, Profile, RightDecision,
    RightRow, Rights,
};
