"""Hostile inputs the attack tests send, built in the test (nothing here is real data): xlsx
packages that are cheap to send and costly to parse, or that carry XML the parser must refuse."""

from __future__ import annotations

import io
import zipfile

OFFICE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
PACKAGE = "http://schemas.openxmlformats.org/package/2006"
RELATION = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CONTENT_TYPES = (
    f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{PACKAGE}/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{OFFICE}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{OFFICE}.worksheet+xml"/>'
    f'<Override PartName="/xl/sharedStrings.xml" ContentType="{OFFICE}.sharedStrings+xml"/>'
    "</Types>"
).encode()
RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE}/relationships">'
    f'<Relationship Id="rId1" Type="{RELATION}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
).encode()
WORKBOOK_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE}/relationships">'
    f'<Relationship Id="rId1" Type="{RELATION}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{RELATION}/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
).encode()
MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _workbook_xml(sheet: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN.decode()}" '
        f'xmlns:r="{RELATION}">'
        f'<sheets><sheet name="{sheet}" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ).encode()


def package(
    sheet_xml: bytes, shared_strings: bytes | None = None, sheet: str = "月度进展"
) -> bytes:
    """A minimal xlsx package of one sheet named ``sheet`` (deflated: repetition costs nothing)."""
    strings = shared_strings or b'<sst xmlns="' + MAIN + b'" count="0" uniqueCount="0"/>'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", RELS)
        archive.writestr("xl/workbook.xml", _workbook_xml(sheet))
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet_xml)
        archive.writestr("xl/sharedStrings.xml", strings)
    return buffer.getvalue()


def _sheet(rows: bytes, prolog: bytes = b"") -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        + prolog
        + b'<worksheet xmlns="'
        + MAIN
        + b'"><sheetData>'
        + rows
        + b"</sheetData></worksheet>"
    )


def wide_sheet(rows: int, columns: int) -> bytes:
    """A workbook of ``rows`` × ``columns`` cells holding 1: issue #11's 199 KB workbook of
    4,900 × 1,300 cells that unpacks to 91 MB."""
    cells = b"".join(b'<c t="n"><v>1</v></c>' for _ in range(columns))
    body = b"".join(b'<row r="%d">' % (r + 1) + cells + b"</row>" for r in range(rows))
    return package(_sheet(body))


def shared_strings_bomb(megabytes: int) -> bytes:
    """A one-cell workbook whose shared-strings part is ``megabytes`` MB of tiny strings (issue
    #11's 247 KB workbook with a 95 MB part)."""
    item = b"<si><t>x</t></si>"
    count = megabytes * 2**20 // len(item)
    strings = b'<sst xmlns="' + MAIN + b'">' + item * count + b"</sst>"
    return package(_sheet(b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>'), strings)


def doctype_sheet() -> bytes:
    """A sheet part that declares a DOCTYPE with an external entity and uses it in a cell."""
    prolog = b'<!DOCTYPE worksheet [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    row = b'<row r="1"><c r="A1" t="inlineStr"><is><t>&x;</t></is></c></row>'
    return package(_sheet(row, prolog))
