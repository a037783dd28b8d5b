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


def stop_daemon(proc: subprocess.Popen, log: Path, timeout: float) -> None:
    """SIGTERM, then exit status 0 within `timeout` seconds. A daemon that hangs is killed, and the failure
    shows every thread's stack (gdb, when installed) and the end of its log, so a rare hang can be read."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        stacks = thread_stacks(proc.pid)
        proc.kill()
        proc.wait()
        raise AssertionError(f"daemon did not exit within {timeout:.0f} s of SIGTERM\n--- log ---\n"
                             f"{log.read_text()[-6000:]}\n--- threads ---\n{stacks}") from None
    assert rc == 0, f"exit status {rc} after SIGTERM\n{log.read_text()[-4000:]}"


def thread_stacks(pid: int) -> str:
    """Every thread's stack of a live process, by gdb; a note instead when gdb is missing or fails."""
    try:
        out = subprocess.run(["gdb", "-p", str(pid), "-batch", "-ex", "thread apply all bt 30"],
                             capture_output=True, text=True, timeout=60)
        return out.stdout[-20000:] or out.stderr[-2000:]
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"(no stacks: {e})"


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
