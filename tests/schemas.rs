//! The JSON Schemas in `docs/schema/` describe what the library reads and writes: the sample
//! files and the library's own output validate against them, and a mutated document does not.
//!
//! A small validator for the keywords the schemas use (type, enum, properties, required,
//! additionalProperties, items, minItems, minLength, maxLength, minimum, local $ref). The
//! `pattern` keyword is not checked here: the library's own validation is stricter.

use dmp_core::habilitation::{Matrix, Rights, StaffList, StaffReport};
use dmp_core::json;
use dmp_core::model::Usager;
use serde_json::Value;

const USAGER_SCHEMA: &str = include_str!("../docs/schema/usager.schema.json");
const STAFF_SCHEMA: &str = include_str!("../docs/schema/staff.schema.json");
const REPORT_SCHEMA: &str = include_str!("../docs/schema/staff-report.schema.json");
const CASE_SCHEMA: &str = include_str!("../docs/schema/cda-case.schema.json");
const ACTOR_SCHEMA: &str = include_str!("../docs/schema/actor-profile.schema.json");
const ACTORS: [&str; 18] = [
    include_str!("../examples/data/actors/ehpad-etablissement.json"),
    include_str!("../examples/data/actors/medecin-coordonnateur-cps.json"),
    include_str!("../examples/data/actors/ide-ecps.json"),
    include_str!("../examples/data/actors/kine-liberal-cps.json"),
    // The structures and people of the use-case scenarios (examples/usecases/).
    include_str!("../examples/data/actors/ch-lyon-etablissement.json"),
    include_str!("../examples/data/actors/ch-medecin-ecps.json"),
    include_str!("../examples/data/actors/fam-etablissement.json"),
    include_str!("../examples/data/actors/fam-infirmier-sans-carte.json"),
    include_str!("../examples/data/actors/fam-medecin-ecps.json"),
    include_str!("../examples/data/actors/had-etablissement.json"),
    include_str!("../examples/data/actors/imagerie-etablissement.json"),
    include_str!("../examples/data/actors/ime-etablissement.json"),
    include_str!("../examples/data/actors/ime-medecin-ecps.json"),
    include_str!("../examples/data/actors/labo-etablissement.json"),
    include_str!("../examples/data/actors/saad-etablissement.json"),
    include_str!("../examples/data/actors/samu-regulateur-ecps.json"),
    include_str!("../examples/data/actors/ssiad-etablissement.json"),
    include_str!("../examples/data/actors/ssiad-infirmiere-coordinatrice-ecps.json"),
];
const CASES: [&str; 8] = [
    include_str!("../examples/data/cases/dlu.json"),
    include_str!("../examples/data/cases/dlu-v2.json"),
    include_str!("../examples/data/cases/projet-personnalise.json"),
    // The sandbox's seeded hospital documents.
    include_str!("../examples/data/sandbox/lefebvre-cr-hospitalisation.json"),
    include_str!("../examples/data/sandbox/lefebvre-ordonnance.json"),
    include_str!("../examples/data/sandbox/lefebvre-cr-biologie.json"),
    include_str!("../examples/data/sandbox/lefebvre-cr-imagerie.json"),
    include_str!("../examples/data/sandbox/dartagnan-cr-biologie.json"),
];
const USAGERS: &str = include_str!("../examples/data/usagers.json");
const PLAN_SCHEMA: &str = include_str!("../docs/schema/deposit-plan.schema.json");
const FACTS_SCHEMA: &str = include_str!("../docs/schema/pilotage-facts.schema.json");
const PLANS: [&str; 3] = [
    include_str!("../examples/data/plans/ehpad.json"),
    include_str!("../examples/data/plans/ime.json"),
    include_str!("../examples/data/plans/ssiad.json"),
];
const FACTS: &str = include_str!("../examples/data/facts/ehpad.json");
const STAFF: &str = include_str!("../examples/data/ehpad-staff.json");
/// The use-case scenarios' staff list and usagers (`examples/data/usecases/`).
const FAM_STAFF: &str = include_str!("../examples/data/usecases/fam-staff.json");
const STORY_USAGERS: &str = include_str!("../examples/data/usecases/usagers.json");

fn validate(root: &Value, schema: &Value, v: &Value, path: &str, errors: &mut Vec<String>) {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.strip_prefix("#/$defs/").expect("local $ref");
        validate(root, &root["$defs"][name], v, path, errors);
    }
    if let Some(t) = schema.get("type") {
        let types: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let ok = types.iter().any(|t| match *t {
            "string" => v.is_string(),
            "object" => v.is_object(),
            "array" => v.is_array(),
            "boolean" => v.is_boolean(),
            "integer" => v.is_u64() || v.is_i64(),
            "null" => v.is_null(),
            _ => false,
        });
        if !ok {
            errors.push(format!("{path}: not of type {t}"));
            return;
        }
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array) {
        if !e.contains(v) {
            errors.push(format!("{path}: {v} not in enum"));
        }
    }
    if let Some(s) = v.as_str() {
        let n = s.chars().count() as u64;
        if schema
            .get("minLength")
            .and_then(Value::as_u64)
            .is_some_and(|m| n < m)
        {
            errors.push(format!("{path}: shorter than minLength"));
        }
        if schema
            .get("maxLength")
            .and_then(Value::as_u64)
            .is_some_and(|m| n > m)
        {
            errors.push(format!("{path}: longer than maxLength"));
        }
    }
    if let (Some(n), Some(m)) = (v.as_i64(), schema.get("minimum").and_then(Value::as_i64)) {
        if n < m {
            errors.push(format!("{path}: below minimum"));
        }
    }
    if let Some(obj) = v.as_object() {
        let props = schema.get("properties").and_then(Value::as_object);
        for req in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let key = req.as_str().unwrap();
            if !obj.contains_key(key) {
                errors.push(format!("{path}: missing required {key}"));
            }
        }
        for (k, val) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(s) => validate(root, s, val, &format!("{path}.{k}"), errors),
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    errors.push(format!("{path}: unexpected property {k}"))
                }
                None => {}
            }
        }
    }
    if let Some(arr) = v.as_array() {
        if schema
            .get("minItems")
            .and_then(Value::as_u64)
            .is_some_and(|m| (arr.len() as u64) < m)
        {
            errors.push(format!("{path}: fewer than minItems"));
        }
        if let Some(items) = schema.get("items") {
            for (i, item) in arr.iter().enumerate() {
                validate(root, items, item, &format!("{path}[{i}]"), errors);
            }
        }
    }
}

fn errors(schema: &str, doc: &Value) -> Vec<String> {
    let root: Value = serde_json::from_str(schema).unwrap();
    let mut errors = Vec::new();
    validate(&root, &root, doc, "$", &mut errors);
    errors
}

#[test]
fn samples_validate() {
    let usagers: Value = serde_json::from_str(USAGERS).unwrap();
    for u in usagers.as_array().unwrap() {
        assert_eq!(errors(USAGER_SCHEMA, u), Vec::<String>::new());
    }
    for text in [STAFF, FAM_STAFF] {
        let staff: Value = serde_json::from_str(text).unwrap();
        assert_eq!(errors(STAFF_SCHEMA, &staff), Vec::<String>::new());
    }
    for case in CASES {
        let v: Value = serde_json::from_str(case).unwrap();
        assert_eq!(errors(CASE_SCHEMA, &v), Vec::<String>::new());
        assert_eq!(
            patient_errors(&v["header"]["patient"]),
            Vec::<String>::new()
        );
    }
    let stories: Value = serde_json::from_str(STORY_USAGERS).unwrap();
    let stories = stories.as_array().unwrap();
    assert_eq!(stories.len(), 5);
    for story in stories {
        assert_eq!(patient_errors(&story["patient"]), Vec::<String>::new());
    }
}

/// A CDA patient (`ins`, `traits`, `ipp`) against the usager schema's definitions.
fn patient_errors(patient: &Value) -> Vec<String> {
    let root: Value = serde_json::from_str(USAGER_SCHEMA).unwrap();
    let mut errs = Vec::new();
    for key in ["ins", "traits", "ipp"] {
        if let Some(part) = patient.get(key) {
            validate(&root, &root["$defs"][key], part, key, &mut errs);
            if key == "ipp" {
                validate(&root, &root["properties"]["ipp"], part, key, &mut errs);
            }
        }
    }
    errs
}

#[test]
fn actor_profiles_validate_and_round_trip() {
    for text in ACTORS {
        let v: Value = serde_json::from_str(text).unwrap();
        assert_eq!(errors(ACTOR_SCHEMA, &v), Vec::<String>::new());
        let p = dmp_core::actor::ActorProfile::from_json(text).unwrap();
        let out = serde_json::to_value(&p).unwrap();
        assert_eq!(errors(ACTOR_SCHEMA, &out), Vec::<String>::new());
    }
    let mut v: Value = serde_json::from_str(ACTORS[0]).unwrap();
    v["card"] = "badge".into();
    v["nickname"] = "x".into();
    assert_eq!(errors(ACTOR_SCHEMA, &v).len(), 2);
}

#[test]
fn library_output_validates() {
    let usagers: Vec<Usager> = json::from_str(USAGERS).unwrap();
    for u in &usagers {
        let v = serde_json::to_value(u).unwrap();
        assert_eq!(errors(USAGER_SCHEMA, &v), Vec::<String>::new());
    }
    let list: StaffList = json::from_str(STAFF).unwrap();
    assert_eq!(
        errors(STAFF_SCHEMA, &serde_json::to_value(&list).unwrap()),
        Vec::<String>::new()
    );
    let report = StaffReport::build(
        &list,
        &Matrix::embedded().unwrap(),
        &Rights::embedded().unwrap(),
    );
    let v = serde_json::to_value(&report).unwrap();
    assert_eq!(errors(REPORT_SCHEMA, &v), Vec::<String>::new());
}

#[test]
fn the_validator_rejects_what_the_schema_forbids() {
    let mut staff: Value = serde_json::from_str(STAFF).unwrap();
    staff["staff"][0]["nickname"] = "Doc".into();
    staff["staff"][1]["card"] = "badge".into();
    staff["structure"]
        .as_object_mut()
        .unwrap()
        .remove("finess_et");
    let errs = errors(STAFF_SCHEMA, &staff);
    assert_eq!(errs.len(), 3, "{errs:?}");
    let mut u: Value = serde_json::from_str::<Value>(USAGERS).unwrap()[0].take();
    u["traits"]["birth_given_names"] = serde_json::json!([]);
    u["minor"] = "yes".into();
    assert_eq!(errors(USAGER_SCHEMA, &u).len(), 2);
}

#[test]
fn deposit_plans_and_facts_validate_and_round_trip() {
    use dmp_core::pilotage::{Facts, Plan};
    for text in PLANS {
        let v: Value = serde_json::from_str(text).unwrap();
        assert_eq!(errors(PLAN_SCHEMA, &v), Vec::<String>::new());
        let plan = Plan::from_json(text).unwrap();
        let written = serde_json::to_value(&plan).unwrap();
        assert_eq!(errors(PLAN_SCHEMA, &written), Vec::<String>::new());
    }
    let v: Value = serde_json::from_str(FACTS).unwrap();
    assert_eq!(errors(FACTS_SCHEMA, &v), Vec::<String>::new());
    let facts: Facts = json::from_str(FACTS).unwrap();
    assert_eq!(
        errors(FACTS_SCHEMA, &serde_json::to_value(&facts).unwrap()),
        Vec::<String>::new()
    );
    // The kinds the schemas list are the model's.
    let schema: Value = serde_json::from_str(PLAN_SCHEMA).unwrap();
    let kinds: Vec<Value> = dmp_core::model::DocumentKind::ALL
        .iter()
        .map(|k| serde_json::to_value(k).unwrap())
        .collect();
    assert_eq!(
        schema["$defs"]["document"]["properties"]["kind"]["enum"],
        Value::Array(kinds)
    );

    let mut plan: Value = serde_json::from_str(PLANS[0]).unwrap();
    plan["documents"][0]["on"][0]["delay"] = "15 days".into();
    assert_eq!(
        errors(PLAN_SCHEMA, &plan),
        ["$.documents[0].on[0]: unexpected property delay"]
    );
    let mut facts: Value = serde_json::from_str(FACTS).unwrap();
    facts["deposits"][0]["status"] = "sent".into();
    assert_eq!(
        errors(FACTS_SCHEMA, &facts),
        ["$.deposits[0].status: \"sent\" not in enum"]
    );
}
