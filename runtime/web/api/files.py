"""Uploading a material's file (multipart), checked for size and real type by the service."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.types import Message, Receive

from runtime.services.errors import Invalid, TooLarge
from runtime.services.files import ALL_TYPES, Upload
from runtime.web.api.operation import Call, Operation
from runtime.web.api.present import file_json
from runtime.web.api.schemas import ref

#: Room for the multipart framing and the small text fields around the file.
OVERHEAD = 64 * 1024

UPLOAD = {
    "type": "object",
    "required": ["file"],
    "properties": {
        "file": {"type": "string", "format": "binary", "description": "the file"},
        "matter": {"type": "string", "description": "a matter id (with material)"},
        "material": {"type": "string", "description": "check against this material's "
                     "accepted types and size limit (needs matter)"},
    },
}


async def upload_file(call: Call) -> Any:
    """Store one file; the material's limits apply when ``matter`` and ``material`` are given."""
    services = call.services
    user = call.user
    cap = int(services.files.max_mb * 1024 * 1024) + OVERHEAD
    length = call.request.headers.get("content-length", "")
    if length.isdigit() and int(length) > cap:
        raise _too_large(services.files.max_mb)
    request = Request(call.request.scope, _capped(call.request.receive, cap,
                                                  services.files.max_mb))
    async with request.form(max_files=1, max_fields=10, max_part_size=OVERHEAD) as form:
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise Invalid("请以 multipart/form-data 的 file 字段上传文件",
                          [{"pointer": "/file", "message": "必填，须为文件"}])
        matter, material = form.get("matter"), form.get("material")
        accept: tuple[str, ...] = ALL_TYPES
        max_mb = None
        if isinstance(matter, str) and matter and isinstance(material, str) and material:
            spec = services.matters.material(matter, material)
            accept, max_mb = spec.accept, spec.max_mb
        data = await file.read()
        meta = await run_in_threadpool(services.files.upload, user,
                                       Upload(file.filename or "", data), accept=accept,
                                       max_mb=max_mb)
    return file_json(meta)


def _too_large(limit_mb: float) -> TooLarge:
    return TooLarge(f"文件超过 {limit_mb:g} MB 的上限")


def _capped(receive: Receive, cap: int, limit_mb: float) -> Receive:
    """Stop reading as soon as the body passes ``cap``: an oversize upload never fills a disk."""
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > cap:
                raise _too_large(limit_mb)
        return message
    return counted


operations = [
    Operation("POST", "/files", upload_file, "Upload a material's file", "applicant, window",
              ref("File"), "files", status=201, multipart=UPLOAD,
              errors=(400, 401, 403, 404, 413, 415),
              description="The real type is read from the content, not the name; a file whose "
              "content does not match its extension is refused with 415."),
]
