"""Benchmark: upload + scan + store of a 25 MB attachment through `mailagent serve` (S3 on moto, a real clamd) against
a raw boto3 `upload_fileobj` of the same file to the same moto server, in the same run; and the server's memory.

    .venv/bin/python bench/attachments.py [--rounds 5] [--mb 25]

Starts a moto server (127.0.0.1, free port), a private clamd (EICAR-only database), and `mailagent serve` on the
embedded default with MAILAGENT_BLOB_BACKEND=s3 and MAILAGENT_CLAMD_ADDRESS. Each round uploads the file both ways;
the server's RSS is sampled every 10 ms during its uploads. Prints MB/s for both (median of the rounds), the ratio
(target >= 0.5x) and the server's RSS growth while a file goes through (target <= +30 MB). Not a timed test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchlib import REPO, VENV_BIN, free_port, machine, machine_cpu_seconds, rss_kib, running, server_env, wait_healthy

AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    "AWS_EC2_METADATA_DISABLED": "true",
}


class RssSampler:
    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_kib(self.pid))
            time.sleep(0.01)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--mb", type=float, default=25.0, help="file size in MiB (default 25, the limit)")
    parser.add_argument("--backend", choices=["s3", "local"], default="s3", help="where the server stores uploads")
    args = parser.parse_args(argv)
    os.environ.update(AWS_ENV)

    import boto3
    from moto.server import ThreadedMotoServer

    from tests.support.clamd import start_clamd

    size = int(args.mb * 1024 * 1024)
    print(f"== Attachments: upload + scan + store of {size / 2**20:.0f} MiB vs raw boto3 upload_fileobj ==")
    print(f"machine: {machine()}")
    busy0, total0 = machine_cpu_seconds()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, moto_port = moto.get_host_and_port()
    endpoint = f"http://{host}:{moto_port}"
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    bucket = f"bench-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    with tempfile.TemporaryDirectory(prefix="mailagent-bench-att-") as tmp:
        work = Path(tmp)
        clamd = start_clamd(work / "clamd")
        sample = work / "sample.bin"
        sample.write_bytes(os.urandom(size))
        port = free_port()
        env = server_env(
            work / "var",
            port,
            MAILAGENT_BLOB_BACKEND=args.backend,
            MAILAGENT_S3_BUCKET=bucket,
            MAILAGENT_S3_ENDPOINT_URL=endpoint,
            MAILAGENT_CLAMD_ADDRESS=clamd.tcp,
            MAILAGENT_RATE_LIMIT_PER_MINUTE="100000",
            **AWS_ENV,
        )
        base = f"http://127.0.0.1:{port}"
        mailagent = str(VENV_BIN / "mailagent")
        import subprocess

        subprocess.run([mailagent, "db", "upgrade"], env=env, check=True, capture_output=True)
        subprocess.run(
            [mailagent, "user", "create", "--email", "bench@example.com", "--password", "Quiet-river 1234!"],
            env=env,
            check=True,
            capture_output=True,
        )
        try:
            with running([mailagent, "serve", "--no-migrate"], env, REPO, work / "server.log") as proc:
                wait_healthy(base, proc, timeout=60)
                with httpx.Client(base_url=base, timeout=120) as client:
                    login = client.post(
                        "/api/v1/auth/login", json={"email": "bench@example.com", "password": "Quiet-river 1234!"}
                    )
                    token = login.json()["data"]["access_token"]
                    headers = {"Authorization": f"Bearer {token}"}
                    ours, raw, growth = [], [], []
                    # Warm-up: the first upload imports boto3/s3transfer and libmagic and opens the pools.
                    warm = client.post(
                        "/api/v1/attachments/upload", files={"file": ("w.bin", b"w" * 4096)}, headers=headers
                    )
                    assert warm.status_code == 201, warm.text
                    for n in range(args.rounds):
                        started = time.perf_counter()
                        with sample.open("rb") as f:
                            s3.upload_fileobj(f, bucket, f"raw/{n}")
                        raw.append(size / 2**20 / (time.perf_counter() - started))

                        idle = rss_kib(proc.pid)
                        with RssSampler(proc.pid) as rss, sample.open("rb") as f:
                            started = time.perf_counter()
                            r = client.post(
                                "/api/v1/attachments/upload", files={"file": ("sample.bin", f)}, headers=headers
                            )
                            elapsed = time.perf_counter() - started
                        assert r.status_code == 201, r.text
                        assert r.json()["data"]["verdict"] == "clean"
                        ours.append(size / 2**20 / elapsed)
                        growth.append((rss.peak - idle) / 1024)
                        print(
                            f"round {n + 1}: raw {raw[-1]:.1f} MB/s, ours {ours[-1]:.1f} MB/s, "
                            f"server RSS {idle / 1024:.0f} MB idle -> peak +{growth[-1]:.1f} MB",
                            flush=True,
                        )
        finally:
            clamd.process.terminate()
            clamd.process.wait(timeout=20)
            moto.stop()
    busy1, total1 = machine_cpu_seconds()
    load = 100 * (busy1 - busy0) / max(total1 - total0, 1e-9)
    raw_mbs, our_mbs = statistics.median(raw), statistics.median(ours)
    print(f"\nraw boto3 upload_fileobj: {raw_mbs:.1f} MB/s (median of {args.rounds})")
    print(f"upload + scan + store:    {our_mbs:.1f} MB/s (median of {args.rounds})")
    print(f"ratio ours/raw: {our_mbs / raw_mbs:.2f}x (target >= 0.5x)")
    print(f"server RSS growth while a file goes through: max +{max(growth):.1f} MB (target <= +30 MB)")
    print(f"machine busy during the run: {load:.0f}% of all CPUs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
