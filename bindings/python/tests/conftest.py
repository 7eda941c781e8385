"""Fixtures shared by the binding's tests: the repository's sample data and test PKI."""

import base64
import json
from pathlib import Path

import pytest

import dmp

REPO = Path(__file__).resolve().parents[3]
DATA = REPO / "examples" / "data"
PKI = REPO / "examples" / "pki"


def password():
    """The password of every .p12 of the test PKI."""
    return (PKI / "PASSWORD").read_text().strip()


@pytest.fixture(scope="module")
def establishment():
    """The EHPAD's ORG_SIGN seal (indirect mode)."""
    with dmp.Identity.from_p12(PKI / "org-sign.p12", password()) as me:
        yield me


@pytest.fixture(scope="module")
def card():
    """The médecin coordonnateur's CPS signature key (direct mode)."""
    with dmp.Identity.from_p12(PKI / "cps-sign.p12", password()) as me:
        yield me


@pytest.fixture(scope="module")
def dlu_request():
    """The TD2.1 request of examples/data/feed/dlu.json with its DLU inline (header + PDF)."""
    req = json.loads((DATA / "feed" / "dlu.json").read_text(encoding="utf-8"))
    case = json.loads((DATA / "cases" / "dlu.json").read_text(encoding="utf-8"))
    pdf = (DATA / "cases" / "sample.pdf").read_bytes()
    req["documents"] = [
        {
            "header": case["header"],
            "content": {"media_type": "application/pdf", "base64": base64.b64encode(pdf).decode()},
            "comments": "DLU à l'entrée en EHPAD",
        }
    ]
    return req
