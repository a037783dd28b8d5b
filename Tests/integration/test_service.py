"""The daemon as a service: `--version`, systemd's notify protocol (READY=1 once every listener accepts,
WATCHDOG=1, STOPPING=1) and the TLS certificate re-read on SIGHUP without dropping connections."""

from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import signal
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest

from conftest import make_self_signed_cert
from daemon import ACCESS_KEY, BIN, REPO, SECRET_KEY, free_port, wait_for_log_line, wait_listening


def test_version_names_the_commit_built_from():
    out = subprocess.run([BIN, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    assert out.startswith("tessera "), out
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True)
    if head.returncode == 0:  # a git checkout: the binary must name this commit (the tests run what was just built)
        commit = out.split("(commit ", 1)[1].rstrip(")")
        assert head.stdout.strip().startswith(commit.split("-")[0]), (out, head.stdout)
        assert len(commit.split("-")[0]) == 12


def _serve(tmp_path: Path, port: int, *extra: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [BIN, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", str(tmp_path / "data"),
         "--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY, "--no-fsync", *extra],
        stdout=subprocess.DEVNULL, stderr=open(tmp_path / "daemon.stderr", "wb"), env=env)


def _receive(sock: socket.socket, timeout: float) -> str:
    sock.settimeout(timeout)
    return sock.recv(4096).decode()


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.mark.parametrize("abstract", [False, True], ids=["path", "abstract"])
def test_ready_once_every_listener_accepts_then_watchdog_then_stopping(tmp_path, abstract):
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    if abstract:
        name = f"tessera-notify-{os.getpid()}-{time.monotonic_ns()}"
        notify.bind("\0" + name)
        address = "@" + name
    else:
        address = str(tmp_path / "notify.sock")
        notify.bind(address)
    ports = [free_port() for _ in range(4)]
    env = dict(os.environ, NOTIFY_SOCKET=address, WATCHDOG_USEC="400000")
    env.pop("WATCHDOG_PID", None)
    proc = _serve(tmp_path, ports[0], "--admin-listen", f"127.0.0.1:{ports[1]}",
                  "--worker-listen", f"127.0.0.1:{ports[2]}", "--worker-bucket", "worker-files",
                  "--tasks-listen", f"127.0.0.1:{ports[3]}", "--tasks-bucket", "task-files", "--tasks-anonymous", env=env)
    try:
        messages = []
        while "READY=1" not in messages:
            messages.append(_receive(notify, 30))
        # At the moment READY=1 arrives, every listener accepts connections.
        assert all(_accepts(p) for p in ports), ports
        assert "STOPPING=1" not in messages
        # The watchdog is fed every half WATCHDOG_USEC: several pings within a second and a half.
        started, pings = time.monotonic(), 0
        while time.monotonic() - started < 1.5:
            if _receive(notify, 2) == "WATCHDOG=1":
                pings += 1
        assert pings >= 3, pings
        proc.send_signal(signal.SIGTERM)
        rest = []
        while "STOPPING=1" not in rest:
            rest.append(_receive(notify, 10))
        assert proc.wait(timeout=30) == 0, (tmp_path / "daemon.stderr").read_text()
        assert "READY=1" not in rest
        # The log tells each step of the stop, in order, so a slow stop shows where it spent its time.
        steps = ["stopping: no new connections", "stopping: listeners and sweepers ended", 'msg=stopped']
        lines = (tmp_path / "daemon.stderr").read_text().splitlines()
        found = [next((i for i, line in enumerate(lines) if step in line), None) for step in steps]
        assert None not in found and found == sorted(found), (found, lines[-8:])
    finally:
        if proc.poll() is None:
            proc.kill()
        notify.close()


def test_not_ready_while_a_listener_cannot_bind(tmp_path):
    """A listener that cannot start means the service never reports READY=1 (and the daemon fails)."""
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify.sock"))
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    env = dict(os.environ, NOTIFY_SOCKET=str(tmp_path / "notify.sock"))
    proc = _serve(tmp_path, free_port(), "--admin-listen", f"127.0.0.1:{taken.getsockname()[1]}", env=env)
    try:
        assert proc.wait(timeout=30) != 0
        notify.settimeout(0.5)
        messages = []
        try:
            while True:
                messages.append(notify.recv(4096).decode())
        except socket.timeout:
            pass
        assert "READY=1" not in messages, messages
    finally:
        if proc.poll() is None:
            proc.kill()
        taken.close()
        notify.close()


def _fingerprint(port: int, conn: http.client.HTTPSConnection | None = None) -> str:
    if conn is None:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with socket.create_connection(("127.0.0.1", port)) as raw, ctx.wrap_socket(raw) as tls:
            return hashlib.sha256(tls.getpeercert(binary_form=True)).hexdigest()
    return hashlib.sha256(conn.sock.getpeercert(binary_form=True)).hexdigest()


def _pem_fingerprint(cert: Path) -> str:
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(cert.read_text())).hexdigest()


def test_sighup_reloads_the_certificate_without_dropping_connections(tmp_path):
    first, second, broken = (tmp_path / n for n in ("first", "second", "broken"))
    for d in (first, second):
        d.mkdir()
        make_self_signed_cert(d)
    live = tmp_path / "live"
    live.mkdir()
    cert, key = live / "cert.pem", live / "key.pem"
    shutil.copy(first / "tls-cert.pem", cert)
    shutil.copy(first / "tls-key.pem", key)
    port = free_port()
    proc = _serve(tmp_path, port, "--tls-cert", str(cert), "--tls-key", str(key), env=dict(os.environ))
    log = tmp_path / "daemon.stderr"
    try:
        wait_listening(port, proc, log.read_text)
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        open_conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
        open_conn.request("GET", "/")
        assert open_conn.getresponse().read() and True
        assert _fingerprint(port, open_conn) == _pem_fingerprint(first / "tls-cert.pem")

        shutil.copy(second / "tls-cert.pem", cert)
        shutil.copy(second / "tls-key.pem", key)
        proc.send_signal(signal.SIGHUP)
        wait_for_log_line(log, lambda l: "TLS certificate and key reloaded" in l)
        assert _fingerprint(port) == _pem_fingerprint(second / "tls-cert.pem")
        # The connection opened before the reload is still served, on its own certificate.
        open_conn.request("GET", "/")
        response = open_conn.getresponse()
        response.read()
        assert response.status == 403  # anonymous ListBuckets: answered, not dropped
        assert _fingerprint(port, open_conn) == _pem_fingerprint(first / "tls-cert.pem")

        # A broken pair is refused and the one in use stays.
        cert.write_text("not a certificate\n")
        proc.send_signal(signal.SIGHUP)
        wait_for_log_line(log, lambda l: "TLS reload failed" in l)
        assert proc.poll() is None
        assert _fingerprint(port) == _pem_fingerprint(second / "tls-cert.pem")
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, log.read_text()


def test_sighup_without_tls_is_not_the_end(tmp_path):
    port = free_port()
    proc = _serve(tmp_path, port, env=dict(os.environ))
    log = tmp_path / "daemon.stderr"
    try:
        wait_listening(port, proc, log.read_text)
        proc.send_signal(signal.SIGHUP)
        wait_for_log_line(log, lambda l: "no TLS certificate to reload" in l)
        assert proc.poll() is None and _accepts(port)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, log.read_text()
