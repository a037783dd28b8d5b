"""Starting a daemon of one's own, for tests that need flags the shared `server` fixture lacks."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
BIN = os.path.abspath(os.environ.get("TESSERA_BIN", str(REPO / ".build" / "release" / "tessera")))
ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, proc: subprocess.Popen, describe=lambda: "", timeout: float = 30) -> None:
    """Until something accepts connections on 127.0.0.1:port; fails if `proc` exits first (with `describe()`)."""
    deadline = time.time() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert proc.poll() is None, describe()
            assert time.time() < deadline, "daemon did not start"
            time.sleep(0.1)


@contextlib.contextmanager
def own_daemon(tmp_path: Path, *extra: str, fsync: bool = False, env: dict[str, str] | None = None):
    """Yields the port of a fresh daemon (fixture credentials, data under tmp_path); stops it with SIGTERM.
    Without fsync unless asked: durable writes take the staged-block path (see FileBlobWriter). `env`: variables
    added to the daemon's environment."""
    port = free_port()
    stderr = tmp_path / "daemon.stderr"
    proc = subprocess.Popen(
        [BIN, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", str(tmp_path / "data"),
         "--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY, *([] if fsync else ["--no-fsync"]), *extra],
        stdout=subprocess.DEVNULL, stderr=open(stderr, "wb"), env={**os.environ, **(env or {})})
    try:
        wait_listening(port, proc, stderr.read_text)
        yield port
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0, stderr.read_text()


def client(port: int, **config):
    import boto3
    from botocore.config import Config
    return boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                        config=Config(retries={"total_max_attempts": 1}, **config))


def wait_for_log_line(path: Path, wanted, after: int = 0, timeout: float = 5.0) -> str:
    """The newest line of the log at `path` for which `wanted(line)` holds, once more than `after` such lines exist.

    Access lines are written once the response body has gone out, which can be after the client has read it,
    so a test that reads the log right after a request must wait for its line."""
    deadline = time.monotonic() + timeout
    while True:
        lines = [l for l in path.read_text().splitlines() if wanted(l)]
        if len(lines) > after or time.monotonic() >= deadline:
            assert len(lines) > after, f"no new matching line in {path} after {timeout} s"
            return lines[-1]
        time.sleep(0.05)


def count_log_lines(path: Path, wanted) -> int:
    return sum(1 for l in path.read_text().splitlines() if wanted(l)) if path.exists() else 0
