"""The shared test vectors (bindings/test-vectors.json) through the Python binding: the same
cases, the same assertions as the C, C#, Java and Rust runners."""

import base64
import json
import tempfile
from pathlib import Path

import pytest

import dmp

REPO = Path(__file__).resolve().parents[3]
VECTORS = json.loads((REPO / "bindings" / "test-vectors.json").read_text(encoding="utf-8"))


def fnv1a64(data: bytes) -> str:
    """The FNV-1a 64-bit hash of `data`, as the vectors write it (not a security check)."""
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def resolve(v):
    """An argument with its '$' references to repository files replaced."""
    if isinstance(v, list):
        return [resolve(x) for x in v]
    if not isinstance(v, dict):
        return v
    if "$file" in v:
        out = json.loads((REPO / v["$file"]).read_text(encoding="utf-8"))
        if "$member" in v:
            out = out[v["$member"]]
        for k, x in v.get("$merge", {}).items():
            out[k] = resolve(x)
        return out
    if "$text" in v:
        return (REPO / v["$text"]).read_text(encoding="utf-8").rstrip()
    if "$bytes" in v:
        return (REPO / v["$bytes"]).read_bytes()
    if "$base64" in v:
        return base64.b64encode((REPO / v["$base64"]).read_bytes()).decode()
    if "$path" in v:
        return str(REPO / v["$path"])
    return {k: resolve(x) for k, x in v.items()}


def js(v) -> str:
    return json.dumps(v, ensure_ascii=False)


def blob(b: bytes) -> dict:
    return {"length": len(b), "fnv1a64": fnv1a64(b)}


def run(call: str, a: dict) -> dict:
    """Performs one case's call; its result tree."""
    if call == "check_ins":
        return {"text": dmp.check_ins(a["matricule"], a["oid"])}
    if call == "check_finess":
        return {"text": dmp.check_finess(a["finess"])}
    if call == "matrix_decide":
        with dmp.Matrix() as m:
            return {"json": m.decide(js(a["reader"]), a["type_code"])}
    if call == "rights_decide":
        return {"json": dmp.rights_decide(a["auth"], a["actor"], a["mode"], a["transaction"])}
    if call == "staff_report":
        with dmp.Matrix() as m:
            return {"json": m.staff_report(js(a["staff"]))}
    if call == "cda_round_trip":
        xml = dmp.cda_build(js(a["header"]), a["content"], a["media_type"])
        record, body = dmp.cda_read(xml)
        rebuilt = dmp.cda_build(js(record["model"]), body, a["media_type"])
        return {
            "xml": blob(xml),
            "read": record,
            "body_equals_content": body == a["content"],
            "rebuilt_equals_xml": rebuilt == xml,
        }
    if call == "identity_info":
        with dmp.Identity.from_p12(a["p12"], a["password"]) as me:
            return {"json": me.info()}
    if call == "feed_build_check":
        with dmp.Identity.from_p12(a["p12"], a["password"]) as me:
            message, info = dmp.feed_build(me, js(a["request"]), a["now"], a["seed"])
        check = dmp.feed_check(message, "\n".join(a["trust"]), a["now"])
        return {"message": blob(message), "info": info, "check": check}
    if call == "consult_build":
        with dmp.Identity.from_p12(a["p12"], a["password"]) as me:
            message, info = dmp.consult_build(me, js(a["request"]), None, a["now"], a["seed"])
        return {"message": blob(message), "info": info}
    if call == "sandbox_round_trip":
        out = {}
        with tempfile.TemporaryDirectory() as tmp, dmp.Identity.from_p12(
            a["p12"], a["password"]
        ) as me, dmp.Sandbox(str(Path(tmp) / "dmp")) as sandbox, dmp.Client(
            js(a["actor"]), a["profile_dir"], sandbox.base_url
        ) as client:
            message = None
            for step in a["requests"]:
                if step["name"] != "again":
                    build = dmp.consult_build if step["kind"] == "consult" else dmp.feed_build
                    message, _ = build(me, js(step["request"]))
                try:
                    _, outcome = client.send(message, me, a["timeout_ms"])
                    out[step["name"]] = {"outcome": outcome}
                except dmp.DmpError as e:
                    out[step["name"]] = {"error": e.record}
        return out
    raise AssertionError(f"unknown call {call!r} in test-vectors.json")


def lookup(tree, path: str):
    for seg in path.split("."):
        if seg == "#":
            tree = len(tree)
        elif isinstance(tree, list):
            tree = tree[int(seg)]
        else:
            tree = tree[seg]
    return tree


def check(tree, expected: dict, what: str) -> None:
    for path, want in expected.items():
        got = lookup(tree, path)
        if isinstance(want, dict) and "$starts_with" in want:
            assert isinstance(got, str) and got.startswith(want["$starts_with"]), (what, path, got)
        else:
            assert got == want and type(got) is type(want), (what, path, got, want)


@pytest.mark.parametrize("case", VECTORS["cases"], ids=[c["name"] for c in VECTORS["cases"]])
def test_vector(case):
    args = resolve(case["args"])
    expect = case["expect"]
    if "ok" in expect:
        check(run(case["call"], args), expect["ok"], "result")
    else:
        with pytest.raises(dmp.DmpError) as e:
            run(case["call"], args)
        check(e.value.record, expect["error"], "last error")
