"""LocalBlobStore: blobs as files under the data dir (the embedded default), written atomically, read in chunks."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from application.ports.blob_store import CHUNK_BYTES, BlobInfo, BlobStore
from domain.attachments import check_blob_key
from domain.errors import NotFound, ServiceUnavailable


class LocalBlobStore(BlobStore):
    """`root/blobs/<key>` holds the bytes, `root/meta/<key>.json` the content type and the temporary mark."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.blobs = root / "blobs"
        self.meta = root / "meta"

    def _paths(self, key: str) -> tuple[Path, Path]:
        check_blob_key(key)
        return self.blobs / key, self.meta / f"{key}.json"

    def put(self, key: str, stream: BinaryIO, *, content_type: str, temporary: bool = True) -> int:
        path, meta = self._paths(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            meta.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
            size = 0
            try:
                with os.fdopen(fd, "wb") as out:
                    while chunk := stream.read(CHUNK_BYTES):
                        out.write(chunk)
                        size += len(chunk)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            self._write_meta(meta, {"content_type": content_type, "temporary": temporary})
        except OSError as exc:
            raise ServiceUnavailable("The file store (local disk) could not write the file.", service="blobs") from exc
        return size

    @staticmethod
    def _write_meta(meta: Path, values: dict[str, object]) -> None:
        tmp = meta.with_name(f".{meta.name}.tmp")
        tmp.write_text(json.dumps(values))
        os.replace(tmp, meta)

    def get(self, key: str, *, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
        path, _ = self._paths(key)
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            raise NotFound("There is no such file (it may have expired).") from None
        except OSError as exc:
            raise ServiceUnavailable("The file store (local disk) could not read the file.", service="blobs") from exc

        def chunks() -> Iterator[bytes]:
            with handle:
                while chunk := handle.read(chunk_bytes):
                    yield chunk

        return chunks()

    def presign_download(self, key: str, *, filename: str, expires_in_seconds: int) -> str | None:
        path, _ = self._paths(key)
        if not path.is_file():
            raise NotFound("There is no such file (it may have expired).")
        return None

    def set_temporary(self, key: str, temporary: bool) -> None:
        path, meta = self._paths(key)
        if not path.is_file():
            raise NotFound("There is no such file (it may have expired).")
        values = self._read_meta(meta)
        values["temporary"] = temporary
        self._write_meta(meta, values)

    @staticmethod
    def _read_meta(meta: Path) -> dict[str, object]:
        try:
            loaded = json.loads(meta.read_text())
        except (OSError, ValueError):
            return {"content_type": "application/octet-stream", "temporary": True}
        return loaded if isinstance(loaded, dict) else {}

    def delete(self, key: str) -> None:
        path, meta = self._paths(key)
        path.unlink(missing_ok=True)
        meta.unlink(missing_ok=True)

    def list_older_than(self, prefix: str, cutoff: datetime) -> Iterator[BlobInfo]:
        base = self.blobs
        if not base.is_dir():
            return
        for dirpath, _, files in os.walk(base):
            for name in files:
                if name.startswith(".incoming-"):
                    continue
                path = Path(dirpath) / name
                key = path.relative_to(base).as_posix()
                if not key.startswith(prefix):
                    continue
                try:
                    stat = path.stat()
                except FileNotFoundError:
                    continue
                modified = datetime.fromtimestamp(stat.st_mtime, UTC)
                if modified < cutoff:
                    temporary = self._read_meta(self.meta / f"{key}.json").get("temporary", True)
                    yield BlobInfo(key, stat.st_size, modified, bool(temporary))
