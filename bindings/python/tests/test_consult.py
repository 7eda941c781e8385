"""Consulting the DMP from Python, on the repository's sample actors and test PKI: what
dmp-ffi/tests/consult.rs checks through the C ABI, in fewer cases. The official sample
messages are read from ../shared when it is there (never copied into the repository)."""

import base64
import json
import os
import re
from pathlib import Path

import pytest

import dmp

REPO = Path(__file__).resolve().parents[3]
DATA = REPO / "examples" / "data"
PKI = REPO / "examples" / "pki"
NOW = "2026-12-01T10:00:00+01:00"
CARE_TEAM = {"care_team": {"initial_consent_at": "2026-01-15T09:00:00+01:00", "informed": True}}
UNIQUE_ID = "1.2.250.1.999.1.1.7898.1.77"
ENTRY = "urn:uuid:0f6b3c1e-3a5b-4c55-9d0e-1a2b3c4d5e6f"
SOAP = "application/soap+xml; charset=UTF-8"


def official(name):
    """An official sample message from ../shared, or a skip."""
    shared = REPO.parent / "shared" / "reference" / "dmp-messages"
    if os.environ.get("DMP_NO_SHARED", "0") not in ("", "0") or not shared.is_dir():
        pytest.skip("../shared not present")
    return (shared / name).read_bytes()


def actor(name):
    return json.loads((DATA / "actors" / f"{name}.json").read_text(encoding="utf-8"))


def password():
    return (PKI / "PASSWORD").read_text().strip()


@pytest.fixture(scope="module")
def ins():
    """The INS of the first usager of examples/data/usagers.json."""
    return json.loads((DATA / "usagers.json").read_text(encoding="utf-8"))[0]["ins"]


def td31(ins, status="urn:oasis:names:tc:ebxml-regrep:StatusType:Approved"):
    """A TD3.1 answer written here: one entry (a DLU) of the usager `ins`."""
    cx = f"{ins['matricule']}^^^&amp;{ins['oid']}&amp;ISO^NH"

    def classification(n, scheme, code, coding):
        return (
            f'<rim:Classification classificationScheme="urn:uuid:{scheme}" classifiedObject="{ENTRY}" '
            f'id="urn:uuid:0f6b3c1e-0000-4000-8000-00000000000{n}" nodeRepresentation="{code}">'
            f'<rim:Slot name="codingScheme"><rim:ValueList><rim:Value>{coding}</rim:Value>'
            "</rim:ValueList></rim:Slot></rim:Classification>"
        )

    def identifier(n, scheme, value):
        return (
            f'<rim:ExternalIdentifier id="urn:uuid:0f6b3c1e-0000-4000-8000-00000000000{n}" '
            f'identificationScheme="urn:uuid:{scheme}" registryObject="{ENTRY}" value="{value}"/>'
        )

    return (
        '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body>'
        '<q:AdhocQueryResponse xmlns:q="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" '
        'xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0" '
        'status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success"><rim:RegistryObjectList>'
        f'<rim:ExtrinsicObject id="{ENTRY}" lid="{ENTRY}" mimeType="text/xml" '
        f'objectType="urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1" status="{status}">'
        '<rim:VersionInfo versionName="1"/>'
        + classification(1, "a09d5840-386c-46f2-b5ad-9c3699a4309d", "urn:ihe:iti:xds-sd:pdf:2008", "1.3.6.1.4.1.19376.1.2.3")
        + classification(2, "f0306f51-975f-434e-a61c-c59651d33983", "74207-2", "2.16.840.1.113883.6.1")
        + identifier(3, "58a6f841-87b3-4a3e-92fd-a8ffeff98427", cx)
        + identifier(4, "2e82c1f6-a085-4c72-9da3-8640a32e42ab", UNIQUE_ID)
        + "</rim:ExtrinsicObject></rim:RegistryObjectList></q:AdhocQueryResponse></soap:Body></soap:Envelope>"
    ).encode()


def mtom(envelope: bytes, parts: dict):
    """An MTOM answer: (Content-Type, body) with `envelope` as root and `parts` by Content-ID."""
    boundary = "MIMEBoundary_py"
    body = (
        f"--{boundary}\r\nContent-Type: application/xop+xml; charset=UTF-8; "
        'type="application/soap+xml"\r\nContent-ID: <root@dmp>\r\n\r\n'
    ).encode() + envelope
    for cid, data in parts.items():
        body += (
            f"\r\n--{boundary}\r\nContent-Type: text/xml\r\nContent-Transfer-Encoding: binary\r\n"
            f"Content-ID: <{cid}>\r\n\r\n"
        ).encode() + data
    body += f"\r\n--{boundary}--\r\n".encode()
    content_type = (
        f'multipart/related; boundary="{boundary}"; type="application/xop+xml"; '
        'start="<root@dmp>"; start-info="application/soap+xml"'
    )
    return content_type, body


def td32(status, documents):
    """A RetrieveDocumentSetResponse envelope; `documents`: (uniqueId, mimeType, content)."""
    docs = "".join(
        "<x:DocumentResponse><x:RepositoryUniqueId>1.2.250.1.213.4.1.1.1.2</x:RepositoryUniqueId>"
        f"<x:DocumentUniqueId>{uid}</x:DocumentUniqueId><x:mimeType>{mime}</x:mimeType>"
        f"<x:Document>{content}</x:Document></x:DocumentResponse>"
        for uid, mime, content in documents
    )
    return (
        '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body>'
        '<x:RetrieveDocumentSetResponse xmlns:x="urn:ihe:iti:xds-b:2007" '
        'xmlns:rs="urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0" '
        'xmlns:xop="http://www.w3.org/2004/08/xop/include">'
        f'<rs:RegistryResponse status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:{status}"/>'
        f"{docs}</x:RetrieveDocumentSetResponse></soap:Body></soap:Envelope>"
    ).encode()


# ---------------------------------------------------------------------------------------
# Requests


def test_every_kind_builds(ins, establishment, card):
    medecin = actor("medecin-coordonnateur-cps")
    etab = actor("ehpad-etablissement")
    find = {"query": "find_documents", "patient": ins}
    get = {"query": "get_documents", "by": {"unique_ids": [UNIQUE_ID]}}
    retrieve = [{"repository_unique_id": "1.2.250.1.213.4.1.1.1.2", "document_unique_id": UNIQUE_ID}]
    cases = [
        (establishment, etab, None, {"kind": "status", "ins": ins}, "TD0.2"),
        (establishment, etab, None, {"kind": "reference", "ins": ins, "query": get}, "TD3.1"),
        (card, medecin, CARE_TEAM, {"kind": "search", "ins": ins, "query": find}, "TD3.1"),
        (card, medecin, CARE_TEAM, {"kind": "retrieve", "ins": ins, "documents": retrieve}, "TD3.2"),
        (card, medecin, None, {"kind": "authorize", "ins": ins, "action": "add"}, "TD0.3"),
        (card, medecin, None, {"kind": "authorized_list", "ins": ins, "since": "2026-01-01T00:00:00Z"}, "TD0.4"),
        (card, medecin, None, {"kind": "mask", "ins": ins, "unique_id": UNIQUE_ID}, "TD3.3a"),
        (card, medecin, None, {"kind": "archive", "ins": ins, "unique_id": UNIQUE_ID}, "TD3.3d"),
        (card, medecin, None, {"kind": "delete", "ins": ins, "unique_id": UNIQUE_ID}, "TD3.3c"),
    ]
    for identity, who, consent, transaction, code in cases:
        request = {"actor": who, "transaction": transaction}
        if consent is not None:
            request["consent"] = consent
        search = td31(ins) if "unique_id" in transaction else None
        message, info = dmp.consult_build(identity, request, search, now=NOW, seed=42)
        again, _ = dmp.consult_build(identity, json.dumps(request), search, now=NOW, seed=42)
        assert message == again, transaction["kind"]
        assert info["transaction"] == code
        assert info["seed"] == 42 and info["now"] == NOW
        assert info["message_id"].startswith("urn:uuid:")
        assert message.startswith(f"Content-Type: {info['content_type']}\r\n\r\n".encode())
        assert info["body_bytes"] == len(message.split(b"\r\n\r\n", 1)[1])
        assert info["content_type"].startswith(
            "multipart/related" if code == "TD3.2" else "application/soap+xml"
        )
        mode = b">DIRECTE<" if identity is card else b">INDIRECTE<"
        assert mode in message, transaction["kind"]
        if "unique_id" in transaction:
            assert ENTRY.encode() in message
    _, info = dmp.consult_build(establishment, {"actor": etab, "transaction": cases[0][3]})
    assert info["seed"] != 0


def test_refusals_name_the_field(ins, establishment, card):
    medecin = actor("medecin-coordonnateur-cps")
    search = {"kind": "search", "ins": ins, "query": {"query": "find_documents", "patient": ins}}
    with pytest.raises(dmp.ModelError) as e:
        dmp.consult_build(card, {"actor": medecin, "transaction": search}, now=NOW)
    assert (e.value.code, e.value.field, e.value.value) == (dmp.ERR_INVALID, "consent", "none given")
    assert "consent.care_team" in e.value.rule

    retrieve = {
        "kind": "retrieve",
        "ins": ins,
        "documents": [{"repository_unique_id": "1.2.250.1.213.4.1.1.1.2", "document_unique_id": UNIQUE_ID}],
    }
    request = {"actor": actor("ehpad-etablissement"), "consent": CARE_TEAM, "transaction": retrieve}
    with pytest.raises(dmp.ModelError) as e:
        dmp.consult_build(establishment, request, now=NOW)
    assert e.value.field == "actor.mode"
    assert e.value.value.startswith("TD3.2 ")

    status = {"actor": medecin, "transaction": {"kind": "status", "ins": ins}}
    with pytest.raises(dmp.ModelError) as e:
        dmp.consult_build(establishment, status, now=NOW)
    assert e.value.field == "signer"

    mask = {"actor": medecin, "transaction": {"kind": "mask", "ins": ins, "unique_id": UNIQUE_ID}}
    with pytest.raises(dmp.ArgumentError) as e:
        dmp.consult_build(card, mask, now=NOW)
    assert (e.value.code, e.value.argument) == (dmp.ERR_NULL_ARGUMENT, "search_response")
    with pytest.raises(dmp.ModelError) as e:
        dmp.consult_build(card, mask, td31(ins).replace(UNIQUE_ID.encode(), b"1.2.3"), now=NOW)
    assert (e.value.field, e.value.value) == ("unique_id", UNIQUE_ID)

    with pytest.raises(dmp.ModelError) as e:
        dmp.consult_build(card, {"actor": medecin, "transaction": {"kind": "peek"}}, now=NOW)
    assert (e.value.code, e.value.path, e.value.argument) == (dmp.ERR_JSON, "transaction.kind", "request_json")
    with pytest.raises(dmp.ArgumentError) as e:
        dmp.consult_build(card, status, now="hier")
    assert e.value.argument == "now_rfc3339"


# ---------------------------------------------------------------------------------------
# Answers


def test_parse_a_search_answer_with_habilitation(ins):
    nurse = actor("ide-ecps")
    answer = dmp.consult_parse_response(SOAP, td31(ins), nurse)
    assert (answer["transaction"], answer["kind"], answer["error"]) == ("TD3.1", "search", None)
    doc = answer["result"]["documents"][0]
    assert (doc["entry_uuid"], doc["unique_id"], doc["status"]) == (ENTRY, UNIQUE_ID, "approved")
    assert doc["habilitation"]["type_code"] == "74207-2"
    with dmp.Matrix() as m:
        reader = dmp.actor_profile_check(nurse)["reader"]
        assert doc["habilitation"] == m.decide(reader, "74207-2")
    assert "habilitation" not in dmp.consult_parse_response(SOAP, td31(ins))["result"]["documents"][0]


def test_a_refusal_is_a_result():
    fault = (REPO / "tests" / "fixtures" / "soap" / "fault-soap12.xml").read_bytes()
    answer = dmp.consult_parse_response(SOAP, fault)
    assert answer["kind"] == "fault"
    assert answer["error"]["code"] == "soap:Sender / dmp:VIHF / DMPVihfInvalide"
    with pytest.raises(dmp.XmlError):
        dmp.consult_parse_response(SOAP, b"<oops")
    # The feed's own reader is unchanged.
    assert dmp.parse_response(SOAP, fault)["outcome"] == "fault"


def test_official_answers():
    status = dmp.consult_parse_response(SOAP, official("TD0.2-Test_d_existence.response.xml"))
    assert status["transaction"] == "TD0.2"
    assert status["result"]["exists"] is True
    assert status["result"]["authorization"] == "VALIDE"
    assert status["result"]["medecin_traitant"] is True
    medecin = actor("medecin-coordonnateur-cps")
    search = dmp.consult_parse_response(SOAP, official("TD3.1-Recherche_de_document.response.xml"), medecin)
    docs = search["result"]["documents"]
    assert len(docs) == 21 and search["result"]["total_result_count"] == 21
    assert docs[0]["unique_id"] == "1.2.250.1.999.1.1.7898.1.995657292"
    assert all(d["habilitation"]["type_code"] == d["type_code"]["code"] for d in docs)
    assert {d["habilitation"]["outcome"] for d in docs} <= {"allowed", "denied", "unknown"}


# ---------------------------------------------------------------------------------------
# TD3.2 documents


@pytest.fixture(scope="module")
def dlu():
    case = json.loads((DATA / "cases" / "dlu.json").read_text(encoding="utf-8"))
    pdf = (DATA / "cases" / "sample.pdf").read_bytes()
    return dmp.cda_build(case["header"], pdf, "application/pdf"), pdf


def test_retrieval_gives_the_exact_bytes(dlu):
    cda, pdf = dlu
    envelope = td32(
        "Success",
        [
            ("1.2.3.4.1", "text/xml", '<xop:Include href="cid:dlu@dmp.example"/>'),
            ("1.2.3.4.2", "text/plain", base64.b64encode(b"Bonjour").decode()),
        ],
    )
    content_type, body = mtom(envelope, {"dlu@dmp.example": cda})
    with dmp.Retrieval(content_type, body) as r:
        assert len(r) == 2
        document, info, n1 = r.document(0)
        assert document == cda and n1 == pdf
        assert info == {
            "unique_id": "1.2.3.4.1",
            "repository_unique_id": "1.2.250.1.213.4.1.1.1.2",
            "home_community_id": None,
            "mime_type": "text/xml",
            "size": len(cda),
            "n1": {"media_type": "application/pdf", "size": len(pdf)},
        }
        assert r.document(-1) == (b"Bonjour", r.document(1)[1], None)
        assert [d[0] for d in r] == [cda, b"Bonjour"]
        with pytest.raises(IndexError):
            r.document(2)
    with pytest.raises(ValueError):
        len(r)
    listed = dmp.consult_parse_response(content_type, body)
    assert (listed["transaction"], listed["kind"]) == ("TD3.2", "retrieve")
    assert listed["result"]["documents"][0]["size"] == len(cda)


def test_retrieval_of_the_official_answer(dlu):
    cda, pdf = dlu
    content_type, body = mtom(
        official("TD3.2-Consultation_d_un_document.response.xml"),
        {"b857abb7-a2c3-4db8-bd69-d5ff76826e72-2@urn:ihe:iti:xds-b:2007": cda},
    )
    with dmp.Retrieval(content_type, body) as r:
        document, info, n1 = r.document(0)
    assert (document, n1) == (cda, pdf)
    assert info["unique_id"] == "1.2.250.1.999.1.1.7898.1.995657292"


def test_retrieval_refused_by_the_dmp(ins):
    fault = (REPO / "tests" / "fixtures" / "soap" / "fault-soap12.xml").read_bytes()
    with pytest.raises(dmp.DmpServerError) as e:
        dmp.Retrieval(SOAP, fault)
    assert e.value.code == dmp.ERR_DMP_REFUSED == 7000
    assert e.value.dmp_error["source"] == "soap:Fault"
    assert e.value.dmp_error["code"] == "soap:Sender / dmp:VIHF / DMPVihfInvalide"
    assert e.value.dmp_error["details"][0]["text"].startswith("Aucune spécialité")
    with pytest.raises(dmp.DmpServerError) as e:
        dmp.Retrieval(SOAP, td32("Failure", []))
    assert e.value.dmp_error["code"] == "Failure"
    with pytest.raises(dmp.ArgumentError) as e:
        dmp.Retrieval(SOAP, td31(ins))
    assert e.value.argument == "body"


# ---------------------------------------------------------------------------------------
# Actor profiles


@pytest.mark.parametrize(
    "name, authentication, vihf_mode, td32",
    [
        ("ehpad-etablissement", "indirecte_certificat_es", "INDIRECTE", False),
        ("ide-ecps", "air", "INDIRECTE_RENFORCEE", True),
        ("kine-liberal-cps", "directe_cps", "DIRECTE", True),
        ("medecin-coordonnateur-cps", "directe_cps", "DIRECTE", True),
    ],
)
def test_actor_profiles(name, authentication, vihf_mode, td32):
    checked = dmp.actor_profile_check(actor(name))
    assert checked["authentication"] == authentication
    assert checked["vihf_mode"] == vihf_mode
    assert ("TD3.2" in checked["allowed_transactions"]) is td32
    assert "TD0.2" in checked["allowed_transactions"]


def test_actor_profile_errors():
    bad = dict(actor("ehpad-etablissement"), card="cps")
    with pytest.raises(dmp.ModelError) as e:
        dmp.actor_profile_check(bad)
    assert (e.value.field, e.value.value) == ("card", "cps in indirecte mode")
    with pytest.raises(dmp.ModelError) as e:
        dmp.actor_profile_check(dict(actor("ide-ecps"), mode="telepathie"))
    assert (e.value.code, e.value.path) == (dmp.ERR_JSON, "mode")


# ---------------------------------------------------------------------------------------
# The README's consultation example runs as written.


def test_readme_consultation_example_runs(monkeypatch):
    readme = (REPO / "bindings" / "python" / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Consult the DMP", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) >= 2
    monkeypatch.chdir(REPO)
    namespace = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)
    assert namespace["info"]["transaction"] == "TD3.1"
