//! The fixed vocabulary of XDS.b metadata for the DMP: namespaces, classification schemes,
//! external identifier schemes, object types, association types, slot names and the codes of
//! the signature entry. Each value is defined once, with where it comes from.
//!
//! Sources: `docs/dmp-interface.md` §2.1 (checked against the official TD2.1 request of the
//! DMP sample messages, the official C# kit `XDSb_CVA.cs` and DRIMbox `XDSUUID.java`), IHE ITI
//! TF-3 §4.2 (the same UUIDs), §3 for the signature entry.

// ------------------------------------------------------------------------------------------
// Namespaces (dmp-interface.md §2.1 "Namespaces (S1)").
// ------------------------------------------------------------------------------------------

/// ebRIM 3.0, prefix `rim`.
pub const NS_RIM: &str = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0";
/// ebRS 3.0 registry services (RegistryResponse), prefix `rs`.
pub const NS_RS: &str = "urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0";
/// ebRS 3.0 life-cycle manager (SubmitObjectsRequest), prefix `lcm`.
pub const NS_LCM: &str = "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0";
/// IHE XDS.b (ProvideAndRegisterDocumentSetRequest, Document), prefix `xdsb`.
pub const NS_XDSB: &str = "urn:ihe:iti:xds-b:2007";
/// XOP (MTOM attachments), prefix `xop`.
pub const NS_XOP: &str = "http://www.w3.org/2004/08/xop/include";

// ------------------------------------------------------------------------------------------
// SubmissionSet (RegistryPackage) — dmp-interface.md §2.1 table, §2.2.
// ------------------------------------------------------------------------------------------

/// `Classification/@classificationNode` that marks a RegistryPackage as a SubmissionSet.
pub const SUBMISSION_SET_NODE: &str = "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd";
/// Classification scheme of the SubmissionSet author.
pub const SS_AUTHOR: &str = "urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d";
/// Classification scheme of the SubmissionSet contentTypeCode.
pub const SS_CONTENT_TYPE_CODE: &str = "urn:uuid:aa543740-bdda-424e-8c96-df4873be8500";
/// External identifier scheme of the SubmissionSet patientId.
pub const SS_PATIENT_ID: &str = "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446";
/// External identifier scheme of the SubmissionSet sourceId.
pub const SS_SOURCE_ID: &str = "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832";
/// External identifier scheme of the SubmissionSet uniqueId.
pub const SS_UNIQUE_ID: &str = "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8";

// ------------------------------------------------------------------------------------------
// DocumentEntry (ExtrinsicObject) — dmp-interface.md §2.1 table, §2.3.
// ------------------------------------------------------------------------------------------

/// `ExtrinsicObject/@objectType` of a stable DocumentEntry.
pub const DE_OBJECT_TYPE: &str = "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1";
/// Classification scheme of the DocumentEntry author.
pub const DE_AUTHOR: &str = "urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d";
/// Classification scheme of classCode.
pub const DE_CLASS_CODE: &str = "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a";
/// Classification scheme of confidentialityCode.
pub const DE_CONFIDENTIALITY_CODE: &str = "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f";
/// Classification scheme of eventCodeList.
pub const DE_EVENT_CODE: &str = "urn:uuid:2c6b8cb7-8b2a-4051-b291-b1ae6a575ef4";
/// Classification scheme of formatCode (the `…-9fdf87b75cc4` variant seen elsewhere is a typo,
/// dmp-interface.md §2.1).
pub const DE_FORMAT_CODE: &str = "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d";
/// Classification scheme of healthcareFacilityTypeCode.
pub const DE_HEALTHCARE_FACILITY_TYPE_CODE: &str = "urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1";
/// Classification scheme of practiceSettingCode.
pub const DE_PRACTICE_SETTING_CODE: &str = "urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead";
/// Classification scheme of typeCode.
pub const DE_TYPE_CODE: &str = "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983";
/// External identifier scheme of the DocumentEntry patientId.
pub const DE_PATIENT_ID: &str = "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427";
/// External identifier scheme of the DocumentEntry uniqueId.
pub const DE_UNIQUE_ID: &str = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab";

// ------------------------------------------------------------------------------------------
// Associations — dmp-interface.md §2.1 table, §2.5, §3.
// ------------------------------------------------------------------------------------------

/// SubmissionSet → each entry it carries.
pub const ASSOC_HAS_MEMBER: &str = "urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember";
/// Signature entry → the SubmissionSet it signs (IHE DSG, §3).
pub const ASSOC_SIGNS: &str = "urn:ihe:iti:2007:AssociationType:signs";
/// New version → the entryUUID of the version it replaces (§2.5; the `2010` URN of the C# kit
/// is a typo, §7 item 14).
pub const ASSOC_RPLC: &str = "urn:ihe:iti:2007:AssociationType:RPLC";

// ------------------------------------------------------------------------------------------
// Slot names (IHE ITI TF-3 §4.2.3; as written in the official TD2.1 request).
// ------------------------------------------------------------------------------------------

/// SubmissionSet: UTC `yyyyMMddHHmmss`.
pub const SLOT_SUBMISSION_TIME: &str = "submissionTime";
/// DocumentEntry: UTC `yyyyMMddHHmmss`.
pub const SLOT_CREATION_TIME: &str = "creationTime";
/// DocumentEntry: `fr-FR` (`art` for the signature).
pub const SLOT_LANGUAGE_CODE: &str = "languageCode";
/// DocumentEntry: XCN of the responsible professional.
pub const SLOT_LEGAL_AUTHENTICATOR: &str = "legalAuthenticator";
/// DocumentEntry: UTC `yyyyMMddHHmmss`.
pub const SLOT_SERVICE_START_TIME: &str = "serviceStartTime";
/// DocumentEntry: UTC `yyyyMMddHHmmss`.
pub const SLOT_SERVICE_STOP_TIME: &str = "serviceStopTime";
/// DocumentEntry: CX of the IPP (else the INS).
pub const SLOT_SOURCE_PATIENT_ID: &str = "sourcePatientId";
/// DocumentEntry: `PID-5|…`, `PID-7|…`, `PID-8|…`.
pub const SLOT_SOURCE_PATIENT_INFO: &str = "sourcePatientInfo";
/// Author classification: XCN.
pub const SLOT_AUTHOR_PERSON: &str = "authorPerson";
/// Author classification: XON.
pub const SLOT_AUTHOR_INSTITUTION: &str = "authorInstitution";
/// Author classification: `code^display^codeSystem`.
pub const SLOT_AUTHOR_SPECIALTY: &str = "authorSpecialty";
/// Author classification: `code^display^codeSystem`.
pub const SLOT_AUTHOR_ROLE: &str = "authorRole";
/// Coded classification: the code system OID (or `URN`/`ASTM` for the signature codes).
pub const SLOT_CODING_SCHEME: &str = "codingScheme";
/// HasMember association from the SubmissionSet.
pub const SLOT_SUBMISSION_SET_STATUS: &str = "SubmissionSetStatus";
/// Value of [`SLOT_SUBMISSION_SET_STATUS`] for an entry submitted with the set.
pub const SUBMISSION_SET_STATUS_ORIGINAL: &str = "Original";

// ------------------------------------------------------------------------------------------
// ExternalIdentifier names (as in the official TD2.1 request).
// ------------------------------------------------------------------------------------------

/// Name of the SubmissionSet patientId external identifier.
pub const NAME_SS_PATIENT_ID: &str = "XDSSubmissionSet.patientId";
/// Name of the SubmissionSet sourceId external identifier.
pub const NAME_SS_SOURCE_ID: &str = "XDSSubmissionSet.sourceId";
/// Name of the SubmissionSet uniqueId external identifier.
pub const NAME_SS_UNIQUE_ID: &str = "XDSSubmissionSet.uniqueId";
/// Name of the DocumentEntry patientId external identifier.
pub const NAME_DE_PATIENT_ID: &str = "XDSDocumentEntry.patientId";
/// Name of the DocumentEntry uniqueId external identifier.
pub const NAME_DE_UNIQUE_ID: &str = "XDSDocumentEntry.uniqueId";

// ------------------------------------------------------------------------------------------
// Fixed values.
// ------------------------------------------------------------------------------------------

/// `ExtrinsicObject/@mimeType` of a CDA and of the XAdES signature (official TD2.1 request).
pub const MIME_TEXT_XML: &str = "text/xml";
/// languageCode of a French document (CI-SIS).
pub const LANGUAGE_FR: &str = "fr-FR";
/// `LocalizedString/@charset`, as the official TD2.1 request writes it (`UTF8`, not the ebRIM
/// default `UTF-8`: the DMP is known to accept this spelling).
pub const LOCALIZED_CHARSET: &str = "UTF8";
/// `LocalizedString/@xml:lang`, as the official TD2.1 request writes it.
pub const LOCALIZED_LANG: &str = "FR";

/// The signature entry's codes (dmp-interface.md §3 table; the official TD2.1 request).
pub mod signature {
    /// languageCode of the signature entry.
    pub const LANGUAGE: &str = "art";
    /// Name (title) of the signature entry.
    pub const TITLE: &str = "Source";
    /// classCode: code, display, codingScheme.
    pub const CLASS: (&str, &str, &str) = (
        "urn:oid:1.3.6.1.4.1.19376.1.2.1.1.1",
        "Digital Signature",
        "URN",
    );
    /// typeCode: code, display, codingScheme.
    pub const TYPE: (&str, &str, &str) = ("E1762", "Full Document", "ASTM");
    /// formatCode: code, display, codingScheme.
    pub const FORMAT: (&str, &str, &str) = (
        "http://www.w3.org/2000/09/xmldsig#",
        "Default Signature Style",
        "URN",
    );
    /// eventCodeList: code, display, codingScheme (purpose of signature: source).
    pub const EVENT: (&str, &str, &str) =
        ("1.2.840.10065.1.12.1.14", "Source", "1.2.840.10065.1.12");
}

// ------------------------------------------------------------------------------------------
// RegistryResponse (ebRS 3.0 §2.1.4; IHE ITI TF-3 §4.2.4).
// ------------------------------------------------------------------------------------------

/// `RegistryResponse/@status`: success.
pub const STATUS_SUCCESS: &str = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success";
/// `RegistryResponse/@status`: failure.
pub const STATUS_FAILURE: &str = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure";
/// `RegistryResponse/@status`: partial success, as IHE XDS.b defines it.
pub const STATUS_PARTIAL_SUCCESS: &str = "urn:ihe:iti:2007:ResponseStatusType:PartialSuccess";
/// `RegistryResponse/@status`: partial success, ebRS spelling (accepted too).
pub const STATUS_PARTIAL_SUCCESS_EBRS: &str =
    "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:PartialSuccess";
/// `RegistryError/@severity` when absent (rs.xsd default).
pub const SEVERITY_ERROR: &str = "urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error";
/// `RegistryError/@severity` of a warning.
pub const SEVERITY_WARNING: &str = "urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Warning";

// ------------------------------------------------------------------------------------------
// Retrieve Document Set (TD3.2, IHE ITI-43) — dmp-interface.md §2.3, §5, §7 item 4.
// ------------------------------------------------------------------------------------------

/// `repositoryUniqueId` of the DMP repository (the official TD3.1 and TD3.2 samples).
pub const DMP_REPOSITORY_UNIQUE_ID: &str = "1.2.250.1.213.4.1.1.1.2";

// ------------------------------------------------------------------------------------------
// Availability status of registry objects (ebRIM 3.0 StatusType; DMP: dmp-interface.md §2.6).
// ------------------------------------------------------------------------------------------

/// ebRS 3.0 query namespace (AdhocQueryRequest/Response), prefix `query`.
pub const NS_QUERY: &str = "urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0";

/// `@status` of the current version of an entry (ebRIM StatusType).
pub const STATUS_APPROVED: &str = "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved";
/// `@status` of a replaced version (ebRIM StatusType).
pub const STATUS_DEPRECATED: &str = "urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated";
/// `@status` of an archived document (DMP, dmp-interface.md §2.6).
pub const STATUS_ARCHIVED: &str = "urn:asip:ci-sis:2010:StatusType:Archived";
/// `@status` of a logically deleted document (DMP, dmp-interface.md §2.6).
pub const STATUS_DELETED: &str = "urn:asip:ci-sis:2010:StatusType:Deleted";

// ------------------------------------------------------------------------------------------
// Metadata updates (IHE ITI-57; dmp-interface.md §2.6; official TD3.3c/TD3.3d requests).
// ------------------------------------------------------------------------------------------

/// SubmissionSet → the entryUUID whose availability status changes (ITI-57).
pub const ASSOC_UPDATE_AVAILABILITY_STATUS: &str =
    "urn:ihe:iti:2010:AssociationType:UpdateAvailabilityStatus";
/// `Association/@objectType`, as the official TD3.3c/TD3.3d requests write it (ebRIM).
pub const ASSOCIATION_OBJECT_TYPE: &str =
    "urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Association";
/// UpdateAvailabilityStatus association: the entry's current status.
pub const SLOT_ORIGINAL_STATUS: &str = "OriginalStatus";
/// UpdateAvailabilityStatus association: the status asked for.
pub const SLOT_NEW_STATUS: &str = "NewStatus";
/// HasMember association of a metadata update: the version being replaced (ITI-57).
pub const SLOT_PREVIOUS_VERSION: &str = "PreviousVersion";

// ------------------------------------------------------------------------------------------
// More DocumentEntry slots and author slots returned by the registry (IHE ITI TF-3 §4.2.3.2).
// ------------------------------------------------------------------------------------------

/// DocumentEntry: SHA-1 of the document, 40 hex digits (set by the repository).
pub const SLOT_HASH: &str = "hash";
/// DocumentEntry: size of the document in bytes (set by the repository).
pub const SLOT_SIZE: &str = "size";
/// DocumentEntry: OID of the repository that holds the document.
pub const SLOT_REPOSITORY_UNIQUE_ID: &str = "repositoryUniqueId";
/// Author classification: XTN.
pub const SLOT_AUTHOR_TELECOMMUNICATION: &str = "authorTelecommunication";

// ------------------------------------------------------------------------------------------
// Stored queries (IHE ITI-18; ids from dmp-interface.md §2.7 and IHE ITI TF-2a §3.18.4.1.2.3.7).
// ------------------------------------------------------------------------------------------

/// Stored query ids and parameter names (IHE ITI TF-2a §3.18.4.1.2.3.7).
pub mod stored_query {
    /// FindDocuments: the entries of a patient matching the filters.
    pub const FIND_DOCUMENTS: &str = "urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d";
    /// GetDocuments: entries by entryUUID or uniqueId.
    pub const GET_DOCUMENTS: &str = "urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4";
    /// FindSubmissionSets: the submission sets of a patient.
    pub const FIND_SUBMISSION_SETS: &str = "urn:uuid:f26abbcb-ac74-4422-8a30-edb644bbc1a9";
    /// GetSubmissionSetAndContents: a submission set, its entries and associations.
    pub const GET_SUBMISSION_SET_AND_CONTENTS: &str =
        "urn:uuid:e8e3cb2c-e39c-46b9-99e4-c12f57260b83";

    /// FindDocuments: the patient (quoted CX, no CX.7).
    pub const DE_PATIENT_ID: &str = "$XDSDocumentEntryPatientId";
    /// FindDocuments: the statuses, a list.
    pub const DE_STATUS: &str = "$XDSDocumentEntryStatus";
    /// FindDocuments: classCode list (`'code^^scheme'`).
    pub const DE_CLASS_CODE: &str = "$XDSDocumentEntryClassCode";
    /// FindDocuments: typeCode list.
    pub const DE_TYPE_CODE: &str = "$XDSDocumentEntryTypeCode";
    /// FindDocuments: practiceSettingCode list.
    pub const DE_PRACTICE_SETTING_CODE: &str = "$XDSDocumentEntryPracticeSettingCode";
    /// FindDocuments: lower bound of creationTime (inclusive).
    pub const DE_CREATION_TIME_FROM: &str = "$XDSDocumentEntryCreationTimeFrom";
    /// FindDocuments: upper bound of creationTime (exclusive).
    pub const DE_CREATION_TIME_TO: &str = "$XDSDocumentEntryCreationTimeTo";
    /// FindDocuments: lower bound of serviceStartTime.
    pub const DE_SERVICE_START_TIME_FROM: &str = "$XDSDocumentEntryServiceStartTimeFrom";
    /// FindDocuments: upper bound of serviceStartTime.
    pub const DE_SERVICE_START_TIME_TO: &str = "$XDSDocumentEntryServiceStartTimeTo";
    /// FindDocuments: lower bound of serviceStopTime.
    pub const DE_SERVICE_STOP_TIME_FROM: &str = "$XDSDocumentEntryServiceStopTimeFrom";
    /// FindDocuments: upper bound of serviceStopTime.
    pub const DE_SERVICE_STOP_TIME_TO: &str = "$XDSDocumentEntryServiceStopTimeTo";
    /// FindDocuments: healthcareFacilityTypeCode list.
    pub const DE_HEALTHCARE_FACILITY_TYPE_CODE: &str =
        "$XDSDocumentEntryHealthcareFacilityTypeCode";
    /// FindDocuments: eventCodeList list.
    pub const DE_EVENT_CODE_LIST: &str = "$XDSDocumentEntryEventCodeList";
    /// FindDocuments: confidentialityCode list.
    pub const DE_CONFIDENTIALITY_CODE: &str = "$XDSDocumentEntryConfidentialityCode";
    /// FindDocuments: authorPerson list (`%` and `_` are wildcards).
    pub const DE_AUTHOR_PERSON: &str = "$XDSDocumentEntryAuthorPerson";
    /// FindDocuments: formatCode list.
    pub const DE_FORMAT_CODE: &str = "$XDSDocumentEntryFormatCode";
    /// GetDocuments: entryUUID list.
    pub const DE_ENTRY_UUID: &str = "$XDSDocumentEntryEntryUUID";
    /// GetDocuments: uniqueId list.
    pub const DE_UNIQUE_ID: &str = "$XDSDocumentEntryUniqueId";
    /// GetDocuments, GetSubmissionSetAndContents: the community (`urn:oid:…`).
    pub const HOME_COMMUNITY_ID: &str = "$homeCommunityId";
    /// FindSubmissionSets: the patient.
    pub const SS_PATIENT_ID: &str = "$XDSSubmissionSetPatientId";
    /// FindSubmissionSets: lower bound of submissionTime.
    pub const SS_SUBMISSION_TIME_FROM: &str = "$XDSSubmissionSetSubmissionTimeFrom";
    /// FindSubmissionSets: upper bound of submissionTime.
    pub const SS_SUBMISSION_TIME_TO: &str = "$XDSSubmissionSetSubmissionTimeTo";
    /// FindSubmissionSets: the statuses.
    pub const SS_STATUS: &str = "$XDSSubmissionSetStatus";
    /// GetSubmissionSetAndContents: the submission set's entryUUID.
    pub const SS_ENTRY_UUID: &str = "$XDSSubmissionSetEntryUUID";
    /// GetSubmissionSetAndContents: the submission set's uniqueId.
    pub const SS_UNIQUE_ID: &str = "$XDSSubmissionSetUniqueId";
}
