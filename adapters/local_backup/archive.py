"""LocalBackup: a consistent copy of the embedded default's data directory in one .tar.gz, and back.

Every SQLite file (the main database, the demo mailbox, the agent's checkpoints) is copied with SQLite's online
backup API, so the copy is consistent even while `mailagent serve` writes (WAL included); everything else (keys,
the encrypted secret store, the outbox of system mail) is copied as it is. A manifest records each file's
SHA-256; restore checks them before it touches anything, and never mixes an old and a new data directory."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

SQLITE_MAGIC = b"SQLite format 3\x00"
MANIFEST = "manifest.json"
FORMAT = 1
SKIP_SUFFIXES = ("-wal", "-shm", "-journal")  # the online backup already includes what they hold


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class BackupReport:
    path: Path
    files: int
    databases: int
    bytes: int


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _is_sqlite(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(16) == SQLITE_MAGIC


def _private_file(path: Path) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)


class LocalBackup:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir

    def create(self, target: Path, *, note: dict[str, str] | None = None) -> BackupReport:
        if not self.data_dir.is_dir():
            raise BackupError(f"There is no data directory at {self.data_dir}: nothing to back up.")
        target = target.resolve()
        if target.is_relative_to(self.data_dir.resolve()):
            raise BackupError("Write the backup outside the data directory it copies.")
        with tempfile.TemporaryDirectory(prefix="mailagent-backup-") as tmp:
            staging = Path(tmp) / "data"
            staging.mkdir(mode=0o700)
            files: dict[str, str] = {}
            databases = 0
            for source in sorted(p for p in self.data_dir.rglob("*") if p.is_file()):
                relative = source.relative_to(self.data_dir)
                if source.name.endswith(SKIP_SUFFIXES):
                    continue
                copy = staging / relative
                copy.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                if _is_sqlite(source):
                    self._copy_database(source, copy)
                    databases += 1
                else:
                    shutil.copy2(source, copy)
                os.chmod(copy, 0o600)
                files[relative.as_posix()] = _sha256(copy)
            manifest = {
                "format": FORMAT,
                "created_at": datetime.now(UTC).isoformat(),
                "files": files,
                **(note or {}),
            }
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".partial")
            _private_file(partial)  # it holds the keys: 0600 from the first byte
            with tarfile.open(partial, "w:gz") as tar:
                data = json.dumps(manifest, indent=2).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mode = len(data), 0o600
                tar.addfile(info, io.BytesIO(data))
                tar.add(staging, arcname="data")
            partial.replace(target)
        return BackupReport(target, len(files), databases, target.stat().st_size)

    @staticmethod
    def _copy_database(source: Path, copy: Path) -> None:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
        dst = sqlite3.connect(copy)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file in the archive
        finally:
            dst.close()
            src.close()

    def restore(self, archive: Path, *, force: bool = False) -> dict[str, object]:
        """Put the archive's data directory in place. An existing, non-empty data directory is refused unless
        `force`, in which case it is kept beside the restored one as `<data_dir>.before-restore-<time>`."""
        if not archive.is_file():
            raise BackupError(f"No backup at {archive}.")
        existing = self.data_dir.exists() and any(self.data_dir.iterdir())
        if existing and not force:
            raise BackupError(
                f"{self.data_dir} is not empty. Stop mailagent and run restore with --force to replace it "
                "(the current directory is kept aside), or restore into an empty data directory."
            )
        parent = self.data_dir.resolve().parent
        parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".mailagent-restore-", dir=parent) as tmp:
            try:
                with tarfile.open(archive, "r:gz") as tar:
                    tar.extractall(tmp, filter="data")
            except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
                raise BackupError(f"{archive} is not a readable mailagent backup ({exc}).") from exc
            manifest_path = Path(tmp) / MANIFEST
            if not manifest_path.is_file():
                raise BackupError(f"{archive} has no manifest: it is not a mailagent backup.")
            manifest = json.loads(manifest_path.read_text())
            if manifest.get("format") != FORMAT:
                raise BackupError(
                    f"{archive} is a backup of format {manifest.get('format')}; this version reads {FORMAT}."
                )
            restored = Path(tmp) / "data"
            files: dict[str, str] = manifest["files"]
            for relative, digest in files.items():
                path = restored / relative
                if not path.is_file() or _sha256(path) != digest:
                    raise BackupError(
                        f"{archive} is damaged: {relative} does not match its checksum. Nothing was changed."
                    )
            extra = {p.relative_to(restored).as_posix() for p in restored.rglob("*") if p.is_file()} - set(files)
            if extra:
                raise BackupError(f"{archive} holds files its manifest does not list ({sorted(extra)[:3]}).")
            os.chmod(restored, 0o700)
            if existing:
                aside = self.data_dir.with_name(
                    f"{self.data_dir.name}.before-restore-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}"
                )
                self.data_dir.rename(aside)
                manifest["previous_data_dir"] = str(aside)
            elif self.data_dir.exists():
                self.data_dir.rmdir()
            restored.rename(self.data_dir)
        return manifest
