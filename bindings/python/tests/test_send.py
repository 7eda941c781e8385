"""Talking to a DMP from Python: the local sandbox started in-process, requests built by the
library and sent over mutual TLS (127.0.0.1 only), every answer read back; the refusals of the
DMP and of TLS as typed exceptions."""

import json
import urllib.request
from pathlib import Path

import pytest

import dmp

REPO = Path(__file__).resolve().parents[3]
DATA = REPO / "examples" / "data"
ACTORS = DATA / "actors"
PKI = REPO / "examples" / "pki"
CARE_TEAM = {"care_team": {"initial_consent_at": "2026-01-15T09:00:00+01:00", "informed": True}}
DLU_ID = "1.2.250.1.999.1.1.7898.3.1001"
REPOSITORY = "1.2.250.1.213.4.1.1.1.2"


def actor(name):
    return json.loads((ACTORS / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture()
def sandbox(tmp_path):
    with dmp.Sandbox(tmp_path / "dmp", ui_address="127.0.0.1:0") as s:
        yield s


@pytest.fixture(scope="module")
def dlu(dlu_request):
    """The TD2.1 request of the DLU and the INS of its usager."""
    return dlu_request, dlu_request["documents"][0]["header"]["patient"]["ins"]


def client(name, sandbox, **transport):
    """A client for the sample actor `name`, aimed at the sandbox; `transport` overrides
    members of its transport settings."""
    profile = actor(name)
    profile["transport"].update(transport)
    return dmp.Client(profile, ACTORS, endpoint=sandbox.base_url)


def test_round_trip_feed_search_retrieve_mask(sandbox, establishment, card, dlu):
    seal = establishment
    request, ins = dlu
    with client("ehpad-etablissement", sandbox) as ehpad, client(
        "medecin-coordonnateur-cps", sandbox
    ) as doctor:
        # TD0.2 as the EHPAD.
        msg, _ = dmp.consult_build(
            seal, {"actor": actor("ehpad-etablissement"), "transaction": {"kind": "status", "ins": ins}}
        )
        _, outcome = ehpad.send(msg, seal, timeout_ms=30000)
        assert outcome["outcome"] == "accepted"
        assert outcome["response"]["transaction"] == "TD0.2"
        assert outcome["response"]["result"]["authorization"] == "VALIDE"

        # TD2.1 of the DLU, built now with random ids.
        msg, info = dmp.feed_build(seal, request)
        response, outcome = ehpad.send(msg, seal)
        assert outcome == {**outcome, "outcome": "accepted", "attempts": 1, "confirmed_by_check": False}
        assert [d["unique_id"] for d in info["documents"]] == [DLU_ID]
        assert dmp.consult_parse_response(None, response)["error"] is None

        # The same submission again: the DMP's refusal, passed through.
        with pytest.raises(dmp.DmpServerError) as refused:
            ehpad.send(msg, seal)
        assert refused.value.code == dmp.ERR_DMP_REFUSED
        assert refused.value.dmp_error["details"][0]["code"] == "XDSDuplicateUniqueIdInRegistry"

        # TD3.1 as the médecin: the DLU is there, approved, and she may open it.
        me = actor("medecin-coordonnateur-cps")
        search = {
            "kind": "search",
            "ins": ins,
            "query": {"query": "find_documents", "patient": ins},
        }
        msg, _ = dmp.consult_build(card, {"actor": me, "consent": CARE_TEAM, "transaction": search})
        found, outcome = doctor.send(msg, card)
        docs = dmp.consult_parse_response(None, found, me)["result"]["documents"]
        dlu_entry = next(d for d in docs if d["unique_id"] == DLU_ID)
        assert dlu_entry["status"] == "approved"
        assert dlu_entry["habilitation"]["outcome"] == "allowed"

        # TD3.2: the bytes sent come back.
        retrieve = {
            "kind": "retrieve",
            "ins": ins,
            "documents": [{"repository_unique_id": REPOSITORY, "document_unique_id": DLU_ID}],
        }
        msg, _ = dmp.consult_build(card, {"actor": me, "consent": CARE_TEAM, "transaction": retrieve})
        response, _ = doctor.send(msg, card)
        with dmp.Retrieval(None, response) as r:
            cda, doc_info, pdf = r.document(0)
        assert doc_info["unique_id"] == DLU_ID
        assert pdf == (DATA / "cases" / "sample.pdf").read_bytes()
        assert b"74207-2" in cda

        # TD3.3a: she masks it to professionals (the TD3.1 answer gives its current entry).
        mask = {"kind": "mask", "ins": ins, "unique_id": DLU_ID}
        msg, _ = dmp.consult_build(card, {"actor": me, "transaction": mask}, search_response=found)
        _, outcome = doctor.send(msg, card)
        assert outcome["outcome"] == "accepted"
        msg, _ = dmp.consult_build(card, {"actor": me, "consent": CARE_TEAM, "transaction": search})
        found, _ = doctor.send(msg, card)
        entry = next(
            d
            for d in dmp.consult_parse_response(None, found)["result"]["documents"]
            if d["unique_id"] == DLU_ID
        )
        assert "MASQUE_PS" in json.dumps(entry["confidentiality"])

    # The tester's page lists the document and the accesses.
    page = urllib.request.urlopen(sandbox.ui_url, timeout=10).read().decode()
    assert DLU_ID in page and "TD2.1" in page and "TD3.2" in page


@pytest.mark.parametrize(
    "p12, why",
    [("rogue-org-auth-cli.p12", "untrusted"), ("expired-org-auth-cli.p12", "expired")],
)
def test_refused_client_certificates_never_reach_the_dmp(sandbox, establishment, dlu, p12, why):
    seal = establishment
    request, ins = dlu
    certificate = {"p12": str(PKI / p12), "password_file": str(PKI / "PASSWORD")}
    retries = {"attempts": 1, "backoff_ms": 10}
    with client("ehpad-etablissement", sandbox, client_certificate=certificate, retries=retries) as c:
        msg, _ = dmp.feed_build(seal, request)
        with pytest.raises(dmp.TransportError) as e:
            c.send(msg, seal, timeout_ms=20000)
    assert e.value.code == dmp.ERR_NOT_SENT, why
    assert "TLS" in e.value.message


def test_profile_without_transport_is_refused(sandbox):
    with pytest.raises(dmp.TransportError) as e:
        dmp.Client(actor("kine-liberal-cps"), ACTORS, endpoint=sandbox.base_url)
    assert e.value.code == dmp.ERR_TRANSPORT_SETTINGS
    assert e.value.field == "transport"


def test_sandbox_keeps_its_data_across_restarts(tmp_path, establishment, dlu):
    seal = establishment
    request, _ = dlu
    for attempt in range(2):
        with dmp.Sandbox(tmp_path / "dmp") as s, client("ehpad-etablissement", s) as c:
            msg, _ = dmp.feed_build(seal, request)
            if attempt == 0:
                assert c.send(msg, seal)[1]["outcome"] == "accepted"
            else:
                with pytest.raises(dmp.DmpServerError):
                    c.send(msg, seal)


def test_every_transaction_kind_over_the_wire(sandbox, establishment, card, dlu):
    """Each kind of dmp.consult_build, sent to the sandbox and read back: reference search,
    unmask, visibility, archive, unarchive, delete, TD0.3 authorize, TD0.4 list."""
    request, ins = dlu
    me = actor("medecin-coordonnateur-cps")
    with client("ehpad-etablissement", sandbox) as ehpad, client(
        "medecin-coordonnateur-cps", sandbox
    ) as doctor:
        msg, _ = dmp.feed_build(establishment, request)
        assert ehpad.send(msg, establishment)[1]["outcome"] == "accepted"

        def send(transaction, search_response=None, consent=None):
            body = {"actor": me, "transaction": transaction}
            if consent:
                body["consent"] = consent
            msg, _ = dmp.consult_build(card, body, search_response=search_response)
            response, outcome = doctor.send(msg, card)
            assert outcome["outcome"] == "accepted", outcome
            return response, outcome["response"]

        def reference():
            """TD3.1 GetDocuments by uniqueId: the DLU's current entry."""
            query = {"query": "get_documents", "by": {"unique_ids": [DLU_ID]}}
            response, answer = send({"kind": "reference", "ins": ins, "query": query})
            assert answer["transaction"] == "TD3.1"
            return response, next(d for d in answer["result"]["documents"] if d["unique_id"] == DLU_ID)

        found, entry = reference()
        assert entry["status"] == "approved"

        _, answer = send({"kind": "mask", "ins": ins, "unique_id": DLU_ID}, found)
        assert answer["error"] is None
        found, entry = reference()
        assert "MASQUE_PS" in json.dumps(entry["confidentiality"])
        _, answer = send({"kind": "unmask", "ins": ins, "unique_id": DLU_ID}, found)
        found, entry = reference()
        assert "MASQUE_PS" not in json.dumps(entry["confidentiality"])

        _, answer = send(
            {"kind": "visibility", "ins": ins, "unique_id": DLU_ID, "patient": False}, found
        )
        found, entry = reference()
        assert "INVISIBLE_PATIENT" in json.dumps(entry["confidentiality"])

        send({"kind": "archive", "ins": ins, "unique_id": DLU_ID}, found)
        found, entry = reference()
        assert entry["status"] == "archived"
        send({"kind": "unarchive", "ins": ins, "unique_id": DLU_ID}, found)
        found, entry = reference()
        assert entry["status"] == "approved"

        # TD0.3: she declares herself authorised; TD0.4 then lists the usager.
        _, answer = send({"kind": "authorize", "ins": ins, "action": "add"})
        assert answer["transaction"] == "TD0.3" and answer["error"] is None
        _, answer = send(
            {
                "kind": "authorized_list",
                "ins": ins,
                "since": "2020-01-01T00:00:00+01:00",
                "date_type": "last_authorization",
            }
        )
        assert answer["transaction"] == "TD0.4"
        assert ins["matricule"] in json.dumps(answer["result"])

        # TD3.3c: she deletes it; the reference search no longer finds it.
        send({"kind": "delete", "ins": ins, "unique_id": DLU_ID}, found)
        query = {"query": "get_documents", "by": {"unique_ids": [DLU_ID]}}
        _, answer = send({"kind": "reference", "ins": ins, "query": query})
        assert [d for d in answer["result"]["documents"] if d["unique_id"] == DLU_ID] == []
