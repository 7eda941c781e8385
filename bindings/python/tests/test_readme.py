"""The Python snippets of the READMEs run as written: each README's ```python blocks, in
order, in one namespace (a later block continues the earlier ones, as a reader would), from
a scratch directory that sees the repository's examples/ and tests/ (the snippets write files
such as dlu.xml, which must not land in the tree)."""

import contextlib
import io
import os
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def snippets(readme: Path) -> list:
    return re.findall(r"^```python\n(.*?)^```", readme.read_text(encoding="utf-8"), re.S | re.M)


def run_readme(readme: Path, tmp_path: Path, monkeypatch) -> tuple:
    """Runs every snippet of `readme`; (namespace, printed text, number of snippets)."""
    for linked in ("examples", "tests"):
        os.symlink(REPO / linked, tmp_path / linked)
    monkeypatch.chdir(tmp_path)
    blocks = snippets(readme)
    namespace: dict = {}
    out = io.StringIO()
    for i, block in enumerate(blocks, 1):
        with contextlib.redirect_stdout(out):
            exec(compile(block, f"{readme.relative_to(REPO)} snippet {i}", "exec"), namespace)
    return namespace, out.getvalue(), len(blocks)


def test_binding_readme(tmp_path, monkeypatch):
    ns, printed, count = run_readme(REPO / "bindings" / "python" / "README.md", tmp_path, monkeypatch)
    assert count == 7
    assert (tmp_path / "dlu.xml").read_bytes() == ns["xml"]
    assert ns["xml"].startswith(b"<?xml")
    assert ns["report"]["ok"] is True and ns["report"]["problems"] == []
    assert ns["info"]["transaction"] == "TD3.1"
    assert ns["answer"]["kind"] == "fault"
    assert "consent - " in printed
    assert "DMPVihfInvalide" in printed
    assert "14 people: 14 may feed, 5 may consult" in printed
    assert "rpps Luhn key (11th digit) is wrong" in printed


def test_main_readme(tmp_path, monkeypatch):
    ns, printed, count = run_readme(REPO / "README.md", tmp_path, monkeypatch)
    assert count == 1
    assert printed.strip() == "TD0.2 accepted"
    assert ns["outcome"]["response"]["transaction"] == "TD0.2"
