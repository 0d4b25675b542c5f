"""Uploaded materials: size and real-type checks, stored by SHA-256, metadata only in the DB.

The extension a user gives proves nothing; the first bytes decide the type. A file
whose content does not match its extension, or whose type the material does not
accept, is refused with 415.
"""

from __future__ import annotations

import io
import re
import unicodedata
import uuid
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from runtime.services.accounts import User
from runtime.services.errors import Forbidden, Invalid, TooLarge, UnsupportedType
from runtime.store import Store

CONTENT_TYPES = {
    "pdf": "application/pdf", "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png",
    "ofd": "application/ofd",
    "doc": "application/msword", "xls": "application/vnd.ms-excel",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
ALL_TYPES = tuple(CONTENT_TYPES)
UPLOAD_ROLES = ("applicant", "window", "agent")


def sniff(data: bytes) -> str | None:
    """The real type of ``data`` as an extension (``jpg`` for JPEG), or None."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"  # doc or xls: the container cannot tell them apart cheaply
    if data.startswith(b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except (zipfile.BadZipFile, ValueError):
            return None
        if any(n.lower().endswith("ofd.xml") for n in names):
            return "ofd"
        if any(n.startswith("word/") for n in names):
            return "docx"
        if any(n.startswith("xl/") for n in names):
            return "xlsx"
    return None


def _matches(extension: str, real: str | None) -> bool:
    if real == "jpg":
        return extension in ("jpg", "jpeg")
    if real == "ole":
        return extension in ("doc", "xls")
    return extension == real


def clean_name(name: str) -> str:
    """A file name safe to show and to send back: no folders, no control characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = name.strip().lstrip(".") or "file"
    stem, dot, ext = name.rpartition(".")
    if dot and len(name) > 120:
        name = stem[: 120 - len(ext) - 1] + "." + ext
    return name[:120]


@dataclass(frozen=True)
class Upload:
    """One file as received."""

    name: str
    data: bytes


class Files:
    """Upload and read materials."""

    def __init__(self, store: Store, max_mb: float, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.max_mb = max_mb
        self.clock = clock

    def upload(self, user: User, upload: Upload, *, accept: Iterable[str] = ALL_TYPES,
               max_mb: float | None = None) -> dict[str, Any]:
        """Check and store one file; return its metadata."""
        if user.role not in UPLOAD_ROLES:
            raise Forbidden("只有申请人和综合窗口可以上传材料")
        limit = min(self.max_mb, max_mb or self.max_mb)
        size = len(upload.data)
        if size > limit * 1024 * 1024:
            raise TooLarge(f"文件“{clean_name(upload.name)}”大小 {size / 1048576:.1f} MB，"
                           f"超过 {limit:g} MB 的上限")
        if size == 0:
            raise Invalid("文件为空", [{"pointer": "/file", "message": "文件为空"}])
        name = clean_name(upload.name)
        extension = name.rpartition(".")[2].lower() if "." in name else ""
        accepted = tuple(accept)
        real = sniff(upload.data)
        if extension not in accepted or not _matches(extension, real):
            allowed = "、".join(a.upper() for a in accepted)
            raise UnsupportedType(f"文件“{name}”的实际类型不受支持或与扩展名不符；"
                                  f"请上传 {allowed} 格式的文件")
        sha = self.store.save_blob(upload.data)
        meta = {"id": "f_" + uuid.uuid4().hex[:16], "sha256": sha, "name": name, "size": size,
                "content_type": CONTENT_TYPES[extension], "uploaded_by": user.id,
                "uploaded_at": self.clock().isoformat()}
        with self.store.write() as tx:
            tx.put_file(meta)
        return meta

    def meta(self, file_id: str) -> dict[str, Any] | None:
        """Metadata of an uploaded file."""
        return self.store.get_file(file_id)

    def read(self, meta: dict[str, Any]) -> bytes:
        """The bytes of a file (access is checked by the caller's case rules)."""
        with self.store.open_blob(meta["sha256"]) as blob:
            return blob.read()
