"""`tessera serve` processes over a shared data directory and a PostgreSQL database, for the cluster
tests, and `tessera fsck` of what they wrote."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from conftest import Server
from daemon import ACCESS_KEY, BIN, SECRET_KEY, client, free_port, stop_daemon, wait_listening


class Gateway:
    """One `tessera serve` on the shared directory and database."""

    def __init__(self, root: Path, name: str, url: str, shared: Path, *extra: str, env: dict[str, str] | None = None):
        self.root = root / name
        self.root.mkdir(parents=True)
        self.port = free_port()
        self.log = self.root / "stderr.log"
        self.proc = subprocess.Popen(
            [BIN, "serve", "--listen", f"127.0.0.1:{self.port}", "--data-dir", str(shared), "--metadata-url", url,
             "--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY, "--no-fsync", *extra],
            stdout=open(self.root / "stdout.log", "wb"), stderr=open(self.log, "wb"), stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})})
        wait_listening(self.port, self.proc, self.log.read_text)
        self.s3 = client(self.port)
        self.cli = Server(endpoint=f"http://127.0.0.1:{self.port}", access_key=ACCESS_KEY, secret_key=SECRET_KEY,
                          region="us-east-1", data_dir=shared, domain=None, root=self.root)

    def stop(self) -> None:
        stop_daemon(self.proc, self.log, timeout=40)

    def output(self) -> str:
        return self.log.read_text() + (self.root / "stdout.log").read_text()


def fsck(data_dir: Path, url: str | None = None, *extra: str) -> subprocess.CompletedProcess:
    """`tessera fsck --min-age 0` of `data_dir` (and of the database at `url`, when given)."""
    metadata = ["--metadata-url", url] if url else []
    return subprocess.run([BIN, "fsck", "--data-dir", str(data_dir), *metadata, "--min-age", "0", *extra],
                          capture_output=True, text=True, timeout=300)
