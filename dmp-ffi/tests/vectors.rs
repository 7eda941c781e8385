//! The shared test vectors (`bindings/test-vectors.json`) through the exported C functions:
//! the same cases and assertions as the Python, C#, Java and C runners, so that the bindings
//! cannot drift from the library.

mod common;

use std::ffi::CStr;
use std::ptr;

use common::*;
use dmp::cda::{dmp_cda_build, dmp_cda_read};
use dmp::consult::dmp_consult_build;
use dmp::feed::{dmp_feed_build, dmp_feed_check};
use dmp::habilitation::{
    dmp_matrix_decide, dmp_matrix_free, dmp_matrix_new_default, dmp_rights_decide, dmp_staff_report,
};
use dmp::identity::{dmp_identity_free, dmp_identity_info, dmp_identity_new_from_p12};
use dmp::ids::{dmp_check_finess, dmp_check_ins};
use dmp::sandbox::{dmp_sandbox_base_url, dmp_sandbox_free, dmp_sandbox_start};
use dmp::transport::{dmp_client_free, dmp_client_new, dmp_send};
use dmp::{dmp_bytes, dmp_identity, dmp_result};
use serde_json::{json, Value};

/// A call's result tree, or the last-error record of its failure.
type Outcome = Result<Value, Value>;

fn ok(r: dmp_result) -> Result<(), Value> {
    if r == dmp_result::DMP_OK {
        Ok(())
    } else {
        let record = last_error_json();
        assert_eq!(record["code"], r as u32, "the last error is the call's");
        Err(record)
    }
}

fn fnv1a64(data: &[u8]) -> String {
    let h = data.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("{h:016x}")
}

fn blob(b: &[u8]) -> Value {
    json!({"length": b.len(), "fnv1a64": fnv1a64(b)})
}

/// An argument with its `$` references to repository files replaced; byte arguments
/// (`{"$bytes": path}`) stay as they are and are read by [`bytes_arg`].
fn resolve(v: &Value) -> Value {
    match v {
        Value::Array(a) => Value::Array(a.iter().map(resolve).collect()),
        Value::Object(m) => {
            if let Some(Value::String(p)) = m.get("$file") {
                let mut out: Value = serde_json::from_slice(&repo_file(p)).unwrap();
                if let Some(Value::String(member)) = m.get("$member") {
                    out = out[member.as_str()].take();
                }
                if let Some(Value::Object(merge)) = m.get("$merge") {
                    for (k, x) in merge {
                        out[k.as_str()] = resolve(x);
                    }
                }
                out
            } else if let Some(Value::String(p)) = m.get("$text") {
                Value::String(
                    String::from_utf8(repo_file(p))
                        .unwrap()
                        .trim_end()
                        .to_owned(),
                )
            } else if m.contains_key("$bytes") {
                v.clone()
            } else if let Some(Value::String(p)) = m.get("$base64") {
                Value::String(base64(&repo_file(p)))
            } else if let Some(Value::String(p)) = m.get("$path") {
                Value::String(repo().join(p).to_string_lossy().into_owned())
            } else {
                Value::Object(m.iter().map(|(k, x)| (k.clone(), resolve(x))).collect())
            }
        }
        _ => v.clone(),
    }
}

fn bytes_arg(v: &Value) -> Vec<u8> {
    repo_file(v["$bytes"].as_str().expect("a {\"$bytes\": path} argument"))
}

fn c(v: &Value) -> std::ffi::CString {
    match v {
        Value::String(s) => cstring(s),
        other => cstring(&other.to_string()),
    }
}

fn text_out(f: impl FnOnce(*mut *mut dmp_bytes) -> dmp_result) -> Result<Vec<u8>, Value> {
    let mut out = ptr::null_mut();
    ok(f(&mut out))?;
    Ok(take(out))
}

fn json_out(f: impl FnOnce(*mut *mut dmp_bytes) -> dmp_result) -> Result<Value, Value> {
    text_out(f).map(|b| serde_json::from_slice(&b).unwrap())
}

/// An identity from the case's `p12` and `password`, released when dropped.
struct Identity(*mut dmp_identity);

impl Drop for Identity {
    fn drop(&mut self) {
        // SAFETY: a live handle, freed once.
        unsafe { dmp_identity_free(self.0) }
    }
}

fn identity(a: &Value) -> Result<Identity, Value> {
    let p12 = bytes_arg(&a["p12"]);
    let pw = c(&a["password"]);
    let mut id = ptr::null_mut();
    // SAFETY: valid buffer, string and slot.
    ok(unsafe { dmp_identity_new_from_p12(p12.as_ptr(), p12.len(), pw.as_ptr(), &mut id) })?;
    Ok(Identity(id))
}

fn matrix_json(
    f: impl FnOnce(*const dmp::dmp_matrix, *mut *mut dmp_bytes) -> dmp_result,
) -> Outcome {
    let mut m = ptr::null_mut();
    // SAFETY: valid slot.
    ok(unsafe { dmp_matrix_new_default(&mut m) })?;
    let out = json_out(|o| f(m, o));
    // SAFETY: a live handle, freed once.
    unsafe { dmp_matrix_free(m) };
    Ok(json!({ "json": out? }))
}

fn build(
    id: &Identity,
    kind: &str,
    request: &Value,
    now: Option<&str>,
    seed: u64,
) -> Result<(Vec<u8>, Value), Value> {
    let req = c(request);
    let now = now.map(cstring);
    let now_ptr = now.as_ref().map_or(ptr::null(), |n| n.as_ptr());
    let (mut msg, mut info) = (ptr::null_mut(), ptr::null_mut());
    // SAFETY: live identity, valid strings and slots.
    let r = unsafe {
        if kind == "feed" {
            dmp_feed_build(id.0, req.as_ptr(), now_ptr, seed, &mut msg, &mut info)
        } else {
            dmp_consult_build(
                id.0,
                req.as_ptr(),
                ptr::null(),
                0,
                now_ptr,
                seed,
                &mut msg,
                &mut info,
            )
        }
    };
    ok(r)?;
    Ok((take(msg), take_json(info)))
}

fn run(call: &str, a: &Value) -> Outcome {
    let s = |k: &str| c(&a[k]);
    // SAFETY (every unsafe block below): valid NUL-terminated strings, buffers with their
    // lengths, live handles and writable slots, as dmp.h asks.
    match call {
        "check_ins" => {
            let (m, o) = (s("matricule"), s("oid"));
            let t = text_out(|out| unsafe { dmp_check_ins(m.as_ptr(), o.as_ptr(), out) })?;
            Ok(json!({"text": String::from_utf8(t).unwrap()}))
        }
        "check_finess" => {
            let f = s("finess");
            let t = text_out(|out| unsafe { dmp_check_finess(f.as_ptr(), out) })?;
            Ok(json!({"text": String::from_utf8(t).unwrap()}))
        }
        "matrix_decide" => {
            let (r, t) = (s("reader"), s("type_code"));
            matrix_json(|m, out| unsafe { dmp_matrix_decide(m, r.as_ptr(), t.as_ptr(), out) })
        }
        "rights_decide" => {
            let (x, y, z, t) = (s("auth"), s("actor"), s("mode"), s("transaction"));
            let j = json_out(|out| unsafe {
                dmp_rights_decide(x.as_ptr(), y.as_ptr(), z.as_ptr(), t.as_ptr(), out)
            })?;
            Ok(json!({ "json": j }))
        }
        "staff_report" => {
            let st = s("staff");
            matrix_json(|m, out| unsafe { dmp_staff_report(m, st.as_ptr(), out) })
        }
        "cda_round_trip" => {
            let content = bytes_arg(&a["content"]);
            let media = s("media_type");
            let cda = |header: &std::ffi::CStr, body: &[u8]| {
                text_out(|out| unsafe {
                    dmp_cda_build(
                        header.as_ptr(),
                        body.as_ptr(),
                        body.len(),
                        media.as_ptr(),
                        out,
                    )
                })
            };
            let xml = cda(&s("header"), &content)?;
            let (mut h, mut body) = (ptr::null_mut(), ptr::null_mut());
            ok(unsafe { dmp_cda_read(xml.as_ptr(), xml.len(), &mut h, &mut body) })?;
            let (record, body) = (take_json(h), take(body));
            let rebuilt = cda(&c(&record["model"]), &body)?;
            Ok(json!({
                "xml": blob(&xml),
                "read": record,
                "body_equals_content": body == content,
                "rebuilt_equals_xml": rebuilt == xml,
            }))
        }
        "identity_info" => {
            let id = identity(a)?;
            let j = json_out(|out| unsafe { dmp_identity_info(id.0, out) })?;
            Ok(json!({ "json": j }))
        }
        "feed_build_check" => {
            let now = a["now"].as_str();
            let (message, info) = build(
                &identity(a)?,
                "feed",
                &a["request"],
                now,
                a["seed"].as_u64().unwrap(),
            )?;
            let trust: Vec<&str> = a["trust"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(Value::as_str)
                .collect();
            let (trust, at) = (cstring(&trust.join("\n")), cstring(now.unwrap()));
            let check = json_out(|out| unsafe {
                dmp_feed_check(
                    message.as_ptr(),
                    message.len(),
                    trust.as_ptr(),
                    at.as_ptr(),
                    out,
                )
            })?;
            Ok(json!({"message": blob(&message), "info": info, "check": check}))
        }
        "consult_build" => {
            let (message, info) = build(
                &identity(a)?,
                "consult",
                &a["request"],
                a["now"].as_str(),
                a["seed"].as_u64().unwrap(),
            )?;
            Ok(json!({"message": blob(&message), "info": info}))
        }
        "sandbox_round_trip" => Ok(sandbox_round_trip(a)),
        other => panic!("unknown call {other} in test-vectors.json"),
    }
}

fn sandbox_round_trip(a: &Value) -> Value {
    let me = identity(a).expect("identity");
    let dir = std::env::temp_dir().join(format!("dmp-vectors-{}", std::process::id()));
    let data_dir = cstring(&dir.join("dmp").to_string_lossy());
    let mut sandbox = ptr::null_mut();
    // SAFETY: valid string and slot (ui_address optional).
    ok(unsafe { dmp_sandbox_start(data_dir.as_ptr(), ptr::null(), &mut sandbox) })
        .expect("sandbox");
    // SAFETY: a live sandbox; the URL is valid until it is freed.
    let endpoint = unsafe { CStr::from_ptr(dmp_sandbox_base_url(sandbox)) }.to_owned();
    let (actor, dir_arg) = (c(&a["actor"]), c(&a["profile_dir"]));
    let mut client = ptr::null_mut();
    // SAFETY: valid strings and slot.
    ok(unsafe {
        dmp_client_new(
            actor.as_ptr(),
            dir_arg.as_ptr(),
            endpoint.as_ptr(),
            &mut client,
        )
    })
    .expect("client");
    let mut out = serde_json::Map::new();
    let mut message = Vec::new();
    for step in a["requests"].as_array().unwrap() {
        let name = step["name"].as_str().unwrap();
        if name != "again" {
            message = build(
                &me,
                step["kind"].as_str().unwrap(),
                &step["request"],
                None,
                0,
            )
            .expect("build")
            .0;
        }
        let (mut resp, mut outcome) = (ptr::null_mut(), ptr::null_mut());
        let timeout = u32::try_from(a["timeout_ms"].as_u64().unwrap()).unwrap();
        // SAFETY: live client and identity, valid buffer and slots.
        let r = unsafe {
            dmp_send(
                client,
                me.0,
                message.as_ptr(),
                message.len(),
                timeout,
                &mut resp,
                &mut outcome,
            )
        };
        let entry = match ok(r) {
            Ok(()) => {
                take(resp);
                json!({ "outcome": take_json(outcome) })
            }
            Err(record) => json!({ "error": record }),
        };
        out.insert(name.to_owned(), entry);
    }
    // SAFETY: live handles, freed once.
    unsafe {
        dmp_client_free(client);
        dmp_sandbox_free(sandbox);
    }
    let _ = std::fs::remove_dir_all(&dir);
    Value::Object(out)
}

fn lookup(mut tree: &Value, path: &str) -> Value {
    for seg in path.split('.') {
        if seg == "#" {
            return json!(tree.as_array().map_or(0, Vec::len));
        }
        tree = match tree {
            Value::Array(a) => &a[seg.parse::<usize>().unwrap()],
            Value::Object(m) => m.get(seg).unwrap_or_else(|| panic!("no {seg} in {tree}")),
            _ => panic!("no {seg} in {tree}"),
        };
    }
    tree.clone()
}

fn check(name: &str, tree: &Value, expected: &Value) {
    for (path, want) in expected.as_object().unwrap() {
        let got = lookup(tree, path);
        match want.get("$starts_with").and_then(Value::as_str) {
            Some(prefix) => assert!(
                got.as_str().is_some_and(|g| g.starts_with(prefix)),
                "{name}: {path}: {got}"
            ),
            None => assert_eq!(&got, want, "{name}: {path}"),
        }
    }
}

#[test]
fn shared_vectors() {
    let vectors: Value = serde_json::from_slice(&repo_file("bindings/test-vectors.json")).unwrap();
    let cases = vectors["cases"].as_array().unwrap();
    assert!(cases.len() >= 17);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let args = resolve(&case["args"]);
        let outcome = run(case["call"].as_str().unwrap(), &args);
        match (&case["expect"]["ok"], &case["expect"]["error"], outcome) {
            (ok @ Value::Object(_), _, Ok(tree)) => check(name, &tree, ok),
            (_, err @ Value::Object(_), Err(record)) => check(name, &record, err),
            (_, _, outcome) => panic!("{name}: unexpected {outcome:?}"),
        }
    }
}
