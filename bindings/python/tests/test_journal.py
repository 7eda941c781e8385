"""The establishment's journal from Python: a DLU journaled, flushed to the in-process sandbox
over mutual TLS, the facts read back; consultation through the consent register; the errors
of the journal band."""

import json
from pathlib import Path

import pytest

import dmp

REPO = Path(__file__).resolve().parents[3]
ACTORS = REPO / "examples" / "data" / "actors"
#: TEST ONLY: the key of the samples (a DUI keeps 32 random bytes per establishment secret).
KEY = (REPO / "examples" / "data" / "journal" / "TEST-ONLY-establishment.key").read_bytes()
DLU_ID = "1.2.250.1.999.1.1.7898.3.1001"


def actor(name):
    return json.loads((ACTORS / f"{name}.json").read_text(encoding="utf-8"))


def ins_cx(ins):
    return dmp.check_ins(ins["matricule"], ins["oid"])


def test_deposit_flush_facts_and_consult_against_the_sandbox(
    tmp_path, establishment, card, dlu_request
):
    ins = ins_cx(dlu_request["documents"][0]["header"]["patient"]["ins"])
    with dmp.Sandbox(tmp_path / "dmp") as sandbox, dmp.Journal(
        tmp_path / "journal.sqlite", KEY
    ) as journal, dmp.Client(
        actor("ehpad-etablissement"), ACTORS, endpoint=sandbox.base_url
    ) as ehpad, dmp.Client(
        actor("medecin-coordonnateur-cps"), ACTORS, endpoint=sandbox.base_url
    ) as doctor:
        first = journal.deposit(dlu_request, {"author_role": "médecin coordonnateur"})
        assert first == [{"document": 0, "deposit": 1, "enqueued": "new", "supersedes": None}]
        assert journal.deposit(dlu_request)[0]["enqueued"] == "same"
        assert [d["state"] for d in journal.status()] == ["queued"]

        report = journal.flush(ehpad, establishment)
        assert report["accepted"] == [1]
        assert report["settled"] is True
        assert journal.flush(ehpad, establishment)["accepted"] == []
        (deposit,) = journal.status()
        assert (deposit["state"], deposit["attempts"], deposit["unique_id"]) == ("accepted", 1, DLU_ID)
        assert len(deposit["usager"]) == 64

        # Consultation under the register: blocked, then sent once the consent is recorded.
        search = {
            "actor": actor("medecin-coordonnateur-cps"),
            "transaction": {
                "kind": "search",
                "ins": dlu_request["documents"][0]["header"]["patient"]["ins"],
                "query": {"query": "find_documents", "patient": dlu_request["documents"][0]["header"]["patient"]["ins"]},
            },
        }
        with pytest.raises(dmp.JournalError) as blocked:
            journal.consult(doctor, card, search, care_team=True)
        assert blocked.value.code == dmp.ERR_CONSULTATION_BLOCKED
        assert blocked.value.field == "consent.care_team.initial_consent_at"
        for scope in ("care_team", "information"):
            stored = journal.record_consent(
                ins, {"scope": scope, "collected_by": "899900100019", "at": "2026-01-15T10:00:00+01:00"}
            )
            assert stored["usager"] == deposit["usager"]
        _, outcome = journal.consult(doctor, card, search, care_team=True)
        assert outcome["outcome"] == "accepted"
        # The sandbox seeds hospital documents beside the DLU just deposited.
        assert DLU_ID in [d["unique_id"] for d in outcome["response"]["result"]["documents"]]

        journal.record_event(ins, "admission", "2026-01-15T10:00:00+01:00")
        assert journal.register_usager(ins, "Dossier 123", "EHPAD") == deposit["usager"]

        facts = journal.facts()
        assert [(d["kind"], d["status"], d["author_role"]) for d in facts["deposits"]] == [
            ("dlu", "accepted", "médecin coordonnateur")
        ]
        assert [c["outcome"] for c in facts["consultations"]] == ["blocked", "accepted"]
        assert facts["usagers"] == [{"key": deposit["usager"], "label": "Dossier 123", "setting": "EHPAD"}]
        assert journal.facts("2000-01-01T00:00:00Z", "2000-02-01T00:00:00Z")["deposits"] == []

        export = journal.export_usager(ins)
        assert len(export["consents"]) == 2 and len(export["consultations"]) == 2


def test_journal_errors(tmp_path):
    with pytest.raises(dmp.ModelError) as short:
        dmp.Journal(tmp_path / "j.sqlite", b"too short")
    assert short.value.field == "journal key"
    with pytest.raises(dmp.JournalError) as store:
        dmp.Journal(tmp_path / "no" / "such" / "dir" / "j.sqlite", KEY)
    assert store.value.code == dmp.ERR_JOURNAL_STORE
    with dmp.Journal(tmp_path / "j.sqlite", KEY) as journal:
        with pytest.raises(dmp.ModelError) as misspelt:
            journal.record_consent(
                "245036912304502^^^&1.2.250.1.213.1.4.10&ISO^NH",
                {"scope": "care_team", "colected_by": "x", "at": "2026-01-15T10:00:00+01:00"},
            )
        assert misspelt.value.code == dmp.ERR_JSON
        assert "colected_by" in misspelt.value.message
        with pytest.raises(dmp.ArgumentError):
            journal.record_event("245036912304502^^^&1.2.250.1.213.1.4.10&ISO^NH", "birthday")
    with pytest.raises(ValueError):
        journal.status()
