"""The systemd units in ops/systemd/ are valid (systemd-analyze verify, offline) and keep the promises
docs/operations.md makes: restart after any crash, never give up, leave configuration errors (exit 2) alone, stop
with SIGTERM and time for the running job."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNITS = Path(__file__).resolve().parents[2] / "ops" / "systemd"
MAILAGENT = Path(sys.executable).parent / "mailagent"


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(UNITS / name)
    return parser


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is installed by .ci/run")
def test_the_units_verify(tmp_path: Path) -> None:
    for path in sorted(UNITS.glob("*.service")):
        # The units name the installed command (/opt/mailagent/.venv/bin/mailagent); verify against this checkout's.
        text = path.read_text().replace("/opt/mailagent/.venv/bin/mailagent", str(MAILAGENT))
        (tmp_path / path.name).write_text(text)
    result = subprocess.run(
        ["systemd-analyze", "verify", *sorted(str(p) for p in tmp_path.glob("*.service"))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and result.stdout + result.stderr == "", result.stdout + result.stderr


@pytest.mark.parametrize(("name", "command"), [("mailagent-worker@.service", "worker"), ("mailagent.service", "serve")])
def test_a_crash_is_restarted_for_ever_and_a_configuration_error_is_not(name: str, command: str) -> None:
    service, section = unit(name)["Service"], unit(name)["Unit"]
    assert service["Restart"] == "always" and float(service["RestartSec"]) <= 5
    assert section["StartLimitIntervalSec"] == "0"  # never stop restarting
    assert service["RestartPreventExitStatus"] == "2"  # `mailagent` exits 2 on a configuration error
    assert service["ExecStart"].split()[:2] == ["/opt/mailagent/.venv/bin/mailagent", command]


def test_the_worker_stops_on_sigterm_with_time_for_its_job() -> None:
    service = unit("mailagent-worker@.service")["Service"]
    assert service["KillSignal"] == "SIGTERM" and int(service["TimeoutStopSec"]) >= 60
