"""Run a private clamd (EICAR-only database) for the web app's browser tests.

Prints one JSON line with MAILAGENT_CLAMD_ADDRESS, then keeps clamd running until this process is terminated.
Usage: python -m tests.support.serve_clamd
"""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from tests.support.clamd import start_clamd


def main() -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    workdir = Path(tempfile.mkdtemp(prefix="mailagent-clamd-"))
    clamd = start_clamd(workdir)
    try:
        print(json.dumps({"MAILAGENT_CLAMD_ADDRESS": clamd.tcp}), flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    finally:
        clamd.process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            clamd.process.wait(timeout=20)
        shutil.rmtree(workdir, ignore_errors=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
