"""Pilotage from Python: the deposit plan and the indicators of the sample EHPAD year give
the documents of tests/golden/pilotage/, and errors name the field as written."""

import json

import pytest

import dmp
from conftest import DATA, REPO

NOW = "2026-12-01T09:00:00+01:00"
GOLDEN = REPO / "tests" / "golden" / "pilotage"


@pytest.fixture(scope="module")
def facts():
    return (DATA / "facts" / "ehpad.json").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def plan():
    return json.loads((DATA / "plans" / "ehpad.json").read_text(encoding="utf-8"))


def test_due_gives_the_golden_list(facts, plan):
    answer = dmp.due(plan, facts, now=NOW)
    assert answer == json.loads((GOLDEN / "ehpad-due.json").read_text(encoding="utf-8"))
    assert answer["current_usagers"] == 25
    first = answer["items"][0]
    assert (first["label"], first["kind"], first["status"]) == (
        "R-013",
        "projet_personnalise",
        "overdue",
    )


def test_indicators_in_the_three_formats(facts, plan):
    period = dict(date_from="2026-01-01", date_to="2026-11-30", now=NOW, plan=plan)
    ind = dmp.indicators(facts, **period)
    assert ind == json.loads((GOLDEN / "ehpad-indicators.json").read_text(encoding="utf-8"))
    assert ind["dmp_fed"] == 29
    assert {k["kind"]: k["count"] for k in ind["by_kind"]}["dlu"] == 70
    golden_csv = (GOLDEN / "ehpad-indicators.csv").read_bytes().decode("utf-8")
    assert dmp.indicators(facts, format="csv", **period) == golden_csv
    html = dmp.indicators(facts, format="html", **period)
    assert html == (GOLDEN / "ehpad-indicators.html").read_text(encoding="utf-8")
    assert "<svg" in html and "DMP alimentés" in html


def test_errors_name_the_field(facts, plan):
    broken = json.loads(json.dumps(plan))
    broken["documents"][0]["on"][0]["within"] = "15 dys"
    with pytest.raises(dmp.ModelError) as e:
        dmp.due(broken, facts, now=NOW)
    assert e.value.record["path"] == "documents[0].on[0].within"
    with pytest.raises(dmp.ArgumentError) as e:
        dmp.indicators(facts, format="pdf")
    assert e.value.record["argument"] == "format"
    with pytest.raises(dmp.ModelError) as e:
        dmp.indicators(facts, dlu_window="3 moons")
    assert "unknown unit" in e.value.record["message"]
