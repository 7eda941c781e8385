//! What a professional may see of a usager's documents: never a deleted one, never one
//! masked to professionals (except by the structure that sent it, which must be able to
//! unmask it), only the types the habilitation matrix lets the reader's profession read.

use dmp_core::habilitation::Outcome as MatrixOutcome;

use crate::dispatch::Context;
use crate::store::DocumentRow;

/// Why a document is not shown, or `None` when it is.
pub(crate) fn hidden(ctx: &Context<'_>, row: &DocumentRow) -> Option<&'static str> {
    if row.status == "deleted" {
        return Some("document supprimé");
    }
    if row.masque_ps && row.structure != ctx.caller.token.structure_id {
        return Some("document masqué aux professionnels de santé");
    }
    let decision = ctx
        .checker
        .matrix
        .decide(&ctx.caller.reader, &row.type_code);
    if decision.outcome != MatrixOutcome::Allowed {
        return Some("type de document non autorisé à cette profession (matrice d'habilitation)");
    }
    None
}
