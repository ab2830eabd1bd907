"""Benchmark: scrolling the web app's mailbox with 5,000 messages vs 50, in Chromium, same run (ratio ≈ 1 is the goal).

Runs frontend/bench/mailbox-scroll.mjs (needs the built app: `make web`, and Debian's chromium).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

FRONTEND = Path(__file__).resolve().parent.parent / "frontend"


def main() -> int:
    if not (FRONTEND / "dist" / "index.html").is_file():
        print("no web build: run `make web` first", file=sys.stderr)
        return 1
    return subprocess.call(["node", "bench/mailbox-scroll.mjs"], cwd=FRONTEND)


if __name__ == "__main__":
    sys.exit(main())
