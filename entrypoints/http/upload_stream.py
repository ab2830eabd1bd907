"""Receive one file from a multipart/form-data request as it streams in: into a temporary file (1 MB in memory at
most), counting as it goes, and stop reading the moment it is larger than the limit (or at once, when the declared
Content-Length already says so). Nothing here holds the whole request."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from typing import IO, Any
from urllib.parse import unquote

from fastapi import Request
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from domain.attachments import too_large
from domain.errors import ValidationFailed

SPOOL_IN_MEMORY = 1024 * 1024
MULTIPART_OVERHEAD = 64 * 1024  # boundaries and part headers around the file
MAX_FIELD_BYTES = 4096


class UnsupportedUpload(ValidationFailed):
    """Not multipart/form-data with a `file` part."""


@dataclass
class _Part:
    headers: dict[str, bytes] = field(default_factory=dict)
    name: str = ""
    filename: str | None = None


@dataclass
class ReceivedFile:
    filename: str
    spool: IO[bytes]
    size: int


async def receive_file(request: Request, *, limit: int, field_name: str = "file") -> ReceivedFile:
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise UnsupportedUpload(
            "Send the file as multipart/form-data with a part named 'file' (curl -F file=@report.pdf ...).",
            details=[{"field": field_name, "issue": "not_multipart"}],
        )
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + MULTIPART_OVERHEAD:
        raise too_large()  # nothing of the body is read

    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 - returned to the caller
    state: dict[str, Any] = {"part": None, "header_field": b"", "header_value": b"", "size": 0, "over": False}
    found: dict[str, Any] = {"filename": None, "files": 0}

    def on_part_begin() -> None:
        state["part"] = _Part()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["header_field"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state["header_value"] += data[start:end]

    def on_header_end() -> None:
        part: _Part = state["part"]
        part.headers[state["header_field"].decode("latin-1").lower()] = state["header_value"]
        state["header_field"], state["header_value"] = b"", b""

    def on_headers_finished() -> None:
        part: _Part = state["part"]
        _, disposition = parse_options_header(part.headers.get("content-disposition", b""))
        part.name = disposition.get(b"name", b"").decode("utf-8", errors="replace")
        extended, plain = disposition.get(b"filename*"), disposition.get(b"filename")
        if extended is not None:  # RFC 5987: UTF-8''name%20with%20spaces
            part.filename = unquote(extended.decode("latin-1").partition("''")[2] or extended.decode("latin-1"))
        elif plain is not None:
            part.filename = plain.decode("utf-8", errors="replace")
        if part.name == field_name and part.filename is not None:
            found["files"] += 1
            found["filename"] = part.filename

    def on_part_data(data: bytes, start: int, end: int) -> None:
        part: _Part = state["part"]
        if part.name != field_name or part.filename is None or found["files"] != 1 or state["over"]:
            return
        state["size"] += end - start
        if state["size"] > limit:
            state["over"] = True
            return
        spool.write(data[start:end])

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
        },
    )
    try:
        async for chunk in request.stream():
            parser.write(chunk)
            if state["over"]:
                raise too_large()  # stop reading here: the rest of the body is never received
        parser.finalize()
    except FormParserError:
        spool.close()
        raise UnsupportedUpload(
            "The multipart body is malformed.", details=[{"field": field_name, "issue": "malformed"}]
        ) from None
    except BaseException:
        spool.close()
        raise
    if found["files"] != 1:
        spool.close()
        raise UnsupportedUpload(
            "Send exactly one file, in a multipart part named 'file'.",
            details=[{"field": field_name, "issue": "missing" if not found["files"] else "several"}],
        )
    spool.seek(0)
    return ReceivedFile(found["filename"] or "", spool, state["size"])
