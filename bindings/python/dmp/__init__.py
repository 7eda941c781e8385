"""Python binding of libdmp: feed and consult the DMP from ESSMS software.

A thin ctypes layer over the C ABI (``include/dmp.h``): no compiled extension. Error codes
become exceptions (:class:`DmpError` and one subclass per band), JSON outputs become
``dict``/``list``, byte outputs ``bytes``.

>>> import dmp
>>> dmp.check_ins("245036912304502", "1.2.250.1.213.1.4.10")
'245036912304502^^^&1.2.250.1.213.1.4.10&ISO^NH'

The library is looked for, in this order: the ``DMP_LIBRARY`` environment variable (a
path), next to this package (where ``pip install bindings/python`` puts it), the ``libdir`` of
``pkg-config dmp`` (an install by ``dmp-ffi/install.sh``), ``ctypes.util.find_library("dmp")``
and the system search path, then (developers) ``$CARGO_TARGET_DIR`` and ``<repo>/target``
``{debug,release}``.
"""

from __future__ import annotations

import ctypes
import json
import os
from ctypes import byref, c_size_t, c_void_p
from typing import Any, Iterator, Optional, TypeVar, Union

from . import _native

__all__ = [
    "DmpError",
    "ArgumentError",
    "ModelError",
    "HabilitationError",
    "CertificateError",
    "XmlError",
    "TransportError",
    "DmpServerError",
    "JournalError",
    "Matrix",
    "version",
    "library_path",
    "check_ins",
    "check_ins_cx",
    "check_rpps",
    "check_finess",
    "check_idnat",
    "rights_decide",
    "cda_build",
    "cda_read",
    "Identity",
    "feed_build",
    "feed_check",
    "parse_response",
    "consult_build",
    "consult_parse_response",
    "Retrieval",
    "actor_profile_check",
    "Client",
    "Sandbox",
    "due",
    "indicators",
    "Journal",
]

_lib = _native.lib

#: Result codes of this version (see ``dmp_result`` in dmp.h).
OK = 0
ERR_NULL_ARGUMENT = 1000
ERR_INVALID_UTF8 = 1001
ERR_BUFFER_TOO_SMALL = 1002
ERR_INVALID_ARGUMENT = 1003
ERR_PANIC = 1999
ERR_JSON = 2000
ERR_INVALID = 2001
ERR_DATA = 2002
ERR_KEY = 4000
ERR_XML = 5000
ERR_TRANSPORT_SETTINGS = 6000
ERR_NOT_SENT = 6001
ERR_OUTCOME_UNKNOWN = 6002
ERR_SANDBOX = 6003
ERR_DMP_REFUSED = 7000
ERR_JOURNAL_STORE = 8000
ERR_CONSULTATION_BLOCKED = 8001
ERR_JOURNAL_UNKNOWN_DEPOSIT = 8002


class DmpError(Exception):
    """An error reported by libdmp.

    Attributes: ``code`` (int), ``name`` (``"DMP_ERR_INVALID"``…), ``message``, and when they
    apply ``argument`` (the C argument at fault), ``field``, ``rule``, ``value`` (a broken
    model rule), ``path``, ``line``, ``column`` (where in a JSON input), ``source``,
    ``dmp_error`` (the DMP's own refusal, :class:`DmpServerError`); ``record`` is the whole
    last-error JSON record.
    """

    def __init__(self, record: dict):
        self.record = record
        self.code: int = record.get("code", -1)
        self.name: str = record.get("name", "")
        self.message: str = record.get("message", "")
        self.argument: Optional[str] = record.get("argument")
        self.field: Optional[str] = record.get("field")
        self.rule: Optional[str] = record.get("rule")
        self.value: Optional[str] = record.get("value")
        self.path: Optional[str] = record.get("path")
        self.line: Optional[int] = record.get("line")
        self.column: Optional[int] = record.get("column")
        self.source: Optional[str] = record.get("source")
        self.dmp_error: Optional[dict] = record.get("dmp_error")
        super().__init__(f"{self.name} ({self.code}): {self.message}")


class ArgumentError(DmpError):
    """1xxx: NULL or non-UTF-8 argument, buffer too small, caught panic."""


class ModelError(DmpError):
    """2xxx: JSON input or model validation (field, rule, value, JSON path)."""


class HabilitationError(DmpError):
    """3xxx: habilitation or functional-rights refusal (reserved)."""


class CertificateError(DmpError):
    """4xxx: key, certificate, PKCS#12, signer (``record["what"]`` says which)."""


class XmlError(DmpError):
    """5xxx: XML or signature."""


class TransportError(DmpError):
    """6xxx: transport, TLS, the local sandbox: ``ERR_TRANSPORT_SETTINGS`` (6000, the profile's
    ``transport`` cannot be used: ``field``), ``ERR_NOT_SENT`` (6001: nothing reached the DMP,
    may be sent again), ``ERR_OUTCOME_UNKNOWN`` (6002: may have reached it: search the DMP
    before sending again), ``ERR_SANDBOX`` (6003)."""


class DmpServerError(DmpError):
    """7xxx: the DMP refused where a result was needed (``ERR_DMP_REFUSED``, 7000: a SOAP
    fault or a Failure status read by :class:`Retrieval`). Its codes and texts, verbatim, are
    in ``dmp_error``: ``{"source": "soap:Fault"|…, "code": "…", "details": [{"code", "text"}]}``."""


class JournalError(DmpError):
    """8xxx: the establishment's journal: ``ERR_JOURNAL_STORE`` (8000, the SQLite file cannot
    be opened, written or read: ``record["place"]``), ``ERR_CONSULTATION_BLOCKED`` (8001: the
    consent register does not cover the consultation, nothing sent, journaled as blocked:
    ``field``, ``rule``), ``ERR_JOURNAL_UNKNOWN_DEPOSIT`` (8002)."""


_BANDS = {
    1: ArgumentError,
    2: ModelError,
    3: HabilitationError,
    4: CertificateError,
    5: XmlError,
    6: TransportError,
    7: DmpServerError,
    8: JournalError,
}


def _last_error_record() -> dict:
    n = c_size_t(0)
    _lib.dmp_last_error_json(None, 0, byref(n))
    buf = ctypes.create_string_buffer(n.value + 1)
    rc = _lib.dmp_last_error_json(buf, len(buf), byref(n))
    if rc != OK:
        return {"code": _lib.dmp_last_error_code(), "message": "(last error unavailable)"}
    return json.loads(buf.value.decode("utf-8"))


def _check(rc: int) -> None:
    if rc == OK:
        return
    record = _last_error_record()
    if record.get("code") != rc:  # should not happen: the record is per thread
        name = _lib.dmp_result_name(rc).decode()
        record = {"code": rc, "name": name, "message": name}
    raise _BANDS.get(rc // 1000, DmpError)(record)


_Text = Union[str, bytes]


def _c(s: _Text, what: str) -> bytes:
    """A str as NUL-terminated UTF-8 (bytes are passed as given, for callers who hold UTF-8)."""
    b = s.encode("utf-8") if isinstance(s, str) else bytes(s)
    if b"\0" in b:
        raise ValueError(f"{what} must not contain NUL characters")
    return b


def _json_arg(v: Union[str, bytes, dict, list], what: str) -> bytes:
    if isinstance(v, (dict, list)):
        v = json.dumps(v, ensure_ascii=False)
    return _c(v, what)


def _take(ptr: c_void_p) -> Optional[bytes]:
    """Copies and frees a dmp_bytes (None for NULL)."""
    if not ptr.value:
        return None
    try:
        n = _lib.dmp_bytes_len(ptr)
        data = _lib.dmp_bytes_data(ptr)
        return ctypes.string_at(data, n) if n else b""
    finally:
        _lib.dmp_bytes_free(ptr)


def _take_json(ptr: c_void_p) -> Any:
    data = _take(ptr)
    return None if data is None else json.loads(data.decode("utf-8"))


def version() -> str:
    """The version of the loaded library."""
    return _lib.dmp_version().decode()


def library_path() -> str:
    """Where the loaded library came from."""
    return str(_native.path)


# ---------------------------------------------------------------------------------------
# Identifiers


def check_ins(matricule: _Text, oid: _Text) -> str:
    """Checks an INS (matricule + one of the four INS OIDs); returns its HL7 CX form."""
    out = c_void_p()
    _check(_lib.dmp_check_ins(_c(matricule, "matricule"), _c(oid, "oid"), byref(out)))
    return _take(out).decode()


def check_ins_cx(cx: _Text) -> dict:
    """Checks an INS in CX form; returns ``{"matricule": …, "oid": …}``."""
    out = c_void_p()
    _check(_lib.dmp_check_ins_cx(_c(cx, "cx"), byref(out)))
    return _take_json(out)


def check_rpps(rpps: _Text) -> str:
    """Checks an RPPS number; returns the IdNat_PS (``8`` + RPPS)."""
    out = c_void_p()
    _check(_lib.dmp_check_rpps(_c(rpps, "rpps"), byref(out)))
    return _take(out).decode()


def check_finess(finess: _Text) -> str:
    """Checks a FINESS number; returns its canonical form."""
    out = c_void_p()
    _check(_lib.dmp_check_finess(_c(finess, "finess"), byref(out)))
    return _take(out).decode()


def check_idnat(idnat: _Text) -> str:
    """Checks an IdNat_PS; returns its canonical form."""
    out = c_void_p()
    _check(_lib.dmp_check_idnat(_c(idnat, "idnat"), byref(out)))
    return _take(out).decode()


# ---------------------------------------------------------------------------------------
# Habilitation


_H = TypeVar("_H", bound="_Handle")


class _Handle:
    """An owned libdmp handle: released by ``close()``, a ``with`` block or garbage collection."""

    _free = None  # the libdmp function that releases this kind of handle
    _what = "handle"

    def __init__(self, handle: c_void_p):
        self._handle: Optional[c_void_p] = handle

    def _live(self) -> c_void_p:
        if self._handle is None:
            raise ValueError(f"the {self._what} is closed")
        return self._handle

    def close(self) -> None:
        """Releases the handle (idempotent)."""
        h, self._handle = self._handle, None
        if h is not None:
            type(self)._free(h)

    def __enter__(self: _H) -> _H:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass


class Matrix(_Handle):
    """A habilitation (consultation) matrix.

    ``Matrix()`` is the embedded provisional matrix; see :meth:`from_csv`,
    :meth:`from_json`, :meth:`with_settings`. Immutable, so one instance may be used from
    several threads. Use it as a context manager (``with dmp.Matrix() as m:``) or call
    :meth:`close`; it is also released when garbage-collected.
    """

    _free = staticmethod(lambda h: _lib.dmp_matrix_free(h))
    _what = "matrix"

    def __init__(self, *, _handle: Optional[c_void_p] = None):
        if _handle is None:
            _handle = c_void_p()
            _check(_lib.dmp_matrix_new_default(byref(_handle)))
        super().__init__(_handle)

    @classmethod
    def from_csv(cls, csv: _Text, info: Union[dict, str]) -> "Matrix":
        """Loads the long CSV form; ``info`` = ``{"id", "title", "date", "legal_basis"[, "note"]}``."""
        h = c_void_p()
        _check(_lib.dmp_matrix_new_from_csv(_c(csv, "csv"), _json_arg(info, "info"), byref(h)))
        return cls(_handle=h)

    @classmethod
    def from_json(cls, document: Union[dict, str]) -> "Matrix":
        """Loads the JSON form (``"format": "dmp-habilitation-matrix/1"``)."""
        h = c_void_p()
        _check(_lib.dmp_matrix_new_from_json(_json_arg(document, "document"), byref(h)))
        return cls(_handle=h)

    def with_settings(self, *, social_rows_in_force: bool) -> "Matrix":
        """A new matrix with other settings (this one is unchanged)."""
        h = c_void_p()
        settings = {"social_rows_in_force": bool(social_rows_in_force)}
        _check(_lib.dmp_matrix_with_settings(self._live(), _json_arg(settings, "settings"), byref(h)))
        return Matrix(_handle=h)


    def info(self) -> dict:
        """``{"info": {…}, "settings": {…}, "rows": n, "document_types": n, "cells": n}``."""
        out = c_void_p()
        _check(_lib.dmp_matrix_info(self._live(), byref(out)))
        return _take_json(out)

    def decide(self, reader: Union[dict, str], type_code: _Text) -> dict:
        """The decision for ``reader`` (``{"profession": {"system", "code"}, "function"}``)
        and a document ``type_code``."""
        out = c_void_p()
        _check(
            _lib.dmp_matrix_decide(
                self._live(), _json_arg(reader, "reader"), _c(type_code, "type_code"), byref(out)
            )
        )
        return _take_json(out)

    def readable_types(self, reader: Union[dict, str]) -> list:
        """The decisions of every document type ``reader`` may consult."""
        out = c_void_p()
        _check(_lib.dmp_matrix_readable_types(self._live(), _json_arg(reader, "reader"), byref(out)))
        return _take_json(out)

    def staff_report(self, staff: Union[dict, str]) -> dict:
        """The "professionnels concernés" report of a structure's staff list."""
        out = c_void_p()
        _check(_lib.dmp_staff_report(self._live(), _json_arg(staff, "staff"), byref(out)))
        return _take_json(out)

    def staff_report_text(self, staff: Union[dict, str]) -> str:
        """The same report as readable text."""
        out = c_void_p()
        _check(_lib.dmp_staff_report_text(self._live(), _json_arg(staff, "staff"), byref(out)))
        return _take(out).decode("utf-8")



def rights_decide(auth: str, actor: str, mode: str, transaction: str) -> dict:
    """The functional rights of a login for one transaction:
    ``{"transaction", "allowed", "rows": […]}``."""
    out = c_void_p()
    _check(
        _lib.dmp_rights_decide(
            _c(auth, "auth"),
            _c(actor, "actor"),
            _c(mode, "mode"),
            _c(transaction, "transaction"),
            byref(out),
        )
    )
    return _take_json(out)


# ---------------------------------------------------------------------------------------
# CDA


def cda_build(header: Union[dict, str], content: bytes, media_type: str) -> bytes:
    """Builds a CDA R2 N1 document (the exact bytes to send). ``header`` is the CDA header
    (the ``header`` object of a case file); ``content`` the file to embed."""
    content = bytes(content)
    out = c_void_p()
    _check(
        _lib.dmp_cda_build(
            _json_arg(header, "header"), content, len(content), _c(media_type, "media_type"), byref(out)
        )
    )
    return _take(out)


def cda_read(xml: bytes, *, content: bool = True) -> tuple[dict, Optional[bytes]]:
    """Reads a CDA. Returns ``(record, body)``: ``record`` is
    ``{"header", "content", "model", "model_error"}`` (see ``dmp_cda_read``), ``body`` the
    decoded N1 file (``None`` when not asked for or absent)."""
    xml = bytes(xml)
    h, body = c_void_p(), c_void_p()
    _check(_lib.dmp_cda_read(xml, len(xml), byref(h), byref(body) if content else None))
    record = _take_json(h)
    return record, _take(body) if content else None


# ---------------------------------------------------------------------------------------
# Signing identity and TD2.1


class Identity(_Handle):
    """A signing identity: the key that signs TD2.1 requests (in indirect mode the
    establishment's ORG_SIGN certificate) and its chain.

    Made with :meth:`from_p12`. Immutable, so one instance may be used from several
    threads. Use it as a context manager or call :meth:`close`.
    """

    _free = staticmethod(lambda h: _lib.dmp_identity_free(h))
    _what = "identity"

    def __init__(self, *, _handle: c_void_p):
        super().__init__(_handle)

    @classmethod
    def from_p12(
        cls, p12: Union[str, bytes, bytearray, "os.PathLike[str]"], password: _Text
    ) -> "Identity":
        """Loads a PKCS#12 file: ``p12`` is its path (``str`` or path-like) or its content
        (``bytes``). A wrong password raises :class:`CertificateError` (code 4000,
        ``record["what"] == "password"``)."""
        h = c_void_p()
        if isinstance(p12, (bytes, bytearray, memoryview)):
            data = bytes(p12)
            _check(_lib.dmp_identity_new_from_p12(data, len(data), _c(password, "password"), byref(h)))
        else:
            _check(
                _lib.dmp_identity_new_from_p12_file(
                    _c(os.fspath(p12), "path"), _c(password, "password"), byref(h)
                )
            )
        return cls(_handle=h)


    def info(self) -> dict:
        """``{"kind", "algorithm", "subject", "issuer", "serial", "not_before", "not_after",
        "structure_id", "alias", "chain"}`` (never key material)."""
        out = c_void_p()
        _check(_lib.dmp_identity_info(self._live(), byref(out)))
        return _take_json(out)



def feed_build(
    identity: Identity, request: Union[dict, str], now: Optional[str] = None, seed: int = 0
) -> tuple[bytes, dict]:
    """Builds a TD2.1 request. ``request`` is the ``dmp feed build`` request with its
    documents inline (``header`` + ``content`` ``{"media_type", "base64"|"text"}``); ``now``
    an RFC 3339 time (``None``: now); ``seed`` the id seed (0: random). Returns
    ``(message, info)``: the HTTP message (header lines, blank line, MTOM body) and
    ``{"path", "headers", "content_type", "submission_set_unique_id", "message_id",
    "documents", "now", "seed", …}``."""
    msg, info = c_void_p(), c_void_p()
    _check(
        _lib.dmp_feed_build(
            identity._live(),
            _json_arg(request, "request"),
            None if now is None else _c(now, "now"),
            int(seed),
            byref(msg),
            byref(info),
        )
    )
    return _take(msg), _take_json(info)


def feed_check(message: bytes, trust_pem: Optional[_Text] = None, at: Optional[str] = None) -> dict:
    """Verifies a built TD2.1 request (signatures, chain to the roots of ``trust_pem``,
    metadata against the CDA). Returns ``{"ok", "signatures", "documents", "problems",
    "text"}``; a request that does not check is ``"ok": False``, not an exception."""
    message = bytes(message)
    out = c_void_p()
    _check(
        _lib.dmp_feed_check(
            message,
            len(message),
            None if trust_pem is None else _c(trust_pem, "trust_pem"),
            None if at is None else _c(at, "at"),
            byref(out),
        )
    )
    return _take_json(out)


def parse_response(content_type: _Text, body: bytes) -> dict:
    """Reads the DMP's answer to a TD2.1 request: ``{"outcome": "success"|"failure"|"fault",
    "errors": [{"code", "context", "severity", "location", …}], "fault": {…}|None, …}``. A
    refusal by the DMP is a result, not an exception."""
    body = bytes(body)
    out = c_void_p()
    _check(_lib.dmp_feed_parse_response(_c(content_type, "content_type"), body, len(body), byref(out)))
    return _take_json(out)


# ---------------------------------------------------------------------------------------
# Consultation and management (TD0.2, TD0.3, TD0.4, TD3.1, TD3.2, TD3.3)


def consult_build(
    identity: Identity,
    request: Union[dict, str],
    search_response: Optional[bytes] = None,
    now: Optional[str] = None,
    seed: int = 0,
) -> tuple[bytes, dict]:
    """Builds a consultation or management request (``dmp request``).

    ``request`` is ``{"actor": <actor profile>, "consent": <consent>, "transaction": {"kind":
    "status"|"search"|"reference"|"get" (or "retrieve")|"mask"|"unmask"|"visibility"|"archive"|"unarchive"|
    "delete"|"authorize"|"authorized_list", "ins": {"matricule", "oid"}, …}}`` (see
    ``dmp-ffi/README.md``, "Consulting the DMP"). ``identity`` signs the VIHF: the
    professional's card key in ``directe`` mode, the establishment's ORG_SIGN in ``indirecte``
    and ``air`` modes. ``search_response``: for the metadata updates (mask, unmask,
    visibility, archive, unarchive, delete), the bytes of a TD3.1 answer holding the
    document's current entry. ``now``: an RFC 3339 time (``None``: now); ``seed``: the id seed
    (0: random). Returns ``(message, info)``: the HTTP message (header lines, blank line,
    body) and ``{"transaction", "path", "headers", "content_type", "body_bytes",
    "message_id", "now", "seed"}``.

    A missing consent, a transaction the functional rights refuse or a signer that does not
    fit the mode raise :class:`ModelError` (``field`` ``consent``, ``actor.mode``,
    ``signer``…); a metadata update without ``search_response`` :class:`ArgumentError`.
    """
    msg, info = c_void_p(), c_void_p()
    search = None if search_response is None else bytes(search_response)
    _check(
        _lib.dmp_consult_build(
            identity._live(),
            _json_arg(request, "request"),
            search,
            0 if search is None else len(search),
            None if now is None else _c(now, "now"),
            int(seed),
            byref(msg),
            byref(info),
        )
    )
    return _take(msg), _take_json(info)


def consult_parse_response(
    content_type: Optional[_Text], body: bytes, actor: Optional[Union[dict, str]] = None
) -> dict:
    """Reads the DMP's answer (``content_type`` ``None``: ``body`` is the whole HTTP response
    :meth:`Client.send` returns) to any transaction of this library (TD0.2, TD0.3, TD0.4,
    TD2.1, TD3.1, TD3.2, TD3.3): ``{"transaction": "TD3.1"…, "kind": "search"|"status"|
    "retrieve"|"registry"|"authorization"|"authorized_list"|"fault", "result": {…}, "error":
    {"source", "code", "details"}|None}``. A refusal by the DMP is a result (``"error"``), not
    an exception. With ``actor`` (an actor profile), each document of a TD3.1 answer gets
    ``"habilitation"``: may that reader's profession open its type (the embedded matrix; the
    DMP decides). The documents of a TD3.2 answer are read with :class:`Retrieval`.

    For TD2.1 alone, :func:`parse_response` gives the feed's own summary (``"outcome"``).
    """
    body = bytes(body)
    out = c_void_p()
    _check(
        _lib.dmp_consult_parse_response(
            None if content_type is None else _c(content_type, "content_type"),
            body,
            len(body),
            None if actor is None else _json_arg(actor, "actor"),
            byref(out),
        )
    )
    return _take_json(out)


class Retrieval(_Handle):
    """The documents of a TD3.2 answer: ``Retrieval(content_type, body)`` with the HTTP
    ``Content-Type`` (``multipart/related`` MTOM) and the body, or ``Retrieval(None,
    response)`` with the whole HTTP response of :meth:`Client.send`.

    ``len(r)`` documents; ``r.document(i)`` gives ``(bytes, info, n1_body)``: the document as
    stored (the CDA), ``{"unique_id", "repository_unique_id", "home_community_id",
    "mime_type", "size", "n1"}`` and the N1 body of a CDA (the PDF…) or ``None``. A SOAP fault
    or a Failure status raises :class:`DmpServerError` (code 7000, ``dmp_error``); the answer
    of another transaction :class:`ArgumentError`. Immutable; use it as a context manager or
    call :meth:`close`.
    """

    _free = staticmethod(lambda h: _lib.dmp_retrieval_free(h))
    _what = "retrieval"

    def __init__(self, content_type: Optional[_Text], body: bytes):
        body = bytes(body)
        h = c_void_p()
        ct = None if content_type is None else _c(content_type, "content_type")
        _check(_lib.dmp_retrieval_parse(ct, body, len(body), byref(h)))
        super().__init__(h)

    def __len__(self) -> int:
        return _lib.dmp_retrieval_count(self._live())

    def document(self, index: int) -> tuple[bytes, dict, Optional[bytes]]:
        """Document ``index`` (negative counts from the end): ``(bytes, info, n1_body)``;
        ``IndexError`` out of range."""
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"document index {index} out of range ({n} document(s))")
        index %= n
        doc, info, n1 = c_void_p(), c_void_p(), c_void_p()
        _check(_lib.dmp_retrieval_document(self._live(), index, byref(doc), byref(info), byref(n1)))
        return _take(doc), _take_json(info), _take(n1)

    def __iter__(self) -> Iterator[tuple[bytes, dict, Optional[bytes]]]:
        for i in range(len(self)):
            yield self.document(i)


def actor_profile_check(profile: Union[dict, str]) -> dict:
    """Checks an actor profile (``docs/schema/actor-profile.schema.json``) and returns
    ``{"profile", "authentication", "actor", "vihf_mode", "structure_id", "reader",
    "allowed_transactions"}``; an invalid one raises :class:`ModelError` (``field``,
    ``rule``, ``value`` or the JSON ``path``)."""
    out = c_void_p()
    _check(_lib.dmp_actor_profile_check(_json_arg(profile, "profile"), byref(out)))
    return _take_json(out)


# ---------------------------------------------------------------------------------------
# Talking to a DMP


class Client(_Handle):
    """A client of the DMP for one actor: ``Client(profile, profile_dir=None,
    endpoint=None)`` with the actor profile (``dict`` or JSON text) whose ``transport``
    names the TLS client certificate, the server roots, proxy, timeouts and retries (paths
    relative to ``profile_dir``, default the current directory); ``endpoint`` replaces the
    profile's base URL (a :class:`Sandbox`'s ``base_url``). A profile whose ``transport``
    cannot be used raises :class:`TransportError` (``ERR_TRANSPORT_SETTINGS``, ``field``).
    Connections are kept between calls; one client may be used from several threads.
    """

    _free = staticmethod(lambda h: _lib.dmp_client_free(h))
    _what = "client"

    def __init__(
        self,
        profile: Union[dict, str],
        profile_dir: Optional[Union[str, "os.PathLike[str]"]] = None,
        endpoint: Optional[str] = None,
    ):
        h = c_void_p()
        _check(
            _lib.dmp_client_new(
                _json_arg(profile, "profile"),
                None if profile_dir is None else _c(os.fspath(profile_dir), "profile_dir"),
                None if endpoint is None else _c(endpoint, "endpoint"),
                byref(h),
            )
        )
        super().__init__(h)

    def send(
        self, message: bytes, identity: Optional[Identity] = None, timeout_ms: int = 0
    ) -> tuple[bytes, dict]:
        """Sends a request built by :func:`feed_build` / :func:`consult_build` and waits
        (``timeout_ms``: the whole call, 0 the profile's total timeout). ``identity`` signs
        the registry search that tells whether a TD2.1/TD3.3 whose answer was lost was
        applied (``None``: no search, such an outcome stays unknown). Returns ``(response,
        outcome)``: the HTTP response (read it with :func:`consult_parse_response` or
        :class:`Retrieval` with ``content_type=None``) and ``{"outcome": "accepted",
        "attempts", "confirmed_by_check", "http_status", "response": {…}}``. A refusal by the
        DMP raises :class:`DmpServerError` (``dmp_error``: its codes and texts); nothing sent:
        :class:`TransportError` ``ERR_NOT_SENT``; maybe sent: ``ERR_OUTCOME_UNKNOWN``."""
        message = bytes(message)
        resp, outcome = c_void_p(), c_void_p()
        _check(
            _lib.dmp_send(
                self._live(),
                None if identity is None else identity._live(),
                message,
                len(message),
                int(timeout_ms),
                byref(resp),
                byref(outcome),
            )
        )
        return _take(resp), _take_json(outcome)


class Sandbox(_Handle):
    """The local DMP sandbox, in-process, for tests: ``Sandbox(data_dir, ui_address=None)``
    starts an HTTPS server with mutual TLS on 127.0.0.1 (test PKI of ``examples/pki``),
    storing in ``data_dir`` (SQLite, kept across runs, seeded with sample usagers). Its
    ``base_url`` is the ``endpoint`` of a :class:`Client`; ``ui_url`` the HTML page (with
    ``ui_address="127.0.0.1:0"``). :meth:`close` (or the ``with`` block) stops it."""

    _free = staticmethod(lambda h: _lib.dmp_sandbox_free(h))
    _what = "sandbox"

    def __init__(self, data_dir: Union[str, "os.PathLike[str]"], ui_address: Optional[str] = None):
        h = c_void_p()
        _check(
            _lib.dmp_sandbox_start(
                _c(os.fspath(data_dir), "data_dir"),
                None if ui_address is None else _c(ui_address, "ui_address"),
                byref(h),
            )
        )
        super().__init__(h)

    @property
    def base_url(self) -> str:
        """``https://127.0.0.1:PORT``."""
        return _lib.dmp_sandbox_base_url(self._live()).decode()

    @property
    def ui_url(self) -> Optional[str]:
        """``http://127.0.0.1:PORT/``, or ``None`` without a page."""
        u = _lib.dmp_sandbox_ui_url(self._live())
        return None if u is None else u.decode()


# ---------------------------------------------------------------------------------------
# Pilotage: the deposit plan and the indicators


def due(
    plan: Union[dict, str],
    facts: Union[dict, str],
    now: Optional[str] = None,
) -> dict:
    """Which deposits of a deposit ``plan`` (``dmp-deposit-plan/1``, samples in
    ``examples/data/plans/``) are due or overdue at ``now`` (RFC 3339; ``None``: the current
    time), for which usagers, from the ``facts`` a journal exported: ``{"plan", "at",
    "current_usagers", "items": [{"usager", "label", "kind", "producer", "reason", …,
    "since", "deadline", "status": "due"|"overdue"}…], "coverage": {…}}``. A plan error
    raises :class:`ModelError` naming the field as written."""
    out = c_void_p()
    _check(
        _lib.dmp_due(
            _json_arg(plan, "plan"),
            _json_arg(facts, "facts"),
            None if now is None else _c(now, "now"),
            byref(out),
        )
    )
    return _take_json(out)


def indicators(
    facts: Union[dict, str],
    *,
    date_from: Optional[str] = None,
    date_to: Optional[str] = None,
    now: Optional[str] = None,
    plan: Union[dict, str, None] = None,
    dlu_window: Optional[str] = None,
    format: str = "json",
) -> Union[dict, str]:
    """The pilotage indicators of ``facts`` over ``date_from..=date_to`` (``YYYY-MM-DD``,
    either open): DMPs fed, documents by type, month and author role, replacements, refusals
    by DMP code, up-to-date DLU share (``dlu_window``, default ``"3 months"``),
    consultations by access mode, and the ``plan``'s coverage when given. ``format``:
    ``"json"`` (a dict, ``dmp-indicators/1``), ``"csv"`` (one table, a str) or ``"html"``
    (one self-contained page with SVG charts, a str). Give ``now`` (RFC 3339) for the same
    output on every run."""
    options: dict = {}
    if date_from is not None:
        options["from"] = date_from
    if date_to is not None:
        options["to"] = date_to
    if now is not None:
        options["now"] = now
    if dlu_window is not None:
        options["dlu_window"] = dlu_window
    if plan is not None:
        options["plan"] = json.loads(plan) if isinstance(plan, str) else plan
    out = c_void_p()
    _check(
        _lib.dmp_indicators(
            _json_arg(facts, "facts"),
            _json_arg(options, "options"),
            _c(format, "format"),
            byref(out),
        )
    )
    if format == "json":
        return _take_json(out)
    data = _take(out)
    return "" if data is None else data.decode("utf-8")
# The establishment's journal


class Journal(_Handle):
    """The establishment's journal: ``Journal(path, key)`` opens (creates) the SQLite file
    ``path``; ``key`` (``bytes``, at least 32 random bytes, e.g. ``os.urandom(32)`` kept as a
    secret by the DUI) is the establishment key the INS is stored under as a keyed hash.

    Documents are journaled (:meth:`deposit`) and sent by :meth:`flush` (also at start-up: it
    resumes) without loss or double; consultations go through the consent register
    (:meth:`record_consent`, :meth:`consult`); :meth:`facts` is what the indicators read.
    INS arguments are in CX form (``MATRICULE^^^&OID&ISO^NH``, see :func:`check_ins`). One
    journal may be used from several threads."""

    _free = staticmethod(lambda h: _lib.dmp_journal_free(h))
    _what = "journal"

    def __init__(self, path: Union[str, "os.PathLike[str]"], key: bytes):
        key = bytes(key)
        h = c_void_p()
        _check(_lib.dmp_journal_open(_c(os.fspath(path), "path"), key, len(key), byref(h)))
        super().__init__(h)

    def deposit(self, request: Union[dict, str], options: Optional[dict] = None) -> list:
        """Journals every document of the TD2.1 request (as for :func:`feed_build`,
        documents inline); nothing is sent. ``options``: ``{"keep_bytes": bool,
        "author_role": str}``. Returns one ``{"document", "deposit", "enqueued":
        "new"|"same"|"superseding", "supersedes"}`` per document."""
        out = c_void_p()
        _check(
            _lib.dmp_journal_deposit(
                self._live(),
                _json_arg(request, "request"),
                None if options is None else _json_arg(options, "options"),
                byref(out),
            )
        )
        return _take_json(out)["deposits"]

    def flush(self, client: Client, identity: Identity) -> dict:
        """Sends what is queued and settles what is uncertain through ``client``, signing
        with ``identity``. Returns ``{"accepted": [N…], "refused", "unknown", "queued",
        "waiting", "settled": bool}`` (deposit numbers; details in :meth:`status`)."""
        out = c_void_p()
        _check(_lib.dmp_journal_flush(self._live(), client._live(), identity._live(), byref(out)))
        return _take_json(out)

    def status(self) -> list:
        """Every deposit in its latest state (``state``: queued, sending, accepted, refused,
        unknown, superseded; ``code``, ``text``: the DMP's words), oldest first."""
        out = c_void_p()
        _check(_lib.dmp_journal_status(self._live(), byref(out)))
        return _take_json(out)

    def record_consent(self, ins_cx: _Text, record: Union[dict, str]) -> dict:
        """Records what the usager said (``{"scope", "professional", "collected_by", "at",
        "withdrawal", "note"}``); returns the record as stored."""
        out = c_void_p()
        _check(
            _lib.dmp_journal_record_consent(
                self._live(), _c(ins_cx, "ins_cx"), _json_arg(record, "record"), byref(out)
            )
        )
        return _take_json(out)

    def consult(
        self, client: Client, identity: Identity, request: Union[dict, str], care_team: bool
    ) -> tuple[bytes, dict]:
        """Consults under the consent register (``request`` as for :func:`consult_build`,
        without ``consent``) and journals it; ``care_team``: the actor is in the usager's care
        team. Returns ``(response, outcome)`` as :meth:`Client.send`; a consultation the
        register does not cover raises :class:`JournalError` ``ERR_CONSULTATION_BLOCKED``."""
        resp, outcome = c_void_p(), c_void_p()
        _check(
            _lib.dmp_journal_consult(
                self._live(),
                client._live(),
                identity._live(),
                _json_arg(request, "request"),
                bool(care_team),
                byref(resp),
                byref(outcome),
            )
        )
        return _take(resp), _take_json(outcome)

    def record_event(self, ins_cx: _Text, kind: str, at: Optional[str] = None) -> None:
        """Records an event of the accompaniment (``admission``, ``annual_review``,
        ``change_of_condition``, ``hospital_transfer``, ``hospital_return``, ``discharge``) at
        ``at`` (RFC 3339; default now)."""
        _check(
            _lib.dmp_journal_record_event(
                self._live(),
                _c(ins_cx, "ins_cx"),
                _c(kind, "kind"),
                None if at is None else _c(at, "at"),
            )
        )

    def register_usager(self, ins_cx: _Text, label: str, setting: str) -> str:
        """Registers a usager with the DUI's reference (never the INS) and the setting
        (``EHPAD``…); returns their pseudonym."""
        out = c_void_p()
        _check(
            _lib.dmp_journal_register_usager(
                self._live(),
                _c(ins_cx, "ins_cx"),
                _c(label, "label"),
                _c(setting, "setting"),
                byref(out),
            )
        )
        return _take(out).decode()

    def facts(self, start: Optional[str] = None, end: Optional[str] = None) -> dict:
        """The facts of ``[start, end)`` (RFC 3339; ``None``: unbounded): ``{"usagers",
        "deposits", "consultations", "events"}``, what the indicators read."""
        out = c_void_p()
        _check(
            _lib.dmp_journal_facts(
                self._live(),
                None if start is None else _c(start, "start"),
                None if end is None else _c(end, "end"),
                byref(out),
            )
        )
        return _take_json(out)

    def export_usager(self, ins_cx: _Text) -> dict:
        """Everything the journal holds about the usager (right of access)."""
        out = c_void_p()
        _check(_lib.dmp_journal_export_usager(self._live(), _c(ins_cx, "ins_cx"), byref(out)))
        return _take_json(out)
