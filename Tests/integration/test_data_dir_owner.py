"""One daemon per embedded data directory: a second `tessera serve` on it exits at once, before it opens
or sweeps anything, and the first one's in-flight upload completes. The lock goes with its holder, even
one killed with -9."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from daemon import ACCESS_KEY, BIN, SECRET_KEY, client, free_port, own_daemon, wait_listening

pytestmark = pytest.mark.core


def serve(data: Path, port: int) -> list[str]:
    return [BIN, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", str(data),
            "--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY, "--no-fsync"]


def read_response(sock: socket.socket, timeout: float = 30) -> bytes:
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed after {data!r}"
        data += chunk
    return data


def test_a_second_daemon_on_the_same_data_directory_exits_and_the_first_is_unharmed(tmp_path):
    data = tmp_path / "data"
    with own_daemon(tmp_path) as port:
        s3 = client(port)
        s3.create_bucket(Bucket="owner")
        body = os.urandom(3 << 20)   # file-backed (over the 32 KiB inline limit): streamed into data/tmp
        url = urlsplit(s3.generate_presigned_url("put_object", Params={"Bucket": "owner", "Key": "in-flight"},
                                                 ExpiresIn=600))
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(f"PUT {url.path}?{url.query} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                     f"Content-Length: {len(body)}\r\n\r\n".encode() + body[: len(body) // 2])
        temporaries = data / "tmp"
        deadline = time.time() + 15
        while not any(temporaries.iterdir()):
            assert time.time() < deadline, "the in-flight PUT made no temporary"
            time.sleep(0.05)
        before = {p.name for p in temporaries.iterdir()}

        second = free_port()
        started = time.monotonic()
        refused = subprocess.run(serve(data, second), capture_output=True, text=True, timeout=30,
                                 stdin=subprocess.DEVNULL)
        assert refused.returncode != 0, refused.stdout + refused.stderr
        assert time.monotonic() - started < 10
        assert "already owns the data directory" in refused.stderr and "(pid " in refused.stderr, refused.stderr
        assert "start-up sweep" not in refused.stdout + refused.stderr
        assert {p.name for p in temporaries.iterdir()} == before, "the refused daemon swept the first one's temporary"

        sock.sendall(body[len(body) // 2:])
        head = read_response(sock)
        sock.close()
        assert head.startswith(b"HTTP/1.1 200"), head
        assert s3.get_object(Bucket="owner", Key="in-flight")["Body"].read() == body


def test_the_lock_goes_with_its_holder_even_after_kill_9(tmp_path):
    data = tmp_path / "data"
    port = free_port()
    first = subprocess.Popen(serve(data, port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             stdin=subprocess.DEVNULL)
    try:
        wait_listening(port, first)
        client(port).create_bucket(Bucket="survives")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    # The same data directory serves again, with what the killed daemon acknowledged.
    with own_daemon(tmp_path) as port:
        assert [b["Name"] for b in client(port).list_buckets()["Buckets"]] == ["survives"]
