//! XDS.b metadata for feeding the DMP (TD2.1, IHE ITI-41 Provide and Register Document
//! Set-b), and the registry's answer.
//!
//! - [`DocumentEntry::from_cda`] derives a document's metadata **from its CDA header**, so
//!   that the two can never disagree (times converted to UTC, XCN/XON/CX renderings, codes
//!   from the nomenclature tables).
//! - [`SubmissionSet`], [`SignatureEntry`] (the XAdES signature's own entry with the DMP's
//!   fixed codes) and [`Replacement`] (RPLC of an earlier version) complete the submission.
//! - [`ProvideAndRegister`] checks the submission as a whole and writes the
//!   `xdsb:ProvideAndRegisterDocumentSetRequest` element that goes into the SOAP Body, with one
//!   `xop:Include` per MIME part ([`ProvideAndRegister::to_xml`]);
//!   [`ProvideAndRegister::metadata`] gives the same content as ebRIM objects.
//! - [`RegistryResponse::parse`] reads the answer (status and every `RegistryError`, verbatim).
//! - [`RetrieveRequest`] and [`RetrieveResponse`]: TD3.2, consultation of a document (ITI-43),
//!   the MTOM response's documents borrowed from their MIME parts.
//!
//! Consultation (TD3.1, IHE ITI-18):
//!
//! - [`StoredQuery::to_xml`] writes the `query:AdhocQueryRequest` of FindDocuments,
//!   GetDocuments, FindSubmissionSets and GetSubmissionSetAndContents;
//! - [`QueryResponse::parse`] reads the `query:AdhocQueryResponse`: each entry as a
//!   [`RegistryDocument`] (every metadata, typed, and the raw [`RimObject`]), submission sets,
//!   associations, ObjectRefs and errors.
//!
//! Updates (TD3.3, IHE ITI-57): [`UpdateRequest::availability`] (archive, unarchive, delete)
//! and [`UpdateRequest::visibility`] (a new metadata version with other visibility flags),
//! both from a [`RegistryDocument`]; [`UpdateRequest::to_xml`] writes the
//! `lcm:SubmitObjectsRequest`.
//!
//! Every id is an input (entry ids, uniqueIds, Content-IDs, times): nothing here draws a
//! random number or reads the clock. The fixed URNs, UUIDs and slot names are in
//! [`vocabulary`], each defined once with its source (`docs/dmp-interface.md` §2–§3).
//!
//! Deliberate differences from the official TD2.1 example request: no CX.7 date after the INS
//! (`…^NH^^20100907`), an empty `nodeRepresentation` on author classifications (IHE), and the
//! `xdsb:Document/@id` equal to its entry's id (the example's `documentME2` does not match its
//! `DocumentME2`).
//!
//! Integration tests: xds, retrieve, registry, update.

pub mod answer;
mod metadata;
mod query;
mod registry;
mod request;
mod response;
mod retrieve;
mod rim;
mod update;
pub mod vocabulary;

/// UTC `yyyyMMddHHmmss`, the time format of XDS and of the DMP's HL7 v3 and proprietary
/// messages.
pub(crate) use metadata::xds_time;
pub use metadata::{
    parse_xds_time, Code, DocumentEntry, Replacement, SignatureEntry, SubmissionSet, XdsAuthor,
};
pub use query::{
    CodeFilter, DocumentRef, DocumentStatus, FindDocuments, FindSubmissionSets, ReturnType,
    StoredQuery, SubmissionSetRef,
};
pub use registry::{
    CodedValue, QueryResponse, RegistryAssociation, RegistryAuthor, RegistryDocument,
    RegistrySubmissionSet, QUERY_RESPONSE_LIMITS,
};
pub use request::{
    Classification, ExternalIdentifier, ObjectKind, ProvideAndRegister, RegistryObject, Slot,
};
pub use response::{RegistryError, RegistryResponse, ResponseStatus};
pub use retrieve::{DocumentRequest, RetrieveRequest, RetrieveResponse, RetrievedDocument};
pub use rim::{RimLocalizedString, RimObject, RimSlot};
pub use update::{AvailabilityChange, UpdateChange, UpdateRequest, Visibility};
