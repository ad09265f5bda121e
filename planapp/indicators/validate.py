"""Reading and checking an indicator import file (CSV or XLSX) before anything is stored (issue 6, RELIABILITY
F1/F2).

Pure: pandas, numpy, openpyxl and the standard library only — no Flask, no translations, no database. The caller
passes the bytes (or a path) and a `Catalog` built from the database, and words the codes returned here in the
user's language.

Two steps, both all-or-nothing for the caller:

1. `read_table` refuses a file that cannot be a table of ours by raising `FileProblem(code, details)`:
   too_large, empty, encoding, not_csv, not_xlsx, broken, malformed, zip_bomb, unsafe_xml, too_many_rows,
   wrong_columns. Every check is bounded: the size before reading, a ZIP's declared sizes before inflating a byte,
   at most `max_rows` rows kept in memory.
2. `validate` checks every row against the catalog, vectorised with pandas, and returns the typed rows plus the
   problems (row as the spreadsheet shows it, header = row 1; column; code; the text as typed): missing_value,
   unknown_indicator, not_your_indicator, unknown_region, unknown_sector, sector_required, sector_not_allowed,
   not_a_year, year_out_of_range, not_a_number, too_long, duplicate. It may work through the rows in slices,
   reporting progress after each, and still finds duplicates over the whole file.
"""

from __future__ import annotations

import io
import os
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Literal

import numpy as np
import pandas as pd
from defusedxml import DefusedXmlException

COLUMNS = ("indicator", "region", "sector", "year", "value", "source")
REQUIRED = ("indicator", "region", "year", "value")
ROW = "row"  # the column read_table adds: the row number as the spreadsheet shows it

MB = 1024 * 1024
MAX_BYTES = 64 * MB  # a million-row CSV is about 40 MB
MAX_UNCOMPRESSED = 256 * MB  # what an XLSX's parts declare, together
MAX_RATIO = 100  # declared / compressed, for an XLSX over RATIO_FROM once inflated
RATIO_FROM = 16 * MB
MAX_ZIP_ENTRIES = 10_000
MAX_PROBLEMS = 1_000
MAX_SOURCE = 200  # IndicatorValue.source
CHUNK_ROWS = 50_000
SCAN_CHUNK = 1 * MB

Kind = Literal["csv", "xlsx"]


class FileProblem(Exception):  # a refusal the caller words in the user's language, not a programming error
    """The whole file is refused. `code` is stable; `details` holds the numbers and names a message needs."""

    def __init__(self, code: str, details: Mapping[str, object] | None = None):
        super().__init__(code, dict(details or {}))
        self.code = code
        self.details = dict(details or {})


@dataclass(frozen=True)
class Catalog:
    """What a file may name. Keys are codes as stored; they are normalised here the same way as the file's text."""

    indicators: Mapping[str, tuple[int, bool]]  # code → (indicator_id, by_sector)
    regions: Mapping[str, int]  # code → region_id
    sectors: Mapping[str, int]  # code → sector_id (TOTAL may be among them)
    total_sector_id: int
    years: tuple[int, int]  # inclusive
    # The indicators this importer may write (an officer: their agency's); None: every one. Others are reported
    # as not_your_indicator.
    allowed_indicators: frozenset[int] | None = None


@dataclass(frozen=True)
class Problem:
    row: int  # 1-based as a spreadsheet shows it; the header is row 1
    column: str  # one of COLUMNS, or "" for a problem of the whole row (duplicate)
    code: str
    value: str  # the text as typed; for a duplicate, the row number of the other occurrence


@dataclass
class Result:
    rows: pd.DataFrame  # the rows without problems: row, indicator_id, region_id, sector_id, year, value, source
    problems: list[Problem] = field(default_factory=list)  # the first MAX_PROBLEMS, by row
    problem_count: int = 0  # all of them
    row_count: int = 0  # data rows in the file
    bad_row_count: int = 0  # rows with at least one problem
    problem_counts: dict[str, int] = field(default_factory=dict)  # all of them, by code

    @property
    def ok(self) -> bool:
        return self.problem_count == 0


# --- Text normalisation ---------------------------------------------------------------------------------------

_DIGITS = {ord(c): str(i) for i, c in enumerate("۰۱۲۳۴۵۶۷۸۹")} | {ord(c): str(i) for i, c in enumerate("٠١٢٣٤٥٦٧٨٩")}
_INVISIBLE = "\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff\u00ad"
_TEXT = str.maketrans({**_DIGITS, "ي": "ی", "ى": "ی", "ك": "ک", "\u200c": " ", **dict.fromkeys(_INVISIBLE, None)})
_SPACES = "\u00a0\u2007\u2009\u202f\u200a\u2002\u2003 \t"
_NUMBER = str.maketrans({**_DIGITS, "٫": ".", "٬": ",", "،": ",", "\u2212": "-", **dict.fromkeys(_INVISIBLE, None),
                         **dict.fromkeys(_SPACES + "\u200c", None)})
_PLAIN = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_GROUPED = r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?"  # a comma only as a thousands separator: "1,5" is refused


def normalise_code(text: str) -> str:
    """Digits to ASCII, Arabic ي/ك to Persian ی/ک, ZWNJ as a space, invisible marks dropped, spaces collapsed,
    upper case: "  pop_total " and "POP_TOTAL" name the same indicator, "خرم‌آباد" and "خرم آباد" the same county."""
    return " ".join(unicodedata.normalize("NFC", str(text)).translate(_TEXT).split()).upper()


def _codes(series: pd.Series) -> pd.Series:
    """normalise_code over a column, once per distinct value (codes repeat: a million rows name a few hundred)."""
    codes, uniques = pd.factorize(series)
    normalised = np.array([normalise_code(u) for u in uniques] + [""], dtype=object)
    return pd.Series(normalised[codes], index=series.index, dtype=object)


def _lookup(codes: pd.Series, table: Mapping[str, object]) -> pd.Series:
    keyed = {normalise_code(k): v for k, v in table.items()}
    return codes.map(keyed)


def parse_numbers(series: pd.Series) -> pd.Series:
    """Text → float, NaN where the text is not a number. Persian and Arabic-Indic digits, ٫ or '.' as the decimal
    point, ٬ ، or ',' between groups of three digits, spaces anywhere, '-' or '−' for negatives."""
    return _numbers(series.astype(object).fillna("").astype(str).str.translate(_NUMBER))


def _numbers(text: pd.Series) -> pd.Series:
    """`text` already translated with _NUMBER. Commas are rare, so the grouping check runs on those rows only."""
    commas = text.str.contains(",", regex=False)
    if commas.any():
        with_commas = text[commas]
        grouped = with_commas.str.fullmatch(_GROUPED)
        text = text.copy()
        text[commas] = with_commas.where(~grouped, with_commas.str.replace(",", "", regex=False))
    plain = text.str.fullmatch(_PLAIN)
    numbers = pd.to_numeric(text.where(plain, ""), errors="coerce").astype(float)
    return numbers.where(np.isfinite(numbers))


def _per_value(series: pd.Series, function: Callable[[str], object]) -> pd.Series:
    """`function` once per distinct value of `series`, spread back over its rows (years and sources repeat)."""
    codes, uniques = pd.factorize(series)
    results = pd.Series([function(u) for u in uniques] + [function("")], dtype=object)
    return pd.Series(results.to_numpy()[codes], index=series.index, dtype=object)


def _year(text: str) -> float:
    text = text.translate(_NUMBER)
    return float(int(float(text))) if re.fullmatch(r"\d{1,6}(?:\.0*)?", text) else np.nan


# --- Reading ------------------------------------------------------------------------------------------------

_CFB = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls, or any password-protected Office file
_MARKUP = re.compile(r"<\s*(?:!doctype|\?xml|html|head|body|script|iframe|svg|table|style|meta)\b", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DTD = re.compile(rb"<!(?:doctype|entity)", re.IGNORECASE)
_ALIASES = {
    "indicator": "indicator", "indicator code": "indicator", "شاخص": "indicator", "کد شاخص": "indicator",
    "region": "region", "county": "region", "region code": "region", "منطقه": "region", "شهرستان": "region",
    "sector": "sector", "sector code": "sector", "بخش": "sector",
    "year": "year", "سال": "year",
    "value": "value", "مقدار": "value",
    "source": "source", "منبع": "source",
}


def _looks_like(data: bytes) -> str:
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    for magic, name in ((b"PK\x03\x04", "zip"), (_CFB, "xls"), (b"MZ", "exe"), (b"\x7fELF", "exe"),
                        (b"%PDF", "pdf"), (b"\x89PNG", "image"), (b"\xff\xd8\xff", "image"), (b"GIF8", "image")):
        if data.startswith(magic):
            return name
    if head.startswith(b"<") or _MARKUP.search(head.decode("latin-1")):
        return "html"
    return "unknown"


def _read_bytes(source: str | os.PathLike[str] | bytes | IO[bytes], max_bytes: int) -> bytes:
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    elif isinstance(source, str | os.PathLike):
        size = os.path.getsize(source)
        if size > max_bytes:
            raise FileProblem("too_large", {"size": size, "limit": max_bytes})
        with open(source, "rb") as handle:
            data = handle.read(max_bytes + 1)
    else:
        data = source.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise FileProblem("too_large", {"size": len(data), "limit": max_bytes})
    if not data.strip(b"\xef\xbb\xbf \t\r\n"):
        raise FileProblem("empty")
    return data


def read_table(source: str | os.PathLike[str] | bytes | IO[bytes], kind: Kind, max_rows: int, *,
               max_bytes: int = MAX_BYTES, max_uncompressed: int = MAX_UNCOMPRESSED) -> pd.DataFrame:
    """The file's rows as text (no type guessing), one column per name in COLUMNS plus ROW, blank rows dropped.

    Raises FileProblem before anything else when the file is too big, is not really `kind`, would inflate past
    `max_uncompressed`, carries XML entity declarations, holds more than `max_rows` rows, or lacks the columns."""
    data = _read_bytes(source, max_bytes)
    chunks = _csv_records(data) if kind == "csv" else _xlsx_records(data, max_uncompressed)
    return _table(chunks, max_rows)


def _table(chunks: Iterator[pd.DataFrame], max_rows: int) -> pd.DataFrame:
    """Header from the first non-blank record; data rows counted as read, so memory stays within max_rows."""
    header: list[str] | None = None
    kept: list[pd.DataFrame] = []
    count = 0
    for chunk in chunks:
        chunk = chunk.loc[(chunk.drop(columns=ROW) != "").any(axis=1)]
        if header is None and len(chunk):
            header, chunk = [str(v) for v in chunk.iloc[0].drop(ROW)], chunk.iloc[1:]
        count += len(chunk)
        if count > max_rows:
            raise FileProblem("too_many_rows", {"limit": max_rows})
        kept.append(chunk)
    if header is None:
        raise FileProblem("empty")
    frame = pd.concat(kept, ignore_index=True) if kept else pd.DataFrame(columns=[*range(len(header)), ROW])
    names = _column_names(header, frame)
    frame = frame[list(names)].rename(columns=names)
    if frame.empty:
        raise FileProblem("empty", {"header_only": True})
    for name in COLUMNS:
        if name not in frame:
            frame[name] = ""
    frame[ROW] = frame[ROW].astype("int64")
    return frame[[ROW, *COLUMNS]].reset_index(drop=True)


def _column_names(header: list[str], frame: pd.DataFrame) -> dict[object, str]:
    """Column position → our name. Unnamed columns with nothing in them (Excel's formatted margins) are ignored."""
    names: dict[object, str] = {ROW: ROW}
    unknown, duplicate = [], []
    for position, title in enumerate(header):
        key = " ".join(unicodedata.normalize("NFC", title).translate(_TEXT).split()).lower()
        if not key:
            if (frame[position] != "").any():
                unknown.append("")
            continue
        name = _ALIASES.get(key)
        if name is None:
            unknown.append(title.strip())
        elif name in names.values():
            duplicate.append(title.strip())
        else:
            names[position] = name
    missing = [name for name in REQUIRED if name not in names.values()]
    if missing or unknown or duplicate:
        raise FileProblem("wrong_columns", {"missing": missing, "unknown": unknown, "duplicate": duplicate,
                                            "found": [t.strip() for t in header], "expected": list(COLUMNS)})
    return names


# --- CSV ---------------------------------------------------------------------------------------------------------


def _decode_csv(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text"
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise FileProblem("encoding") from error
    else:
        if b"\x00" in data:
            raise FileProblem("not_csv", {"looks_like": _looks_like(data), "reason": "binary"})
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:  # Windows Arabic: every byte decodes, so control characters decide
            text = data.decode("cp1256", errors="replace")
    if "\x00" in text or _CONTROL.search(text) or "\ufffd" in text:
        raise FileProblem("encoding")
    head = text.lstrip("\ufeff \t\r\n")
    if head.startswith("<") or _MARKUP.search(head[:1024]):
        raise FileProblem("not_csv", {"looks_like": "html", "reason": "markup"})
    return text.removeprefix("\ufeff")


def _csv_records(data: bytes) -> Iterator[pd.DataFrame]:
    text = _decode_csv(data)
    first = next((line for line in text.splitlines() if line.strip()), "")
    sep = max((",", ";", "\t"), key=first.count)
    try:
        reader = pd.read_csv(io.StringIO(text), sep=sep, header=None, dtype=str, keep_default_na=False,
                             na_filter=False, skip_blank_lines=False, chunksize=CHUNK_ROWS, engine="c")
        start = 1
        for chunk in reader:
            chunk = chunk.map(str.strip)
            chunk[ROW] = np.arange(start, start + len(chunk))
            start += len(chunk)
            yield chunk
    except pd.errors.EmptyDataError as error:
        raise FileProblem("empty") from error
    except pd.errors.ParserError as error:
        line = re.search(r"line (\d+)", str(error))
        raise FileProblem("malformed", {"line": int(line.group(1)) if line else None}) from error


# --- XLSX --------------------------------------------------------------------------------------------------------


def _check_zip(data: bytes, max_uncompressed: int) -> None:
    """Judge the package from its central directory, then read each XML part in chunks for DOCTYPE/ENTITY."""
    if not data.startswith(b"PK\x03\x04"):
        raise FileProblem("not_xlsx", {"looks_like": _looks_like(data)})
    if data.count(b"PK\x01\x02") > MAX_ZIP_ENTRIES:
        raise FileProblem("zip_bomb", {"entries": MAX_ZIP_ENTRIES})
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            names = {info.filename for info in infos}
            if "xl/workbook.xml" not in names:
                raise FileProblem("not_xlsx", {"looks_like": "zip"})
            declared = sum(info.file_size for info in infos)
            if declared > max_uncompressed or (declared > RATIO_FROM and declared > MAX_RATIO * len(data)):
                raise FileProblem("zip_bomb", {"declared": declared, "limit": max_uncompressed})
            if any(info.flag_bits & 0x1 for info in infos):
                raise FileProblem("not_xlsx", {"looks_like": "encrypted"})
            for info in infos:
                if info.filename.endswith((".xml", ".rels")):
                    _scan_xml(zf, info)
    except FileProblem:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError, zlib.error) as error:
        raise FileProblem("broken") from error


def _scan_xml(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    tail = b""
    with zf.open(info) as part:  # ZipExtFile never yields more than the part declares
        while chunk := part.read(SCAN_CHUNK):
            if _DTD.search(tail + chunk):
                raise FileProblem("unsafe_xml", {"part": info.filename})
            tail = chunk[-16:]


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value).strip()


def _xlsx_records(data: bytes, max_uncompressed: int) -> Iterator[pd.DataFrame]:
    _check_zip(data, max_uncompressed)
    from openpyxl import load_workbook  # only XLSX imports pay for it

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises anything from KeyError to TypeError on a damaged file
        raise _openpyxl_problem(error) from error
    try:
        if not workbook.worksheets:
            raise FileProblem("empty")
        sheet = workbook.worksheets[0]
        batch: list[tuple[object, ...]] = []
        numbers: list[int] = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if any(v is not None and v != "" for v in values):
                batch.append(values)
                numbers.append(number)
            if len(batch) >= CHUNK_ROWS:
                yield _xlsx_chunk(batch, numbers)
                batch, numbers = [], []
        if batch:
            yield _xlsx_chunk(batch, numbers)
    except FileProblem:
        raise
    except Exception as error:
        raise _openpyxl_problem(error) from error
    finally:
        workbook.close()


def _openpyxl_problem(error: BaseException) -> FileProblem:
    """openpyxl wraps what defusedxml raises in a ValueError: look down the chain of causes."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, DefusedXmlException):
            return FileProblem("unsafe_xml")
        cause = cause.__cause__ or cause.__context__
    return FileProblem("broken")


def _xlsx_chunk(batch: list[tuple[object, ...]], numbers: list[int]) -> pd.DataFrame:
    width = max(len(values) for values in batch)
    chunk = pd.DataFrame([[_cell_text(v) for v in values] + [""] * (width - len(values)) for values in batch],
                         dtype=object)
    chunk[ROW] = numbers
    return chunk


# --- Validation --------------------------------------------------------------------------------------------------


def validate(frame: pd.DataFrame, catalog: Catalog, *, max_problems: int = MAX_PROBLEMS, step: int | None = None,
             progress: Callable[[int, int], None] | None = None) -> Result:
    """Every row against the catalog; nothing is looked at row by row in Python.

    With `step`, the rows are checked `step` at a time and `progress(done, total)` is called after each slice (it
    may raise to stop the work); duplicates are still found over the whole file."""
    frame = frame.reset_index(drop=True)
    rows = frame[ROW].astype("int64") if ROW in frame else pd.Series(np.arange(len(frame)) + 2)
    step = max(step or len(frame), 1)
    parts: list[_Checked] = []
    for start in range(0, len(frame), step):
        parts.append(_check(frame.iloc[start:start + step], rows.iloc[start:start + step], catalog))
        if progress is not None:
            progress(min(start + step, len(frame)), len(frame))
    if not parts:
        parts.append(_check(frame, rows, catalog))
    keys = pd.concat([part.keys for part in parts])
    duplicate = keys.duplicated(["i", "r", "s", "y"], keep=False)
    other = _other_row(keys[duplicate])

    found = [part.problems for part in parts if len(part.problems)]
    if len(other):
        found.append(pd.DataFrame({ROW: rows[other.index], "column": "", "code": "duplicate",
                                   "value": other.astype(str)}))
    problems = pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=[ROW, "column", "code", "value"])
    order = {name: position for position, name in enumerate(("", *COLUMNS))}
    problems = problems.assign(_order=problems["column"].map(order)).sort_values([ROW, "_order"], kind="stable")
    bad = pd.concat([part.bad for part in parts])
    bad.loc[other.index] = True

    good = pd.concat([part.candidates for part in parts])[~bad]
    good = good.astype({"indicator_id": "int64", "region_id": "int64", "sector_id": "int64", "year": "int64",
                        "value": "float64"}).reset_index(drop=True)
    listed = [Problem(int(p.row), str(p.column), str(p.code), str(p.value))
              for p in problems.head(max_problems).itertuples(index=False)]
    counts = {str(code): int(n) for code, n in problems["code"].value_counts(sort=False).items()}
    return Result(rows=good, problems=listed, problem_count=len(problems), row_count=len(frame),
                  bad_row_count=int(bad.sum()), problem_counts=counts)


@dataclass
class _Checked:
    """One slice of the file, checked: its problems but duplicates, which rows are bad, the resolved key of every
    row that has one (for the duplicate check over the whole file), and every row resolved as far as it goes."""

    problems: pd.DataFrame
    bad: pd.Series
    keys: pd.DataFrame
    candidates: pd.DataFrame


def _check(frame: pd.DataFrame, rows: pd.Series, catalog: Catalog) -> _Checked:
    text = {name: (frame[name].astype(object).fillna("").astype(str) if name in frame
                   else pd.Series("", index=frame.index, dtype=object)) for name in COLUMNS}
    checks: list[tuple[str, str, pd.Series]] = []  # (column, code, mask)

    def blank(name: str) -> pd.Series:
        return _codes(text[name]) == ""

    indicator_codes, region_codes, sector_codes = _codes(text["indicator"]), _codes(text["region"]), \
        _codes(text["sector"])
    indicator_id = _lookup(indicator_codes, {code: pair[0] for code, pair in catalog.indicators.items()})
    by_sector = _lookup(indicator_codes, {code: pair[1] for code, pair in catalog.indicators.items()})
    region_id = _lookup(region_codes, catalog.regions)
    no_sector = sector_codes == ""
    sector_id = _lookup(sector_codes, catalog.sectors).where(~no_sector, catalog.total_sector_id)
    is_total = sector_id == catalog.total_sector_id

    checks += [("indicator", "missing_value", indicator_codes == ""),
               ("indicator", "unknown_indicator", (indicator_codes != "") & indicator_id.isna())]
    if catalog.allowed_indicators is not None:
        allowed = indicator_id.isin(list(catalog.allowed_indicators))
        checks.append(("indicator", "not_your_indicator", indicator_id.notna() & ~allowed))
    checks += [("region", "missing_value", region_codes == ""),
               ("region", "unknown_region", (region_codes != "") & region_id.isna()),
               ("sector", "unknown_sector", ~no_sector & sector_id.isna()),
               ("sector", "sector_required", by_sector.eq(True) & is_total),  # NaN (unknown) is neither
               ("sector", "sector_not_allowed", by_sector.eq(False) & sector_id.notna() & ~is_total)]

    year = _per_value(text["year"], _year).astype(float)
    low, high = catalog.years
    checks += [("year", "missing_value", blank("year")),
               ("year", "not_a_year", ~blank("year") & year.isna()),
               ("year", "year_out_of_range", year.notna() & ((year < low) | (year > high)))]

    value_text = text["value"].str.translate(_NUMBER)
    value, value_blank = _numbers(value_text), value_text == ""
    source = _per_value(text["source"], str.strip)
    checks += [("value", "missing_value", value_blank),
               ("value", "not_a_number", ~value_blank & value.isna()),
               ("source", "too_long", source.str.len() > MAX_SOURCE)]

    keyed = indicator_id.notna() & region_id.notna() & sector_id.notna() & year.notna()
    keys = pd.DataFrame({"i": indicator_id, "r": region_id, "s": sector_id, "y": year, ROW: rows})[keyed]
    found = [pd.DataFrame({ROW: rows[mask], "column": column, "code": code, "value": text[column][mask].str.strip()})
             for column, code, mask in checks if mask.any()]
    problems = pd.concat(found) if found else pd.DataFrame(columns=[ROW, "column", "code", "value"])
    bad = pd.Series(False, index=frame.index)
    for _column, _code, mask in checks:
        bad |= mask.fillna(False).astype(bool)
    candidates = pd.DataFrame({ROW: rows, "indicator_id": indicator_id, "region_id": region_id,
                               "sector_id": sector_id, "year": year, "value": value, "source": source})
    return _Checked(problems=problems, bad=bad, keys=keys, candidates=candidates)


def _other_row(duplicates: pd.DataFrame) -> pd.Series:
    """For each duplicated row, the row number of another row with the same key: the first one of its group, or
    for that first one the second."""
    if duplicates.empty:
        return pd.Series(dtype="int64")
    ordered = duplicates.sort_values(["i", "r", "s", "y", ROW])
    group = ordered.groupby(["i", "r", "s", "y"], sort=False)[ROW]
    first = group.transform("min")
    second = ordered[ROW].shift(-1)  # sorted by key then row: the first of a group is followed by its second
    return first.where(ordered[ROW] != first, second).astype("int64")
