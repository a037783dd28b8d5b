"""The Worker-style JSON multipart API (seeds 000/001) on its own listener, bound to one bucket."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from daemon import client, count_log_lines, free_port, own_daemon, wait_for_log_line

pytestmark = pytest.mark.multipart

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def worker(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("worker")
    port = free_port()
    with own_daemon(tmp, "--worker-listen", f"127.0.0.1:{port}", "--worker-bucket", "r2-bucket", "--worker-anonymous") as s3port:
        yield f"http://127.0.0.1:{port}/", client(s3port), tmp


def test_seed_client_uploads_55_mib_and_s3_serves_it(worker):
    base, s3, tmp = worker
    src = tmp / "upload.bin"
    src.write_bytes(os.urandom(55 * 1024 * 1024 + 12345))
    # The seed's script uses the file name as the key: run it from the file's directory.
    out = subprocess.run([sys.executable, str(HERE / "r2_mpuscript.py"), "upload.bin"], cwd=tmp, capture_output=True,
                         text=True, timeout=180, env={**os.environ, "WORKER_ENDPOINT": base})
    assert out.returncode == 0 and "successfully completed" in out.stdout, out.stdout + out.stderr
    want = hashlib.sha256(src.read_bytes()).hexdigest()
    got = requests.get(base + "upload.bin", params={"action": "get"}, timeout=60)
    assert got.status_code == 200
    assert hashlib.sha256(got.content).hexdigest() == want
    assert re.fullmatch(r'"[0-9a-f]{32}-6"', got.headers["etag"])
    # An ordinary object of the bound bucket: the S3 front end lists and serves it.
    head = s3.head_object(Bucket="r2-bucket", Key="upload.bin")
    assert head["ETag"] == got.headers["etag"] and head["ContentLength"] == src.stat().st_size
    assert "upload.bin" in [o["Key"] for o in s3.list_objects_v2(Bucket="r2-bucket")["Contents"]]


def test_s3_objects_are_served_here_and_deletes_apply(worker):
    base, s3, _ = worker
    s3.put_object(Bucket="r2-bucket", Key="dir/from-s3.txt", Body=b"hello", ContentType="text/plain")
    r = requests.get(base + "dir/from-s3.txt", params={"action": "get"})
    assert r.status_code == 200 and r.content == b"hello" and r.headers["content-type"] == "text/plain"
    assert r.headers["etag"] == '"' + hashlib.md5(b"hello").hexdigest() + '"'
    assert requests.delete(base + "dir/from-s3.txt", params={"action": "delete"}).status_code == 204
    r = requests.get(base + "dir/from-s3.txt", params={"action": "get"})
    assert r.status_code == 404 and r.text == "Object Not Found"


def test_manual_flow_part_json_abort_and_errors(worker):
    base, s3, _ = worker
    url = base + "manual.bin"
    created = requests.post(url, params={"action": "mpu-create"}).json()
    assert created["key"] == "manual.bin" and created["uploadId"]
    up = created["uploadId"]
    part = requests.put(url, params={"action": "mpu-uploadpart", "uploadId": up, "partNumber": "1"}, data=b"a" * 1000).json()
    assert part == {"partNumber": 1, "etag": hashlib.md5(b"a" * 1000).hexdigest()}
    part2 = requests.put(url, params={"action": "mpu-uploadpart", "uploadId": up, "partNumber": "2"}, data=b"b" * 10).json()
    # The validator is the core's: a 1,000-byte non-last part is too small.
    r = requests.post(url, params={"action": "mpu-complete", "uploadId": up}, json={"parts": [part, part2]})
    assert r.status_code == 400 and "smaller than the minimum" in r.text
    r = requests.put(url, params={"action": "mpu-uploadpart", "uploadId": up, "partNumber": "10001"}, data=b"x")
    assert r.status_code == 400 and "between 1 and 10000" in r.text
    assert requests.delete(url, params={"action": "mpu-abort", "uploadId": up}).status_code == 204
    r = requests.post(url, params={"action": "mpu-complete", "uploadId": up}, json={"parts": [part]})
    assert r.status_code == 400 and "does not exist" in r.text
    assert not s3.list_multipart_uploads(Bucket="r2-bucket").get("Uploads")


@pytest.mark.parametrize("method,params,body,status,text", [
    ("POST", {}, None, 400, "Missing action type"),
    ("POST", {"action": "bogus"}, None, 400, "Unknown action bogus for POST"),
    ("PUT", {"action": "mpu-uploadpart", "uploadId": "x"}, b"1", 400, "Missing partNumber or uploadId"),
    ("PUT", {"action": "nope"}, b"1", 400, "Unknown action nope for PUT"),
    ("GET", {"action": "list"}, None, 400, "Unknown action list for GET"),
    ("DELETE", {"action": "mpu-abort"}, None, 400, "Missing uploadId"),
    ("POST", {"action": "mpu-complete"}, None, 400, "Missing uploadId"),
    ("POST", {"action": "mpu-complete", "uploadId": "x"}, b"{not json", 400, "Missing or incomplete body"),
    ("PATCH", {"action": "get"}, None, 405, "Method Not Allowed"),
])
def test_error_answers_match_the_seed(worker, method, params, body, status, text):
    base, _, _ = worker
    r = requests.request(method, base + "k", params=params, data=body)
    assert r.status_code == status and r.text == text
    if status == 405:
        assert r.headers["allow"] == "PUT, POST, GET, DELETE"


def test_token_required_unless_anonymous(tmp_path):
    port = free_port()
    with own_daemon(tmp_path, "--worker-listen", f"127.0.0.1:{port}", "--worker-token", "s3cr3t-token"):
        url = f"http://127.0.0.1:{port}/k"
        assert requests.post(url, params={"action": "mpu-create"}).status_code == 401
        assert requests.post(url, params={"action": "mpu-create"}, headers={"Authorization": "Bearer wrong"}).status_code == 401
        ok = requests.post(url, params={"action": "mpu-create"}, headers={"Authorization": "Bearer s3cr3t-token"})
        assert ok.status_code == 200 and ok.json()["uploadId"]


def test_requests_are_access_logged(worker):
    base, _, tmp = worker
    def wanted(l):
        return "Worker:mpu-create" in l and "logged.bin" in l

    before = count_log_lines(tmp / "daemon.stderr", wanted)
    requests.post(base + "logged.bin", params={"action": "mpu-create"})
    line = wait_for_log_line(tmp / "daemon.stderr", wanted, after=before)
    assert "status=200" in line or '"status":"200"' in line, line
    assert "r2-bucket" in line
