"""Finding and declaring the shared library (ctypes)."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import subprocess
import sys
from ctypes import POINTER, c_bool, c_char_p, c_size_t, c_uint32, c_uint64, c_void_p
from pathlib import Path

_HERE = Path(__file__).resolve().parent

if sys.platform == "win32":
    _FILE_NAMES = ["dmp.dll"]
elif sys.platform == "darwin":
    _FILE_NAMES = ["libdmp.dylib"]
else:
    _FILE_NAMES = ["libdmp.so"]


def _pkg_config_libdir() -> str | None:
    """The `libdir` of the dmp.pc installed by dmp-ffi/install.sh, if pkg-config finds one."""
    tool = shutil.which("pkg-config")
    if tool is None:
        return None
    try:
        out = subprocess.run(
            [tool, "--variable=libdir", "dmp"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    libdir = out.stdout.strip()
    return libdir if out.returncode == 0 and libdir else None


def _candidates() -> list[tuple[str, str]]:
    """Where the library is looked for, in order, as (how, path-or-name)."""
    found: list[tuple[str, str]] = []
    env = os.environ.get("DMP_LIBRARY")
    if env:
        found.append(("DMP_LIBRARY", env))
    for name in _FILE_NAMES:
        found.append(("next to the package", str(_HERE / name)))
    libdir = _pkg_config_libdir()
    if libdir:
        for name in _FILE_NAMES:
            found.append(("pkg-config --variable=libdir dmp", str(Path(libdir) / name)))
    system = ctypes.util.find_library("dmp")
    if system:
        found.append(("ctypes.util.find_library", system))
    for name in _FILE_NAMES:
        found.append(("system search path", name))
    # Developers: a cargo build of the repository this package sits in.
    repo = _HERE.parents[2]
    targets = []
    if os.environ.get("CARGO_TARGET_DIR"):
        targets.append(Path(os.environ["CARGO_TARGET_DIR"]))
    targets.append(repo / "target")
    for target in targets:
        for profile in ("debug", "release"):
            for name in _FILE_NAMES:
                found.append((f"cargo {profile} build", str(target / profile / name)))
    return found


def _load() -> ctypes.CDLL:
    tried = []
    for how, where in _candidates():
        is_path = os.sep in where or (os.altsep is not None and os.altsep in where)
        try:
            if is_path and not os.path.exists(where):
                raise OSError("absent")
            return ctypes.CDLL(where)
        except OSError as e:
            tried.append(f"{how}: {where} ({e})")
            if how == "DMP_LIBRARY":
                break  # an explicit choice that fails must not fall back silently
    raise OSError(
        "cannot load the dmp shared library: install the package from the repository "
        "(pip install bindings/python builds it in), install libdmp (dmp-ffi/install.sh) or set "
        "DMP_LIBRARY to its path. Tried:\n  "
        + "\n  ".join(tried)
    )


lib = _load()

_RESULT = c_uint32
_OUT = POINTER(c_void_p)

# (name, restype, argtypes)
_SIGNATURES = [
    ("dmp_version", c_char_p, []),
    ("dmp_last_error_message", _RESULT, [c_char_p, c_size_t, POINTER(c_size_t)]),
    ("dmp_last_error_json", _RESULT, [c_char_p, c_size_t, POINTER(c_size_t)]),
    ("dmp_last_error_code", _RESULT, []),
    ("dmp_result_name", c_char_p, [c_uint32]),
    ("dmp_bytes_data", c_void_p, [c_void_p]),
    ("dmp_bytes_len", c_size_t, [c_void_p]),
    ("dmp_bytes_free", None, [c_void_p]),
    ("dmp_check_ins", _RESULT, [c_char_p, c_char_p, _OUT]),
    ("dmp_check_ins_cx", _RESULT, [c_char_p, _OUT]),
    ("dmp_check_rpps", _RESULT, [c_char_p, _OUT]),
    ("dmp_check_finess", _RESULT, [c_char_p, _OUT]),
    ("dmp_check_idnat", _RESULT, [c_char_p, _OUT]),
    ("dmp_matrix_new_default", _RESULT, [_OUT]),
    ("dmp_matrix_new_from_csv", _RESULT, [c_char_p, c_char_p, _OUT]),
    ("dmp_matrix_new_from_json", _RESULT, [c_char_p, _OUT]),
    ("dmp_matrix_with_settings", _RESULT, [c_void_p, c_char_p, _OUT]),
    ("dmp_matrix_info", _RESULT, [c_void_p, _OUT]),
    ("dmp_matrix_decide", _RESULT, [c_void_p, c_char_p, c_char_p, _OUT]),
    ("dmp_matrix_readable_types", _RESULT, [c_void_p, c_char_p, _OUT]),
    ("dmp_matrix_free", None, [c_void_p]),
    ("dmp_rights_decide", _RESULT, [c_char_p, c_char_p, c_char_p, c_char_p, _OUT]),
    ("dmp_staff_report", _RESULT, [c_void_p, c_char_p, _OUT]),
    ("dmp_staff_report_text", _RESULT, [c_void_p, c_char_p, _OUT]),
    ("dmp_cda_build", _RESULT, [c_char_p, c_char_p, c_size_t, c_char_p, _OUT]),
    ("dmp_cda_read", _RESULT, [c_char_p, c_size_t, _OUT, _OUT]),
    ("dmp_identity_new_from_p12", _RESULT, [c_char_p, c_size_t, c_char_p, _OUT]),
    ("dmp_identity_new_from_p12_file", _RESULT, [c_char_p, c_char_p, _OUT]),
    ("dmp_identity_info", _RESULT, [c_void_p, _OUT]),
    ("dmp_identity_free", None, [c_void_p]),
    ("dmp_feed_build", _RESULT, [c_void_p, c_char_p, c_char_p, c_uint64, _OUT, _OUT]),
    ("dmp_feed_check", _RESULT, [c_char_p, c_size_t, c_char_p, c_char_p, _OUT]),
    ("dmp_feed_parse_response", _RESULT, [c_char_p, c_char_p, c_size_t, _OUT]),
    (
        "dmp_consult_build",
        _RESULT,
        [c_void_p, c_char_p, c_char_p, c_size_t, c_char_p, c_uint64, _OUT, _OUT],
    ),
    ("dmp_consult_parse_response", _RESULT, [c_char_p, c_char_p, c_size_t, c_char_p, _OUT]),
    ("dmp_retrieval_parse", _RESULT, [c_char_p, c_char_p, c_size_t, _OUT]),
    ("dmp_retrieval_count", c_size_t, [c_void_p]),
    ("dmp_retrieval_document", _RESULT, [c_void_p, c_size_t, _OUT, _OUT, _OUT]),
    ("dmp_retrieval_free", None, [c_void_p]),
    ("dmp_actor_profile_check", _RESULT, [c_char_p, _OUT]),
    ("dmp_client_new", _RESULT, [c_char_p, c_char_p, c_char_p, _OUT]),
    ("dmp_client_free", None, [c_void_p]),
    ("dmp_send", _RESULT, [c_void_p, c_void_p, c_char_p, c_size_t, c_uint32, _OUT, _OUT]),
    ("dmp_sandbox_start", _RESULT, [c_char_p, c_char_p, _OUT]),
    ("dmp_sandbox_base_url", c_char_p, [c_void_p]),
    ("dmp_sandbox_ui_url", c_char_p, [c_void_p]),
    ("dmp_sandbox_free", None, [c_void_p]),
    ("dmp_due", _RESULT, [c_char_p, c_char_p, c_char_p, _OUT]),
    ("dmp_indicators", _RESULT, [c_char_p, c_char_p, c_char_p, _OUT]),
    ("dmp_journal_open", _RESULT, [c_char_p, c_char_p, c_size_t, _OUT]),
    ("dmp_journal_free", None, [c_void_p]),
    ("dmp_journal_deposit", _RESULT, [c_void_p, c_char_p, c_char_p, _OUT]),
    ("dmp_journal_flush", _RESULT, [c_void_p, c_void_p, c_void_p, _OUT]),
    ("dmp_journal_status", _RESULT, [c_void_p, _OUT]),
    ("dmp_journal_record_consent", _RESULT, [c_void_p, c_char_p, c_char_p, _OUT]),
    (
        "dmp_journal_consult",
        _RESULT,
        [c_void_p, c_void_p, c_void_p, c_char_p, c_bool, _OUT, _OUT],
    ),
    ("dmp_journal_record_event", _RESULT, [c_void_p, c_char_p, c_char_p, c_char_p]),
    ("dmp_journal_register_usager", _RESULT, [c_void_p, c_char_p, c_char_p, c_char_p, _OUT]),
    ("dmp_journal_facts", _RESULT, [c_void_p, c_char_p, c_char_p, _OUT]),
    ("dmp_journal_export_usager", _RESULT, [c_void_p, c_char_p, _OUT]),
]

for _name, _restype, _argtypes in _SIGNATURES:
    _f = getattr(lib, _name)
    _f.restype = _restype
    _f.argtypes = _argtypes

for _band in ("argument", "model", "habilitation", "key", "xml", "transport", "dmp", "journal"):
    _f = getattr(lib, f"dmp_result_is_{_band}_error")
    _f.restype = c_bool
    _f.argtypes = [c_uint32]

path = getattr(lib, "_name", None)
