"""The Python binding, on the repository's sample data: the operations of
examples/c/essms_demo.c and the error cases of examples/c/test_errors.c."""

import json
import threading
from pathlib import Path

import pytest

import dmp

DATA = Path(__file__).resolve().parents[3] / "examples" / "data"
NURSE = {"profession": {"system": "TRE_G15", "code": "60"}}


@pytest.fixture(scope="module")
def staff():
    return (DATA / "ehpad-staff.json").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def dlu():
    case = json.loads((DATA / "cases" / "dlu.json").read_text(encoding="utf-8"))
    return case["header"], (DATA / "cases" / "sample.pdf").read_bytes()


def test_version_matches_package():
    assert dmp.version() == "0.1.0"


def test_identifiers():
    assert dmp.check_ins("245036912304502", "1.2.250.1.213.1.4.10") == (
        "245036912304502^^^&1.2.250.1.213.1.4.10&ISO^NH"
    )
    assert dmp.check_ins_cx("245036912304502^^^&1.2.250.1.213.1.4.10&ISO^NH") == {
        "matricule": "245036912304502",
        "oid": "1.2.250.1.213.1.4.10",
    }
    assert dmp.check_rpps("10002422979") == "810002422979"
    assert dmp.check_finess("690800123") == "690800123"
    assert dmp.check_idnat("810002422979") == "810002422979"


def test_invalid_identifier_names_field_rule_value():
    with pytest.raises(dmp.ModelError) as e:
        dmp.check_rpps("12345678901")
    err = e.value
    assert err.code == dmp.ERR_INVALID == 2001
    assert err.name == "DMP_ERR_INVALID"
    assert err.field == "rpps"
    assert err.rule
    assert err.value == "12345678901"
    assert "12345678901" in err.message


def test_staff_report(staff):
    with dmp.Matrix() as m:
        text = m.staff_report_text(staff)
        assert "EHPAD Les Tilleuls" in text
        report = m.staff_report(staff)
        assert report["summary"]["people"] == len(json.loads(staff)["staff"])
        assert report["social_rows_in_force"] is False


def test_matrix_decide_and_settings():
    with dmp.Matrix() as m:
        d = m.decide(NURSE, "74207-2")
        assert d["type_code"] == "74207-2"
        assert d["outcome"] in ("allowed", "denied", "unknown")
        assert d["provenance"]["matrix_id"] == m.info()["info"]["id"]
        assert m.readable_types(NURSE)
        with m.with_settings(social_rows_in_force=True) as m2:
            assert m2.info()["settings"]["social_rows_in_force"] is True
        assert m.info()["settings"]["social_rows_in_force"] is False


def test_matrix_from_csv_errors_name_the_line():
    info = {"id": "t", "title": "t", "date": "2026", "legal_basis": "none"}
    csv = "row_id,row_code_system,row_codes,type_code,value\nX,TRE_G15,60,74207-2,Y\nbad\n"
    with pytest.raises(dmp.ModelError) as e:
        dmp.Matrix.from_csv(csv, info)
    assert e.value.code == dmp.ERR_DATA
    assert e.value.line == 3


def test_closed_matrix_is_refused():
    m = dmp.Matrix()
    m.close()
    m.close()
    with pytest.raises(ValueError):
        m.decide(NURSE, "74207-2")


def test_rights():
    r = dmp.rights_decide("indirecte_certificat_es", "non_ps", "normal", "TD2.1")
    assert r["transaction"] == "TD2.1"
    assert r["rows"]
    with pytest.raises(dmp.ModelError) as e:
        dmp.rights_decide("carte_vitale", "non_ps", "normal", "TD2.1")
    assert e.value.field == "auth"


def test_cda_build_and_read(dlu, tmp_path):
    header, pdf = dlu
    xml = dmp.cda_build(header, pdf, "application/pdf")
    assert xml.startswith(b"<?xml")
    (tmp_path / "dlu.xml").write_bytes(xml)
    record, body = dmp.cda_read(xml)
    assert body == pdf
    assert record["content"] == {"media_type": "application/pdf", "bytes": len(pdf)}
    assert record["model_error"] is None
    # The validated model goes straight back into the builder, same bytes.
    assert dmp.cda_build(record["model"], pdf, "application/pdf") == xml
    record2, none = dmp.cda_read(xml, content=False)
    assert none is None and record2 == record


def test_cda_json_error_names_the_path(dlu):
    header, pdf = dlu
    bad = json.loads(json.dumps(header))
    bad["patient"]["ins"]["matricule"] = "245036912304503"
    with pytest.raises(dmp.ModelError) as e:
        dmp.cda_build(bad, pdf, "application/pdf")
    assert e.value.code == dmp.ERR_JSON
    assert e.value.path == "patient.ins"
    assert e.value.argument == "header_json"
    with pytest.raises(dmp.ModelError) as e:
        dmp.cda_build(header, pdf, "application/msword")
    assert e.value.field == "media_type"
    with pytest.raises(dmp.ModelError):
        dmp.cda_build(header, b"", "application/pdf")


def test_staff_json_error_names_the_path(staff):
    broken = staff.replace("899900100027", "899900100028", 1)
    with dmp.Matrix() as m, pytest.raises(dmp.ModelError) as e:
        m.staff_report(broken)
    assert e.value.code == dmp.ERR_JSON
    assert e.value.path == "staff[1].idnat"
    assert e.value.line > 1


def test_xml_errors():
    with pytest.raises(dmp.XmlError) as e:
        dmp.cda_read(b"<not-closed")
    assert e.value.code == dmp.ERR_XML


def test_invalid_utf8_is_an_argument_error():
    with pytest.raises(dmp.ArgumentError) as e:
        dmp.check_rpps(b"1000242297\xff")
    assert e.value.code == dmp.ERR_INVALID_UTF8
    assert e.value.argument == "rpps"


def test_nul_inside_a_string_is_refused_before_the_call():
    with pytest.raises(ValueError):
        dmp.check_rpps("100\x0024")


def test_threads_share_one_matrix(staff, dlu):
    header, pdf = dlu
    errors = []
    with dmp.Matrix() as m:
        expected = m.staff_report(staff)
        expected_xml = dmp.cda_build(header, pdf, "application/pdf")

        def work():
            try:
                for _ in range(5):
                    assert m.staff_report(staff) == expected
                    assert dmp.cda_build(header, pdf, "application/pdf") == expected_xml
                    with pytest.raises(dmp.ModelError):
                        dmp.check_rpps("12345678901")
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors, errors


# ---------------------------------------------------------------------------------------
# Signing identity and TD2.1


REPO = DATA.parents[1]
PKI = REPO / "examples" / "pki"
NOW = "2026-11-20T15:00:00+01:00"


def _password():
    return (PKI / "PASSWORD").read_text().strip()


def _trust():
    return (PKI / "root.pem").read_text() + (PKI / "org-ca.pem").read_text()


def test_identity_from_path_and_bytes():
    with dmp.Identity.from_p12(PKI / "org-sign.p12", _password()) as me:
        info = me.info()
    assert info["kind"] == "pkcs12"
    assert info["structure_id"] == "1690800123"
    assert info["subject"].startswith("CN=EHPAD Les Tilleuls - cachet")
    with dmp.Identity.from_p12((PKI / "org-sign.p12").read_bytes(), _password()) as me:
        assert me.info()["serial"] == info["serial"]
    with pytest.raises(ValueError):
        me.info()


def test_identity_wrong_password():
    with pytest.raises(dmp.CertificateError) as e:
        dmp.Identity.from_p12(PKI / "org-sign.p12", "not the password")
    assert e.value.code == 4000
    assert e.value.name == "DMP_ERR_KEY"
    assert e.value.record["what"] == "password"
    with pytest.raises(dmp.ArgumentError) as e:
        dmp.Identity.from_p12(PKI / "no-such.p12", _password())
    assert e.value.argument == "path"


def test_feed_build_and_check(dlu_request):
    with dmp.Identity.from_p12(PKI / "org-sign.p12", _password()) as me:
        message, info = dmp.feed_build(me, dlu_request, now=NOW, seed=42)
        again, _ = dmp.feed_build(me, dlu_request, now=NOW, seed=42)
        _, random_info = dmp.feed_build(me, dlu_request)
    assert message == again
    assert random_info["seed"] != 0
    assert info["path"] == "/si-dmp-server/v2/services/repository"
    assert info["content_type"].startswith("multipart/related")
    assert info["documents"][0]["unique_id"] == dlu_request["documents"][0]["header"]["id"]
    report = dmp.feed_check(message, _trust(), at=NOW)
    assert report["ok"] is True, report["text"]
    assert all(s["chain"]["status"] == "trusted" for s in report["signatures"])
    assert dmp.feed_check(message)["signatures"][0]["chain"]["status"] == "not_checked"
    tampered = message.replace(b"<title>Dossier de liaison", b"<title>dossier de liaison")
    assert dmp.feed_check(tampered, _trust(), at=NOW)["ok"] is False


def test_feed_build_errors(dlu_request):
    with dmp.Identity.from_p12(PKI / "org-sign.p12", _password()) as me:
        by_file = json.loads((DATA / "feed" / "dlu.json").read_text(encoding="utf-8"))
        with pytest.raises(dmp.ModelError) as e:
            dmp.feed_build(me, by_file, now=NOW)
        assert e.value.field == "documents[0].case"
        bad = dict(dlu_request, environment="staging")
        with pytest.raises(dmp.ModelError) as e:
            dmp.feed_build(me, bad, now=NOW)
        assert e.value.path == "environment"
        with pytest.raises(dmp.ArgumentError):
            dmp.feed_build(me, dlu_request, now="yesterday")
    with dmp.Identity.from_p12(PKI / "expired-org-sign.p12", _password()) as old:
        with pytest.raises(dmp.CertificateError) as e:
            dmp.feed_build(old, dlu_request, now=NOW)
        assert e.value.record["what"] == "usage"


def test_parse_response():
    fixtures = REPO / "tests" / "fixtures"
    failure = dmp.parse_response(
        "application/soap+xml; charset=UTF-8",
        (fixtures / "xds" / "failure-several-errors.response.xml").read_bytes(),
    )
    assert failure["outcome"] == "failure"
    assert len(failure["errors"]) >= 2
    assert {"code", "context", "severity", "location"} <= set(failure["errors"][0])
    fault = dmp.parse_response(
        "application/soap+xml", (fixtures / "soap" / "fault-soap12.xml").read_bytes()
    )
    assert fault["outcome"] == "fault"
    assert fault["fault"]["reasons"]
    with pytest.raises(dmp.DmpError):
        dmp.parse_response("application/soap+xml", b"<oops")
