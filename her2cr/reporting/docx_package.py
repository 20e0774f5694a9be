"""Reading and writing a Word document (.docx, a zip of XML parts) byte-reproducibly.

Only the standard library: the render step needs no docx library. Parts are written in the order
they were read, with a fixed timestamp and permissions, so the same parts give the same bytes.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

# 1980-01-01, the earliest date a zip entry can hold: no part carries the time it was written
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
REL_IMAGE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"
REL_HEADER = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/header"
REL_FOOTER = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer"


def read_parts(source: bytes | Path) -> dict[str, bytes]:
    """The document's parts by name, in the order of the zip."""
    data = source.read_bytes() if isinstance(source, Path) else source
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name) for name in z.namelist()}


def write_parts(parts: dict[str, bytes]) -> bytes:
    """A .docx from its parts; [Content_Types].xml first, as Word and the OPC standard expect."""
    names = sorted(parts, key=lambda n: n != "[Content_Types].xml")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, parts[name])
    return buf.getvalue()


def write_docx(parts: dict[str, bytes], target: Path) -> Path:
    """Write the document atomically (a reader never sees half a file)."""
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_bytes(write_parts(parts))
    tmp.replace(target)
    return target
