"""A private clamd for tests: Debian's clamav-daemon with a one-line signature database (EICAR only, made with
sigtool), on a free TCP port of 127.0.0.1 and a unix socket, stopped at the end of the session."""

from __future__ import annotations

import io
import shutil
import socket
import subprocess
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest

from adapters.in_memory.malware_scanner import EICAR

HOW_TO_INSTALL = "Install ClamAV: apt-get install -y clamav-daemon clamav (bash .ci/run does this)."
assert len(EICAR) == 68


def eicar_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("readme.txt", "nothing to see")
        archive.writestr("docs/eicar.com", EICAR)
    return buffer.getvalue()


def eicar_mime() -> bytes:
    """A whole e-mail (.eml) carrying EICAR base64-encoded in a MIME part."""
    message = EmailMessage()
    message["From"] = "mallory@example.org"
    message["To"] = "victim@example.com"
    message["Subject"] = "invoice"
    message.set_content("Please see the attachment.")
    message.add_attachment(EICAR, maintype="application", subtype="octet-stream", filename="invoice.com")
    return message.as_bytes()


@dataclass(frozen=True)
class Clamd:
    tcp: str  # host:port
    unix: str  # socket path
    process: subprocess.Popen[bytes]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            sock.sendall(b"zPING\0")
            return sock.recv(16).startswith(b"PONG")
    except OSError:
        return False


def start_clamd(workdir: Path) -> Clamd:
    clamd = shutil.which("clamd") or ("/usr/sbin/clamd" if Path("/usr/sbin/clamd").exists() else None)
    sigtool = shutil.which("sigtool")
    if clamd is None or sigtool is None:
        pytest.fail(f"clamd or sigtool is missing. {HOW_TO_INSTALL}", pytrace=False)
    db = workdir / "db"
    db.mkdir(parents=True)
    sample = workdir / "eicar.com"
    sample.write_bytes(EICAR)
    signature = subprocess.run([sigtool, "--md5", str(sample)], check=True, capture_output=True).stdout
    (db / "eicar.hdb").write_bytes(signature)
    port = _free_port()
    sock_path = workdir / "clamd.sock"
    config = workdir / "clamd.conf"
    config.write_text(
        "\n".join(
            [
                f"DatabaseDirectory {db}",
                f"TCPSocket {port}",
                "TCPAddr 127.0.0.1",
                f"LocalSocket {sock_path}",
                "Foreground yes",
                f"LogFile {workdir / 'clamd.log'}",
                "StreamMaxLength 26M",
                "MaxFileSize 26M",
                "MaxScanSize 100M",
                "",
            ]
        )
    )
    process = subprocess.Popen([clamd, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120  # loading the database is quick, but the machine may be busy
    while not (_answers(port) and sock_path.exists()):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            log = (
                (workdir / "clamd.log").read_text(errors="replace")[-2000:] if (workdir / "clamd.log").exists() else ""
            )
            pytest.fail(f"clamd did not start ({HOW_TO_INSTALL}). Its log:\n{log}", pytrace=False)
        time.sleep(0.1)
    return Clamd(f"127.0.0.1:{port}", str(sock_path), process)


@pytest.fixture(scope="session")
def clamd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clamd]:
    running = start_clamd(tmp_path_factory.mktemp("clamd"))
    try:
        yield running
    finally:
        running.process.terminate()
        try:
            running.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            running.process.kill()
