"""`tessera cp`: uploads and downloads that resume after kill -9, against the daemon and against moto (a foreign
S3 endpoint), a directory tree, the Worker JSON API, and the progress bar on a pseudo-terminal."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from daemon import ACCESS_KEY, BIN, SECRET_KEY, client, free_port, own_daemon, wait_listening
from throttled_relay import throttled_relay

PART = 8 << 20


def multipart_etag(data: bytes, part: int = PART) -> str:
    digests = [hashlib.md5(data[i:i + part]).digest() for i in range(0, len(data), part)]
    return f'"{hashlib.md5(b"".join(digests)).hexdigest()}-{len(digests)}"'


def cp_env(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(HOME=str(home), AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY, AWS_REGION="us-east-1")
    env.pop("XDG_CACHE_HOME", None)
    return env


def cp(home: Path, *args: str, check=True) -> subprocess.CompletedProcess:
    out = subprocess.run([BIN, "cp", *args], env=cp_env(home), capture_output=True, text=True, timeout=600)
    if check:
        assert out.returncode == 0, out.stderr
    return out


def received_bytes(admin: int) -> int:
    import urllib.request
    text = urllib.request.urlopen(f"http://127.0.0.1:{admin}/metrics", timeout=5).read().decode()
    return sum(int(float(v)) for v in re.findall(r'^tessera_s3_received_bytes_total\{[^}]*\} (\S+)$', text, re.M))


def kill_when(proc: subprocess.Popen, ready, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert proc.poll() is None, f"cp ended before it could be killed: {proc.stderr.read() if proc.stderr else ''}"
        assert time.monotonic() < deadline, "cp made no progress"
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def start_cp(home: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([BIN, "cp", *args], env=cp_env(home), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def big_file(tmp_path_factory) -> tuple[Path, bytes]:
    data = os.urandom(300 << 20)
    path = tmp_path_factory.mktemp("cp") / "big.bin"
    path.write_bytes(data)
    return path, data


def test_upload_killed_halfway_resumes_sending_the_rest(tmp_path, big_file):
    path, data = big_file
    admin = free_port()
    with own_daemon(tmp_path, "--admin-listen", f"127.0.0.1:{admin}") as port:
        s3 = client(port)
        s3.create_bucket(Bucket="cpt")
        endpoint = f"http://127.0.0.1:{port}"
        before = received_bytes(admin)
        proc = start_cp(tmp_path, "--endpoint", endpoint, str(path), "s3://cpt/big.bin")
        kill_when(proc, lambda: received_bytes(admin) - before >= len(data) * 0.55)
        first = received_bytes(admin) - before
        uploads = s3.list_multipart_uploads(Bucket="cpt")["Uploads"]
        assert len(uploads) == 1  # the killed run left its upload, not a finished object
        kept = s3.list_parts(Bucket="cpt", Key="big.bin", UploadId=uploads[0]["UploadId"]).get("Parts", [])
        assert len(kept) >= 10

        middle = received_bytes(admin)
        out = cp(tmp_path, "--endpoint", endpoint, str(path), "s3://cpt/big.bin")
        second = received_bytes(admin) - middle
        assert second <= len(data) * 0.60, (first, second, out.stderr)
        # What it says it sent and found matches the file, and the server did receive what it says it sent.
        sent = re.search(r"sent ([\d.]+) MiB, already there ([\d.]+) MiB", out.stderr)
        assert sent and abs(float(sent.group(1)) + float(sent.group(2)) - 300) < 0.2, out.stderr
        assert float(sent.group(2)) >= len(kept) * 8 and second >= float(sent.group(1)) * (1 << 20) - (1 << 20)
        head = s3.head_object(Bucket="cpt", Key="big.bin")
        assert head["ETag"] == multipart_etag(data)
        body = s3.get_object(Bucket="cpt", Key="big.bin")["Body"].read()
        assert hashlib.sha256(body).digest() == hashlib.sha256(data).digest()
        assert s3.list_multipart_uploads(Bucket="cpt").get("Uploads", []) == []
        # The record is gone once the upload completed: a third run starts (and finishes) afresh.
        assert not list((tmp_path / ".cache" / "tessera" / "uploads").glob("*.json"))


def test_a_changed_part_is_sent_again_not_kept(tmp_path):
    """A part the server holds whose bytes differ from the file's (the file changed in place, same size and
    time restored) is detected by its MD5 and replaced."""
    data = bytearray(os.urandom(3 * PART))
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    with own_daemon(tmp_path) as port:
        s3 = client(port)
        s3.create_bucket(Bucket="cpt")
        upload = s3.create_multipart_upload(Bucket="cpt", Key="f.bin")["UploadId"]
        wrong = bytes(PART)  # part 1 with other bytes
        s3.upload_part(Bucket="cpt", Key="f.bin", UploadId=upload, PartNumber=1, Body=wrong)
        s3.upload_part(Bucket="cpt", Key="f.bin", UploadId=upload, PartNumber=2, Body=bytes(data[PART:2 * PART]))
        out = cp(tmp_path, "--endpoint", f"http://127.0.0.1:{port}", str(path), "s3://cpt/f.bin")
        assert "already there 8.0 MiB" in out.stderr, out.stderr  # part 2 kept, part 1 re-sent
        assert s3.head_object(Bucket="cpt", Key="f.bin")["ETag"] == multipart_etag(bytes(data))
        assert s3.get_object(Bucket="cpt", Key="f.bin")["Body"].read() == bytes(data)


def test_download_killed_halfway_resumes(tmp_path, big_file):
    path, data = big_file
    with own_daemon(tmp_path) as port:
        s3 = client(port)
        s3.create_bucket(Bucket="cpt")
        endpoint = f"http://127.0.0.1:{port}"
        cp(tmp_path, "--endpoint", endpoint, str(path), "s3://cpt/big.bin")
        target = tmp_path / "copy.bin"
        record = Path(str(target) + ".tessera-partial.json")

        def half_listed():
            try:
                return len(json.loads(record.read_text())["done"]) * PART >= len(data) / 2
            except (OSError, ValueError):
                return False

        kill_when(start_cp(tmp_path, "--endpoint", endpoint, "--jobs", "2", "s3://cpt/big.bin", str(target)), half_listed)
        assert not target.exists()
        out = cp(tmp_path, "--endpoint", endpoint, "s3://cpt/big.bin", str(target))
        resumed = re.search(r"fetched ([\d.]+) MiB, already here ([\d.]+) MiB", out.stderr)
        assert resumed and float(resumed.group(2)) >= 150 and float(resumed.group(1)) <= 150, out.stderr
        assert "checked: multipart etag" in out.stderr
        assert hashlib.sha256(target.read_bytes()).digest() == hashlib.sha256(data).digest()
        assert not record.exists() and not Path(str(target) + ".tessera-partial").exists()


@pytest.fixture
def moto(tmp_path):
    port = free_port()
    proc = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL,
                            stderr=open(tmp_path / "moto.log", "wb"))
    try:
        wait_listening(port, proc, (tmp_path / "moto.log").read_text)
        yield port
    finally:
        proc.kill()
        proc.wait()


def test_upload_resumes_against_moto(tmp_path, moto):
    data = os.urandom(80 << 20)
    path = tmp_path / "m.bin"
    path.write_bytes(data)
    endpoint = f"http://127.0.0.1:{moto}"
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=ACCESS_KEY,
                      aws_secret_access_key=SECRET_KEY, config=Config(retries={"total_max_attempts": 1}))
    s3.create_bucket(Bucket="foreign")

    def half_stored():
        uploads = s3.list_multipart_uploads(Bucket="foreign").get("Uploads", [])
        if not uploads:
            return False
        return len(s3.list_parts(Bucket="foreign", Key="m.bin", UploadId=uploads[0]["UploadId"]).get("Parts", [])) >= 5

    kill_when(start_cp(tmp_path, "--endpoint", endpoint, "--jobs", "1", str(path), "s3://foreign/m.bin"), half_stored)
    out = cp(tmp_path, "--endpoint", endpoint, str(path), "s3://foreign/m.bin")
    sent = re.search(r"sent ([\d.]+) MiB, already there ([\d.]+) MiB", out.stderr)
    assert sent and float(sent.group(2)) >= 40 and float(sent.group(1)) <= 40, out.stderr
    assert s3.head_object(Bucket="foreign", Key="m.bin")["ETag"] == multipart_etag(data)
    assert s3.get_object(Bucket="foreign", Key="m.bin")["Body"].read() == data
    # And back down from moto.
    back = tmp_path / "back.bin"
    cp(tmp_path, "--endpoint", endpoint, "s3://foreign/m.bin", str(back))
    assert back.read_bytes() == data


def test_directory_of_small_and_large_files(tmp_path):
    tree = tmp_path / "tree"
    expected = {}
    for i in range(200):
        rel = f"sub{i % 7}/file-{i:03d}.txt"
        expected[rel] = os.urandom(1 + (i * 997) % 20000)
    for rel, size in (("large/a.bin", 9 << 20), ("large/b.bin", 20 << 20), ("c.bin", (33 << 20) + 5)):
        expected[rel] = os.urandom(size)
    for rel, data in expected.items():
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).write_bytes(data)
    with own_daemon(tmp_path) as port:
        s3 = client(port)
        s3.create_bucket(Bucket="tree")
        out = cp(tmp_path, "--endpoint", f"http://127.0.0.1:{port}", "-r", str(tree), "s3://tree/backup")
        assert "203 files" in out.stderr
        listed = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket="tree"):
            for o in page.get("Contents", []):
                listed[o["Key"]] = o
        assert set(listed) == {"backup/" + rel for rel in expected}
        for rel, data in expected.items():
            etag = listed["backup/" + rel]["ETag"]
            assert etag == (multipart_etag(data) if len(data) > PART else f'"{hashlib.md5(data).hexdigest()}"'), rel
        assert s3.get_object(Bucket="tree", Key="backup/c.bin")["Body"].read() == expected["c.bin"]


def test_progress_bar_on_a_terminal_and_plain_lines_elsewhere(tmp_path):
    data = os.urandom(96 << 20)
    path = tmp_path / "p.bin"
    path.write_bytes(data)
    with own_daemon(tmp_path) as port:
        client(port).create_bucket(Bucket="pbar")
        endpoint = f"http://127.0.0.1:{port}"
        # Through a relay passing 64 MiB/s, the upload lasts at least 1.5 s, so the bar, redrawn every 0.2 s,
        # has time to show several frames on any machine (an unthrottled upload can end before a second one).
        with throttled_relay(port, 64 << 20) as slow:
            command = f"{BIN} cp --endpoint http://127.0.0.1:{slow} --jobs 1 {path} s3://pbar/p.bin"
            run = subprocess.run(["script", "-qefc", command, "/dev/null"], env=cp_env(tmp_path), capture_output=True,
                                 timeout=300)
        tty = run.stdout.decode()  # bytes: text mode would turn each \r into \n
        assert run.returncode == 0, tty
        frames = [f for f in tty.split("\r") if "%" in f]
        assert len(frames) >= 2, tty[-2000:]
        assert re.search(r"\[#+ *\] \d+% [\d.]+ (KiB|MiB)/96\.0 MiB [\d.]+ \w+/s", tty), tty[-2000:]
        assert "upload: " in tty
        plain = cp(tmp_path, "--endpoint", endpoint, str(path), "s3://pbar/again.bin")
        assert "\r" not in plain.stderr and "%" not in plain.stderr
        assert plain.stderr.count("\n") == 1 and plain.stderr.startswith("upload: ")


def test_worker_api_upload_resumes(tmp_path):
    data = os.urandom(60 << 20)
    path = tmp_path / "w.bin"
    path.write_bytes(data)
    worker = free_port()
    with own_daemon(tmp_path, "--worker-listen", f"127.0.0.1:{worker}", "--worker-bucket", "worker-files",
                    "--worker-anonymous") as port:
        url = f"http://127.0.0.1:{worker}"
        records = tmp_path / ".cache" / "tessera" / "worker-uploads"

        def some_parts():
            try:
                return any(len(json.loads(r.read_text())["parts"]) >= 3 for r in records.glob("*.json"))
            except (OSError, ValueError):
                return False

        kill_when(start_cp(tmp_path, "--worker", url, "--jobs", "1", str(path), "w.bin"), some_parts)
        out = cp(tmp_path, "--worker", url, str(path), "w.bin")
        sent = re.search(r"sent ([\d.]+) MiB, already there ([\d.]+) MiB", out.stderr)
        assert sent and float(sent.group(2)) >= 30 and float(sent.group(1)) <= 30, out.stderr
        s3 = client(port)
        assert s3.head_object(Bucket="worker-files", Key="w.bin")["ETag"] == multipart_etag(data, 10 << 20)
        assert s3.get_object(Bucket="worker-files", Key="w.bin")["Body"].read() == data


def test_bad_arguments_and_credentials(tmp_path):
    env = cp_env(tmp_path)
    del env["AWS_ACCESS_KEY_ID"]
    out = subprocess.run([BIN, "cp", "--endpoint", "http://127.0.0.1:1", "x", "s3://b/k"], env=env, capture_output=True, text=True)
    assert out.returncode != 0 and "no credentials" in out.stderr
    out = cp(tmp_path, "a", "b", check=False)
    assert out.returncode != 0 and "s3://BUCKET/KEY" in out.stderr
    # A profile from ~/.aws/credentials works where the environment has no keys.
    (tmp_path / ".aws").mkdir()
    (tmp_path / ".aws" / "credentials").write_text(f"[mine]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n")
    (tmp_path / "f.txt").write_bytes(b"hello")
    with own_daemon(tmp_path) as port:
        client(port).create_bucket(Bucket="prof")
        out = subprocess.run([BIN, "cp", "--profile", "mine", "--endpoint", f"http://127.0.0.1:{port}", str(tmp_path / "f.txt"), "s3://prof/"],
                             env=env, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        assert client(port).get_object(Bucket="prof", Key="f.txt")["Body"].read() == b"hello"


def test_download_with_damaged_partial_bytes_fails_then_starts_over(tmp_path):
    """Chunks listed as done whose bytes were damaged on disk fail the ETag check; the next run starts over."""
    data = os.urandom(48 << 20)
    (tmp_path / "src.bin").write_bytes(data)
    with own_daemon(tmp_path) as port:
        client(port).create_bucket(Bucket="cpt")
        endpoint = f"http://127.0.0.1:{port}"
        cp(tmp_path, "--endpoint", endpoint, str(tmp_path / "src.bin"), "s3://cpt/d.bin")
        target = tmp_path / "d.bin"
        record = Path(str(target) + ".tessera-partial.json")

        def two_listed():
            try:
                return 0 in json.loads(record.read_text())["done"] and len(json.loads(record.read_text())["done"]) >= 2
            except (OSError, ValueError):
                return False

        kill_when(start_cp(tmp_path, "--endpoint", endpoint, "--jobs", "1", "s3://cpt/d.bin", str(target)), two_listed)
        partial = Path(str(target) + ".tessera-partial")
        with open(partial, "r+b") as f:
            f.seek(1000)
            byte = f.read(1)
            f.seek(1000)
            f.write(bytes([byte[0] ^ 0xFF]))
        failed = cp(tmp_path, "--endpoint", endpoint, "s3://cpt/d.bin", str(target), check=False)
        assert failed.returncode != 0 and "is not the object's" in failed.stderr, failed.stderr
        assert not target.exists() and not partial.exists() and not record.exists()
        cp(tmp_path, "--endpoint", endpoint, "s3://cpt/d.bin", str(target))
        assert target.read_bytes() == data
