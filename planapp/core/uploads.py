"""Checks on an uploaded file before anything is stored: size, type by extension *and* by content, ZIP bombs and
XML entity tricks inside Office files, and a download name that is safe on every system.

Pure: no request, no database; the caller passes the bytes and the limit (RELIABILITY F1, F2, F3). Every check is
bounded — a ZIP is judged from its central directory before a byte of it is inflated, and parts are then read in
chunks, never more than they declare.
"""

from __future__ import annotations

import hashlib
import io
import posixpath
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as parse_xml
from flask_babel import LazyString, get_locale
from flask_babel import lazy_gettext as _l

from planapp.core.errors import ValidationFailed
from planapp.core.i18n import format_number

MB = 1024 * 1024
MAX_ZIP_ENTRIES = 10_000
MAX_UNCOMPRESSED = 100 * MB  # sum of the sizes the central directory declares
MAX_RATIO = 200  # uncompressed / compressed, for parts bigger than RATIO_FROM
RATIO_FROM = 1 * MB
MAX_CONTENT_TYPES = 1 * MB  # [Content_Types].xml is a few hundred bytes in real files
CHUNK = 1 * MB
MAX_NAME = 150


class UploadRefused(ValidationFailed):
    """A file refused before it is stored. `reason` is a stable code for callers that word it their own way:
    empty, too_large, type, content, csv_binary, csv_encoding, csv_markup, office_legacy, zip_bomb, xml_dtd,
    xml_encoding, broken."""

    def __init__(self, message: str, reason: str, field: str | None = "file"):
        super().__init__(message, field=field)
        self.reason = reason


@dataclass(frozen=True)
class Kind:
    name: str
    label: str  # a proper name shown in messages, the same in every language
    extensions: tuple[str, ...]
    content_type: str
    check: Callable[[Kind, bytes], str | None]  # raises UploadRefused; may return a charset


@dataclass(frozen=True)
class CheckedUpload:
    kind: str
    name: str  # safe download name, keeps the user's extension
    content_type: str
    size: int
    sha256: str


# --- Messages ------------------------------------------------------------------------------------------------


def _language() -> str:
    locale = get_locale()
    return locale.language if locale is not None else "en"


def _number(value: float) -> LazyString:
    """Grouped, in the user's digits, decided when the message is rendered."""
    decimals = 0 if float(value).is_integer() else 1
    return LazyString(lambda: format_number(value, _language(), decimals))


def _megabytes(size: int) -> LazyString:
    return _number(max(round(size / MB, 1), 0.1))


def _listing(labels: Iterable[str]) -> LazyString:
    labels = tuple(labels)
    return LazyString(lambda: ("، " if _language() == "fa" else ", ").join(labels))


def _not_really(kind: Kind) -> UploadRefused:
    return UploadRefused(_l("The file's content does not match its extension: it is not really a %(kind)s file.",
                            kind=kind.label), "content")


def _broken(kind: Kind) -> UploadRefused:
    return UploadRefused(_l("The file is damaged or is not a valid %(kind)s file.", kind=kind.label), "broken")


def _zip_bomb_size() -> UploadRefused:
    return UploadRefused(_l("The file would expand to more than %(limit)s MB when opened; it is refused as a "
                            "possible zip bomb.", limit=_megabytes(MAX_UNCOMPRESSED)), "zip_bomb")


# --- Content checks, one per kind ----------------------------------------------------------------------------


def _signature(*prefixes: bytes) -> Callable[[Kind, bytes], None]:
    def check(kind: Kind, data: bytes) -> None:
        if not data.startswith(prefixes):
            raise _not_really(kind)

    return check


def _check_webp(kind: Kind, data: bytes) -> None:
    if not (data.startswith(b"RIFF") and data[8:12] == b"WEBP"):
        raise _not_really(kind)


# Tags browsers have sniffed as HTML/SVG/XML anywhere near the start of a "text" file.
_MARKUP = re.compile(r"<\s*(?:!doctype|\?xml|html|head|body|script|iframe|svg|object|embed|style|meta)\b",
                     re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # C0 and C1 controls, except tab and newlines


def _check_csv(kind: Kind, data: bytes) -> str:
    if b"\x00" in data:
        raise UploadRefused(_l("The CSV file contains binary data; save the table as CSV text and try again."),
                            "csv_binary")
    try:
        text, charset = data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:  # every byte means something in Windows-1256: the control characters decide
        text, charset = data.decode("cp1256"), "windows-1256"
    if _CONTROL.search(text):
        raise UploadRefused(_l("The CSV file must be text encoded in UTF-8 or Windows-1256."), "csv_encoding")
    head = text.lstrip("\ufeff \t\r\n")
    if head.startswith("<") or _MARKUP.search(head[:1024]):
        raise UploadRefused(_l("The CSV file looks like a web page, a script or XML, not a table."), "csv_markup")
    return charset


# --- Office files: ZIP packages ------------------------------------------------------------------------------

_CFB = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls/.doc, and any password-protected Office file
_DTD = re.compile(rb"<!(?:doctype|entity)", re.IGNORECASE)
_DECLARED_ENCODING = re.compile(rb"""^<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_CONTENT_TYPES_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
# Starts a parser reads as UTF-16/32 or EBCDIC (XML 1.0 appendix F, expat, libxml2): a DOCTYPE in those would
# hide from a byte search, and Office parts are always UTF-8, so such parts are refused.
_FOREIGN_XML = (b"\x00\x00\xfe\xff", b"\xff\xfe", b"\xfe\xff", b"\x00\x00\x00<", b"\x00\x00<\x00", b"\x00<", b"<\x00",
                b"Lo\xa7\x94")


def _xml_encoding_ok(head: bytes) -> bool:
    if head.startswith(_FOREIGN_XML):
        return False
    declared = _DECLARED_ENCODING.match(head.removeprefix(b"\xef\xbb\xbf")[:512])
    return declared is None or declared.group(1).lower().replace(b"_", b"-") in {b"utf-8", b"utf8"}


def _scan_part(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> int:
    """Read one part in chunks (at most what it declares), refusing DOCTYPE/ENTITY anywhere in it."""
    read, tail = 0, b""
    with zf.open(info) as part:
        chunk = part.read(CHUNK)
        if not _xml_encoding_ok(chunk):
            raise UploadRefused(_l("The file contains XML in an unsupported encoding."), "xml_encoding")
        while chunk:
            read += len(chunk)
            if read > budget:
                raise _zip_bomb_size()
            if _DTD.search(tail + chunk):
                raise UploadRefused(_l("The file contains XML DOCTYPE or ENTITY declarations, which are not "
                                       "allowed."), "xml_dtd")
            tail = chunk[-16:]
            chunk = part.read(CHUNK)
    return read


def _office(main_content_type: str) -> Callable[[Kind, bytes], None]:
    def check(kind: Kind, data: bytes) -> None:
        if data.startswith(_CFB):
            raise UploadRefused(_l("This is an old-format or password-protected Office file; save it as %(kind)s "
                                   "without a password and try again.", kind=kind.label), "office_legacy")
        if not data.startswith(b"PK\x03\x04"):
            raise _not_really(kind)
        # Each central directory entry starts with this signature: an upper bound on what ZipFile will load.
        if data.count(b"PK\x01\x02") > MAX_ZIP_ENTRIES:
            raise _too_many_entries()
        try:
            _check_package(kind, data, main_content_type)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError, OSError,
                ValueError, SyntaxError, zlib.error, DefusedXmlException) as error:  # never UploadRefused
            raise _broken(kind) from error

    return check


def _too_many_entries() -> UploadRefused:
    return UploadRefused(_l("The file holds more than %(limit)s parts; it is refused as a possible zip bomb.",
                            limit=_number(MAX_ZIP_ENTRIES)), "zip_bomb")


def _check_package(kind: Kind, data: bytes, main_content_type: str) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()  # the central directory only: nothing is inflated here
        if len(infos) > MAX_ZIP_ENTRIES:
            raise _too_many_entries()
        if sum(info.file_size for info in infos) > MAX_UNCOMPRESSED:
            raise _zip_bomb_size()
        for info in infos:
            if info.file_size > RATIO_FROM and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise UploadRefused(_l("The file is compressed far more than a normal document; it is refused "
                                       "as a possible zip bomb."), "zip_bomb")
        parts = {info.filename.lower(): info for info in infos}
        if len(parts) != len(infos) or any(info.flag_bits & 0x1 for info in infos):  # duplicates, encryption
            raise _broken(kind)
        content_types = parts.get("[content_types].xml")
        if content_types is None or content_types.file_size > MAX_CONTENT_TYPES:
            raise _not_really(kind)
        budget = MAX_UNCOMPRESSED - _scan_part(zf, content_types, MAX_CONTENT_TYPES)
        root = parse_xml(zf.read(content_types), forbid_dtd=True)
        main_parts = {
            override.get("PartName", "").lstrip("/").lower()
            for override in root.iter(f"{_CONTENT_TYPES_NS}Override")
            if override.get("ContentType") == main_content_type
        }
        if not main_parts or not main_parts <= parts.keys():
            raise _not_really(kind)
        for info in infos:
            if info is not content_types and not info.is_dir():
                budget -= _scan_part(zf, info, budget)


ALLOWED: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("pdf", "PDF", (".pdf",), "application/pdf", _signature(b"%PDF-")),
        Kind("xlsx", "XLSX", (".xlsx",), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             _office("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml")),
        Kind("docx", "DOCX", (".docx",), "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             _office("application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml")),
        Kind("csv", "CSV", (".csv",), "text/csv", _check_csv),
        Kind("png", "PNG", (".png",), "image/png", _signature(b"\x89PNG\r\n\x1a\n")),
        Kind("jpeg", "JPEG", (".jpg", ".jpeg"), "image/jpeg", _signature(b"\xff\xd8\xff")),
        Kind("webp", "WEBP", (".webp",), "image/webp", _check_webp),
    )
}


def check_upload(filename: str, data: bytes, max_bytes: int, kinds: Iterable[str] | None = None) -> CheckedUpload:
    """The file as we will store and serve it, or UploadRefused with a message in the user's language.

    `kinds` narrows ALLOWED (e.g. {"pdf"} for a council resolution)."""
    allowed = [ALLOWED[name] for name in kinds] if kinds is not None else list(ALLOWED.values())
    if not data:
        raise UploadRefused(_l("The file is empty (0 bytes)."), "empty")
    if len(data) > max_bytes:
        raise UploadRefused(_l("The file is larger than the limit of %(limit)s MB.", limit=_megabytes(max_bytes)),
                            "too_large")
    name = safe_download_name(filename, "")
    extension = posixpath.splitext(name)[1].lower()
    kind = next((kind for kind in allowed if extension in kind.extensions), None)
    if kind is None:
        raise UploadRefused(_l("Files of this type are not accepted. Allowed types: %(allowed)s.",
                               allowed=_listing(kind.label for kind in allowed)), "type")
    charset = kind.check(kind, data)
    content_type = f"{kind.content_type}; charset={charset}" if charset else kind.content_type
    return CheckedUpload(kind.name, name, content_type, len(data), hashlib.sha256(data).hexdigest())


# --- Download names ------------------------------------------------------------------------------------------

_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"} | {
    f"{device}{suffix}" for device in ("COM", "LPT") for suffix in "0123456789¹²³"
}
_FORBIDDEN = set('<>:"|?*/\\')
_JOINERS = {"\u200c", "\u200d"}  # ZWNJ/ZWJ are part of Persian spelling; every other format character goes


def _clean(original: str) -> str:
    name = unicodedata.normalize("NFC", original or "").replace("\\", "/").rsplit("/", 1)[-1]
    kept = []
    for ch in name:
        category = unicodedata.category(ch)
        if ch in _FORBIDDEN or category in {"Zl", "Zp"} or (category[0] == "C" and ch not in _JOINERS):
            continue  # control, bidi override (U+202E), private use, unassigned…
        kept.append(" " if category == "Zs" else ch)
    name = " ".join("".join(kept).split()).strip(". \u200c\u200d")
    if name.split(".", 1)[0].rstrip().upper() in _RESERVED:
        name = f"_{name}"
    if len(name) > MAX_NAME:
        stem, extension = posixpath.splitext(name)
        if len(extension) > 16:
            stem, extension = name, ""
        name = stem[: MAX_NAME - len(extension)].rstrip(". \u200c\u200d") + extension
    return name


def safe_download_name(original: str, fallback: str = "download") -> str:
    """The user's file name without folders (`../../x`, `C:\\x`), control and bidi characters, `<>:"|?*`,
    Windows device names (CON, COM1…: prefixed with `_`), leading dots or spaces; Persian letters and ZWNJ kept;
    at most 150 characters, keeping the extension. Never empty. Only ever a download name, never a path."""
    return _clean(original) or _clean(fallback) or "download"
