//! The usager's side of the DMP, which no LPS transaction reaches: what the usager (or, for a
//! minor, a legal representative) sees in Mon espace santé, and the usager masking a
//! document to professionals from there. A stand-in for Mon espace santé, so that tests and
//! the use-case scenarios can show the DMP honouring the visibility flags
//! (`INVISIBLE_PATIENT`, `INVISIBLE_REPRESENTANTS_LEGAUX`) and the usager's own masking
//! (`MASQUE_PS`, then hidden from every professional but the submitting structure, as for
//! TD3.3a).

use chrono::Utc;
use dmp_core::xds::answer::{submit_objects_xml, submitted_objects};
use dmp_core::xds::Visibility;
use rusqlite::Connection;

use crate::error::SandboxError;
use crate::store::{self, AccessRow, DocumentRow, Store};

/// Who looks at a DMP from the usager's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsagerViewer {
    /// The usager themself.
    Usager,
    /// A legal representative of a minor (a parent, a guardian).
    LegalRepresentative,
}

impl UsagerViewer {
    /// Whether this viewer sees `row`: a current version (approved or archived), not hidden
    /// from the usager (a document waiting for its announcement is hidden from the usager's
    /// representatives too), and, for a legal representative, not hidden from them.
    fn sees(self, row: &DocumentRow) -> bool {
        let current = row.status == "approved" || row.status == "archived";
        let hidden = row.invisible_patient
            || (self == UsagerViewer::LegalRepresentative && row.invisible_representants_legaux);
        current && !hidden
    }
}

/// The access-log mode of an action from the usager's side.
const MODE: &str = "Mon espace santé";

impl Store {
    /// The documents of `ins` that `viewer` sees in Mon espace santé, oldest first.
    pub fn usager_view(
        &self,
        ins: &str,
        viewer: UsagerViewer,
    ) -> Result<Vec<DocumentRow>, SandboxError> {
        let rows = self.documents(ins)?;
        Ok(rows.into_iter().filter(|r| viewer.sees(r)).collect())
    }

    /// The usager masks (`masked`) or unmasks the document `unique_id` of their DMP `ins` to
    /// professionals, from Mon espace santé: the current version's `MASQUE_PS` flag and its
    /// stored entry change (TD3.1 then answers the new confidentiality codes), and the access
    /// log says so. Returns the updated row. Errors: no such current document in this DMP,
    /// or nothing to change.
    pub fn mask_by_usager(
        &self,
        ins: &str,
        unique_id: &str,
        masked: bool,
    ) -> Result<DocumentRow, SandboxError> {
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(|e| self.fail(e))?;
        let row = mask(&tx, ins, unique_id, masked)?;
        tx.commit().map_err(|e| self.fail(e))?;
        Ok(row)
    }
}

fn refused(message: String) -> SandboxError {
    SandboxError::UsagerSide(message)
}

fn mask(
    conn: &Connection,
    ins: &str,
    unique_id: &str,
    masked: bool,
) -> Result<DocumentRow, SandboxError> {
    let internal = |e: &dyn std::fmt::Display| refused(format!("store: {e}"));
    let doc = store::stored_document(conn, unique_id)
        .map_err(|e| internal(&e))?
        .filter(|d| d.row.ins == ins && UsagerViewer::Usager.sees(&d.row))
        .ok_or_else(|| {
            refused(format!(
                "the DMP of {ins} shows its usager no document {unique_id} to mask"
            ))
        })?;
    let mut entry = submitted_objects(&doc.entry_xml)
        .map_err(|e| internal(&e))?
        .into_iter()
        .next()
        .ok_or_else(|| refused(format!("document {unique_id} has no stored entry")))?;
    Visibility {
        masked_to_professionals: Some(masked),
        ..Visibility::default()
    }
    .apply_to(&mut entry)
    .map_err(|e| refused(format!("document {unique_id}: {e}")))?;
    let entry_xml = submit_objects_xml(std::slice::from_ref(&entry)).map_err(|e| internal(&e))?;
    let r = &doc.row;
    store::set_visibility(
        conn,
        &r.entry_uuid,
        masked,
        r.invisible_patient,
        r.invisible_representants_legaux,
        &entry_xml,
    )
    .map_err(|e| internal(&e))?;
    store::log_access(
        conn,
        &AccessRow {
            at: Utc::now().to_rfc3339(),
            who: "usager".to_owned(),
            structure: String::new(),
            mode: MODE.to_owned(),
            transaction: if masked {
                "masquage par l'usager".to_owned()
            } else {
                "démasquage par l'usager".to_owned()
            },
            ins: ins.to_owned(),
            outcome: "OK".to_owned(),
            bris_de_glace: false,
        },
    )
    .map_err(|e| internal(&e))?;
    Ok(DocumentRow {
        masque_ps: masked,
        ..doc.row
    })
}
