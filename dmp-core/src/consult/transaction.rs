//! What a consultation or management request does: one [`Transaction`] value per DMP
//! transaction, its functional-rights row, its WS-Addressing action, and its SOAP body.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::actor::{ActorProfile, AuthMode};
use crate::authorization::{AuthorizationAction, DateType, PatientListQuery};
use crate::error::{Error, Result};
use crate::feed::IdGenerator;
use crate::hl7v3::{PatientQuery, ProcessingCode, QueryReason};
use crate::ids::Ins;
use crate::soap::action;
use crate::xds::{
    AvailabilityChange, Code, DocumentRequest, DocumentStatus, RegistryDocument, RetrieveRequest,
    ReturnType, StoredQuery, SubmissionSet, UpdateRequest, Visibility, XdsAuthor,
};

use super::RULE_OWN_DOCUMENT;

/// The transaction of a request, with its arguments. In JSON: `{"kind": "search", …}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Transaction {
    /// TD0.2: does the usager have a DMP, and may we use it.
    Status {
        /// The usager.
        ins: Ins,
    },
    /// TD3.1 metadata search (FindDocuments, FindSubmissionSets, GetSubmissionSetAndContents):
    /// a consultation, so it needs the consent.
    Search {
        /// The usager (the VIHF resource-id; must be the query's patient).
        ins: Ins,
        /// The stored query.
        query: StoredQuery,
    },
    /// TD3.1 reference search (GetDocuments by uniqueId or entryUUID): the current entry of a
    /// document to replace, mask, archive or delete.
    Reference {
        /// The usager.
        ins: Ins,
        /// The stored query (GetDocuments).
        query: StoredQuery,
    },
    /// TD3.2: retrieve documents (MTOM request and response). JSON kind `retrieve` (or `get`,
    /// as the CLI names it).
    #[serde(alias = "get")]
    Retrieve {
        /// The usager.
        ins: Ins,
        /// The documents, as TD3.1 returned them.
        documents: Vec<DocumentRequest>,
    },
    /// TD3.3a: mask a document to professionals.
    Mask(EntryArgs),
    /// TD3.3a: unmask a document to professionals.
    Unmask(EntryArgs),
    /// TD3.3b: visibility to the usager and to the legal representatives.
    Visibility {
        /// The entry.
        #[serde(flatten)]
        entry: EntryArgs,
        /// Visible to the usager (`None`: unchanged).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        patient: Option<bool>,
        /// Visible to the legal representatives (`None`: unchanged).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        legal_representatives: Option<bool>,
    },
    /// TD3.3d: archive a document.
    Archive(EntryArgs),
    /// TD3.3d: unarchive a document.
    Unarchive(EntryArgs),
    /// TD3.3c: delete a document.
    Delete(EntryArgs),
    /// TD0.3: declare oneself authorised, or remove the authorisation (direct mode).
    Authorize {
        /// The usager.
        ins: Ins,
        /// What to do.
        action: AuthorizationAction,
    },
    /// TD0.4: the DMPs the user is authorised on, changed since a date.
    AuthorizedList {
        /// The usager named by the VIHF (every official request names one).
        ins: Ins,
        /// Since when (UTC).
        since: DateTime<Utc>,
        /// Which date `since` is compared with (default `last_doc`; with the establishment
        /// certificate only `last_authorization`).
        #[serde(default = "last_doc")]
        date_type: DateType,
    },
}

fn last_doc() -> DateType {
    DateType::LastDoc
}

/// The arguments of a metadata update: the usager, the document's uniqueId, and its current
/// entry (from a TD3.1 response: [`EntryArgs::resolve`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryArgs {
    /// The usager.
    pub ins: Ins,
    /// The document's uniqueId.
    pub unique_id: String,
    /// The SubmissionSet contentTypeCode of the update (default the official samples' `04`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type_code: Option<crate::feed::CodeValue>,
    /// The current entry, as TD3.1 returned it (set by [`EntryArgs::resolve`]).
    #[serde(skip)]
    pub entry: Option<RegistryDocument>,
}

impl EntryArgs {
    /// Finds the current entry of [`EntryArgs::unique_id`] in a TD3.1 response (the approved
    /// or archived version; a deprecated one only if nothing newer is there). The response
    /// may be the SOAP envelope alone or the whole HTTP response, as the transport gives it.
    pub fn resolve(&mut self, search_response: &[u8]) -> Result<()> {
        let not_td31 = |why: String| {
            Error::invalid(
                "search_response",
                format!("not a TD3.1 response: {why}"),
                "",
            )
        };
        let r = match super::parse_message(search_response).map_err(|e| not_td31(e.to_string()))? {
            super::Response::Search(r) => r,
            other => return Err(not_td31(format!("a {} answer", other.transaction()))),
        };
        let mut found: Vec<&RegistryDocument> = r
            .documents
            .iter()
            .filter(|d| d.unique_id == self.unique_id)
            .collect();
        found.sort_by_key(|d| d.status == DocumentStatus::Deprecated);
        let entry = found.first().ok_or_else(|| {
            Error::invalid(
                "unique_id",
                "no entry with this uniqueId in the TD3.1 response: search the DMP first",
                &self.unique_id,
            )
        })?;
        self.entry = Some((*entry).clone());
        Ok(())
    }

    fn entry(&self) -> Result<&RegistryDocument> {
        self.entry.as_ref().ok_or_else(|| {
            Error::invalid(
                "unique_id",
                "the document's current metadata is needed: give the TD3.1 response that holds \
                 it (--search-response)",
                &self.unique_id,
            )
        })
    }
}

fn query_name(q: &StoredQuery) -> &'static str {
    match q {
        StoredQuery::FindDocuments(_) => "find_documents",
        StoredQuery::GetDocuments { .. } => "get_documents",
        StoredQuery::FindSubmissionSets(_) => "find_submission_sets",
        StoredQuery::GetSubmissionSetAndContents { .. } => "get_submission_set_and_contents",
    }
}

/// The kind of a [`Transaction`], with its static facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransactionKind {
    /// TD0.2.
    Status,
    /// TD3.1 metadata search.
    Search,
    /// TD3.1 reference search.
    Reference,
    /// TD3.2.
    Retrieve,
    /// TD3.3a mask.
    Mask,
    /// TD3.3a unmask.
    Unmask,
    /// TD3.3b.
    Visibility,
    /// TD3.3d archive.
    Archive,
    /// TD3.3d unarchive.
    Unarchive,
    /// TD3.3c.
    Delete,
    /// TD0.3.
    Authorize(AuthorizationAction),
    /// TD0.4.
    AuthorizedList,
}

impl TransactionKind {
    /// The transaction code (`TD3.1`…).
    pub fn code(self) -> &'static str {
        self.rights_row().0
    }

    /// The kind as the CLI and JSON name it (`status`, `search`…).
    pub fn name(self) -> &'static str {
        match self {
            TransactionKind::Status => "status",
            TransactionKind::Search => "search",
            TransactionKind::Reference => "reference",
            TransactionKind::Retrieve => "retrieve",
            TransactionKind::Mask => "mask",
            TransactionKind::Unmask => "unmask",
            TransactionKind::Visibility => "visibility",
            TransactionKind::Archive => "archive",
            TransactionKind::Unarchive => "unarchive",
            TransactionKind::Delete => "delete",
            TransactionKind::Authorize(_) => "authorize",
            TransactionKind::AuthorizedList => "authorized_list",
        }
    }

    /// The row of the functional-rights tables: transaction and, where the transaction has
    /// several rows, the row's label as printed.
    pub fn rights_row(self) -> (&'static str, Option<&'static str>) {
        match self {
            TransactionKind::Status => ("TD0.2", None),
            TransactionKind::Search => ("TD3.1", Some("Rechercher les métadonnées")),
            TransactionKind::Reference => ("TD3.1", Some("Rechercher la référence d'un document")),
            TransactionKind::Retrieve => ("TD3.2", Some("Documents non masqués aux PS")),
            TransactionKind::Mask => ("TD3.3a", Some("Masquer un document aux PS")),
            TransactionKind::Unmask => ("TD3.3a", Some("Démasquer un document aux PS")),
            TransactionKind::Visibility => {
                ("TD3.3b", Some("Rendre un document visible au patient"))
            }
            TransactionKind::Archive => ("TD3.3d", Some("Archiver un document *")),
            TransactionKind::Unarchive => ("TD3.3d", Some("Désarchiver un document *")),
            TransactionKind::Delete => ("TD3.3c", Some("Supprimer un document *")),
            TransactionKind::Authorize(a) => (
                "TD0.3",
                Some(match a {
                    AuthorizationAction::Add => "Se déclarer autorisé",
                    AuthorizationAction::Remove => "Supprimer son autorisation",
                    AuthorizationAction::RemoveAsMedecinTraitant => "Se supprimer MT",
                }),
            ),
            TransactionKind::AuthorizedList => ("TD0.4", None),
        }
    }

    /// The WS-Addressing action.
    pub fn action(self) -> &'static str {
        match self {
            TransactionKind::Status => action::PRPA_IN201307UV02,
            TransactionKind::Search | TransactionKind::Reference => action::REGISTRY_STORED_QUERY,
            TransactionKind::Retrieve => action::RETRIEVE_DOCUMENT_SET,
            TransactionKind::Mask
            | TransactionKind::Unmask
            | TransactionKind::Visibility
            | TransactionKind::Archive
            | TransactionKind::Unarchive
            | TransactionKind::Delete => action::UPDATE_DOCUMENT_SET,
            TransactionKind::Authorize(_) => action::SET_AUTHORIZATION,
            TransactionKind::AuthorizedList => action::PATIENT_LIST,
        }
    }

    /// A consultation of the usager's documents: needs the consent.
    pub fn is_consultation(self) -> bool {
        matches!(self, TransactionKind::Search | TransactionKind::Retrieve)
    }

    /// Sent as MTOM (ITI-43).
    pub fn is_mtom(self) -> bool {
        self == TransactionKind::Retrieve
    }
}

impl Transaction {
    /// The kind.
    pub fn kind(&self) -> TransactionKind {
        match self {
            Transaction::Status { .. } => TransactionKind::Status,
            Transaction::Search { .. } => TransactionKind::Search,
            Transaction::Reference { .. } => TransactionKind::Reference,
            Transaction::Retrieve { .. } => TransactionKind::Retrieve,
            Transaction::Mask(_) => TransactionKind::Mask,
            Transaction::Unmask(_) => TransactionKind::Unmask,
            Transaction::Visibility { .. } => TransactionKind::Visibility,
            Transaction::Archive(_) => TransactionKind::Archive,
            Transaction::Unarchive(_) => TransactionKind::Unarchive,
            Transaction::Delete(_) => TransactionKind::Delete,
            Transaction::Authorize { action, .. } => TransactionKind::Authorize(*action),
            Transaction::AuthorizedList { .. } => TransactionKind::AuthorizedList,
        }
    }

    /// The usager.
    pub fn patient(&self) -> &Ins {
        match self {
            Transaction::Status { ins }
            | Transaction::Search { ins, .. }
            | Transaction::Reference { ins, .. }
            | Transaction::Retrieve { ins, .. }
            | Transaction::Authorize { ins, .. }
            | Transaction::AuthorizedList { ins, .. } => ins,
            Transaction::Mask(e)
            | Transaction::Unmask(e)
            | Transaction::Archive(e)
            | Transaction::Unarchive(e)
            | Transaction::Delete(e)
            | Transaction::Visibility { entry: e, .. } => &e.ins,
        }
    }

    /// The entry arguments of a metadata update.
    pub fn entry_args(&self) -> Option<&EntryArgs> {
        match self {
            Transaction::Mask(e)
            | Transaction::Unmask(e)
            | Transaction::Archive(e)
            | Transaction::Unarchive(e)
            | Transaction::Delete(e)
            | Transaction::Visibility { entry: e, .. } => Some(e),
            _ => None,
        }
    }

    /// The entry arguments of a metadata update, to resolve them.
    pub fn entry_args_mut(&mut self) -> Option<&mut EntryArgs> {
        match self {
            Transaction::Mask(e)
            | Transaction::Unmask(e)
            | Transaction::Archive(e)
            | Transaction::Unarchive(e)
            | Transaction::Delete(e)
            | Transaction::Visibility { entry: e, .. } => Some(e),
            _ => None,
        }
    }

    /// Checks of the arguments against the actor that need no building: the query's patient
    /// is the usager of the VIHF; a GetDocuments for `get`, another query for `search`;
    /// delete with the establishment certificate only for the structure's own document.
    pub(crate) fn check_for(&self, actor: &ActorProfile) -> Result<()> {
        match self {
            Transaction::Search { ins, query } | Transaction::Reference { ins, query } => {
                let get = matches!(query, StoredQuery::GetDocuments { .. });
                if get != matches!(self, Transaction::Reference { .. }) {
                    return Err(Error::invalid(
                        "transaction.query",
                        "kind reference takes a GetDocuments query (a reference search); kind search \
                         takes the other stored queries (a metadata search)",
                        query_name(query),
                    ));
                }
                let patient = match query {
                    StoredQuery::FindDocuments(q) => Some(&q.patient),
                    StoredQuery::FindSubmissionSets(q) => Some(&q.patient),
                    _ => None,
                };
                if let Some(p) = patient.filter(|p| *p != ins) {
                    return Err(Error::invalid(
                        "transaction.query.patient",
                        "the query's patient must be the usager the VIHF names (else the DMP \
                         answers XDSPatientIdDoesNotMatch)",
                        p.to_cx(),
                    ));
                }
            }
            Transaction::AuthorizedList {
                date_type: DateType::LastDoc,
                ..
            } if actor.mode == AuthMode::Indirecte => {
                return Err(Error::invalid(
                    "transaction.date_type",
                    "with the establishment certificate TD0.4 is limited to the new \
                     authorisations by date (PDT-INF-526 footnote 3): use last_authorization",
                    "last_doc",
                ));
            }
            Transaction::Delete(e) if actor.mode == AuthMode::Indirecte => {
                if let Some(entry) = &e.entry {
                    let finess = actor.structure.finess.struct_idnat();
                    let ours = entry
                        .authors
                        .iter()
                        .flat_map(|a| a.institutions.iter())
                        .any(|xon| xon.rsplit('^').next() == Some(finess.as_str()));
                    if !ours {
                        return Err(Error::invalid(
                            "transaction.unique_id",
                            RULE_OWN_DOCUMENT,
                            &e.unique_id,
                        ));
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The SOAP body of the transaction.
    pub(crate) fn body(
        &self,
        actor: &ActorProfile,
        now: DateTime<Utc>,
        ids: &mut IdGenerator,
    ) -> Result<Vec<u8>> {
        match self {
            Transaction::Status { ins } => PatientQuery {
                ins: ins.clone(),
                reason: QueryReason::TestExistence,
                message_id: ids.uuid().hyphenated().to_string(),
                query_id: ids.uuid().hyphenated().to_string(),
                sender: actor.source_id.clone(),
                software_name: actor.lps.nom.clone(),
                creation_time: now,
                processing_code: ProcessingCode::Production,
            }
            .to_xml(),
            Transaction::Search { query, .. } | Transaction::Reference { query, .. } => {
                query.to_xml(ReturnType::LeafClass)
            }
            Transaction::Retrieve { documents, .. } => {
                RetrieveRequest::new(documents.clone()).to_xml()
            }
            Transaction::Authorize { action, .. } => {
                crate::authorization::set_authorization_xml(*action)
            }
            Transaction::AuthorizedList {
                since, date_type, ..
            } => PatientListQuery {
                start_date: *since,
                date_type: *date_type,
            }
            .to_xml(),
            update => {
                let args = update.entry_args().ok_or_else(|| {
                    Error::invalid("transaction", "not a metadata update", update.kind().name())
                })?;
                let entry = args.entry()?;
                let content_type = args
                    .content_type_code
                    .as_ref()
                    .map_or_else(Code::dmp_sample_content_type, |c| {
                        Code::new(&c.code, &c.display, &c.scheme)
                    });
                let submission_set = SubmissionSet::from_parts(
                    "SubmissionSet01",
                    XdsAuthor::from_person(&actor.user, &actor.structure)
                        .map_err(|e| e.at("actor"))?,
                    args.ins.clone(),
                    actor.source_id.clone(),
                    ids.oid(),
                    now,
                    content_type,
                )?;
                let availability =
                    |change| UpdateRequest::availability(submission_set.clone(), entry, change);
                let mut visibility = |v: Visibility| {
                    UpdateRequest::visibility(submission_set.clone(), entry, &v, &ids.urn_uuid())
                };
                let request = match update {
                    Transaction::Archive(_) => availability(AvailabilityChange::Archive)?,
                    Transaction::Unarchive(_) => availability(AvailabilityChange::Unarchive)?,
                    Transaction::Delete(_) => availability(AvailabilityChange::Delete)?,
                    Transaction::Mask(_) => visibility(Visibility {
                        masked_to_professionals: Some(true),
                        ..Visibility::default()
                    })?,
                    Transaction::Unmask(_) => visibility(Visibility {
                        masked_to_professionals: Some(false),
                        ..Visibility::default()
                    })?,
                    Transaction::Visibility {
                        patient,
                        legal_representatives,
                        ..
                    } => visibility(Visibility {
                        masked_to_professionals: None,
                        invisible_to_patient: patient.map(|v| !v),
                        invisible_to_legal_representatives: legal_representatives.map(|v| !v),
                    })?,
                    other => {
                        return Err(Error::invalid(
                            "transaction",
                            "not a metadata update",
                            other.kind().name(),
                        ))
                    }
                };
                request.to_xml()
            }
        }
    }
}
