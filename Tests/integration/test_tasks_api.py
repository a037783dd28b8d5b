"""The task-based chunk upload API (seed 003) on its own listener."""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import hashlib
import os
import time

import pytest
import requests

from daemon import client, count_log_lines, free_port, own_daemon, wait_for_log_line

pytestmark = pytest.mark.multipart

CHUNK = 100 * 1024
SERVE = ("--tasks-bucket", "task-files", "--tasks-anonymous", "--min-part-size", str(64 * 1024), "--sweep-interval", "0.3")


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tasks")
    port = free_port()
    with own_daemon(tmp, "--tasks-listen", f"127.0.0.1:{port}", *SERVE) as s3port:
        yield f"http://127.0.0.1:{port}/api/files", client(s3port), tmp


def create(base, data, **extra):
    body = {"hash": hashlib.md5(data).hexdigest(), "file_name": "report.bin", "file_size": len(data),
            "content_type": "application/x-test", "chunk_size": CHUNK, **extra}
    r = requests.post(base + "/upload/create", json=body)
    return r


def send_chunk(base, task, index, data):
    return requests.post(f"{base}/upload/chunk/{task}/{index}", files={"chunk": ("blob", data)})


def upload_all(base, task, data, order=None):
    chunks = [data[i:i + CHUNK] for i in range(0, max(len(data), 1), CHUNK)]
    order = order or list(range(len(chunks)))
    with cf.ThreadPoolExecutor(4) as ex:
        results = list(ex.map(lambda i: send_chunk(base, task, i, chunks[i]), order))
    assert all(r.status_code == 200 for r in results), [r.text for r in results]


def test_upload_out_of_order_in_parallel_then_download_and_range(api):
    base, s3, _ = api
    data = os.urandom(3 * CHUNK + 777)
    r = create(base, data, pool_id="pool-1")
    assert r.status_code == 200, r.text
    t = r.json()
    assert t["file_exists"] is False and t["chunk_size"] == CHUNK and t["chunks_count"] == 4
    upload_all(base, t["task_id"], data, order=[3, 1, 0, 2])
    f = requests.post(f"{base}/upload/complete/{t['task_id']}").json()
    assert f["size"] == len(data) and f["name"] == "report.bin" and f["mime_type"] == "application/x-test"
    assert f["hash"] == hashlib.md5(data).hexdigest() and f["sha256"] == hashlib.sha256(data).hexdigest()
    assert f["pool_id"] == "pool-1" and f["has_password"] is False
    got = requests.get(f"{base}/{f['id']}")
    assert got.status_code == 200 and got.content == data
    part = requests.get(f"{base}/{f['id']}", headers={"Range": f"bytes={CHUNK - 5}-{CHUNK + 5}"})
    assert part.status_code == 206 and part.content == data[CHUNK - 5:CHUNK + 6]
    # An ordinary multipart object of the bound bucket: no data was copied at completion.
    head = s3.head_object(Bucket="task-files", Key="files/" + f["id"])
    assert head["ContentLength"] == len(data) and head["ETag"].endswith('-4"')


def test_dedup_returns_existing_file_and_stores_nothing(api):
    base, s3, tmp = api
    data = os.urandom(CHUNK + 10)
    t = create(base, data).json()
    upload_all(base, t["task_id"], data)
    f = requests.post(f"{base}/upload/complete/{t['task_id']}").json()
    uploads_before = len(s3.list_multipart_uploads(Bucket="task-files").get("Uploads", []))
    for h in (hashlib.md5(data).hexdigest(), hashlib.sha256(data).hexdigest()):
        again = requests.post(base + "/upload/create", json={"hash": h, "file_name": "x", "file_size": len(data)}).json()
        assert again["file_exists"] is True and again["file"]["id"] == f["id"]
    assert len(s3.list_multipart_uploads(Bucket="task-files").get("Uploads", [])) == uploads_before


def test_sha256_hash_and_single_small_chunk(api):
    base, _, _ = api
    data = b"tiny file"
    t = requests.post(base + "/upload/create", json={"hash": hashlib.sha256(data).hexdigest(), "file_name": "t.txt",
                                                     "file_size": len(data)}).json()
    assert t["chunks_count"] == 1 and t["chunk_size"] == 5 * 1024 * 1024
    assert send_chunk(base, t["task_id"], 0, data).status_code == 200
    f = requests.post(f"{base}/upload/complete/{t['task_id']}").json()
    assert requests.get(f"{base}/{f['id']}").content == data


def test_errors_missing_chunks_sizes_and_hash_mismatch(api):
    base, s3, _ = api
    data = os.urandom(2 * CHUNK + 1)
    t = create(base, data).json()
    task = t["task_id"]
    r = send_chunk(base, task, 0, data[:CHUNK - 1])
    assert r.status_code == 400 and "expected" in r.json()["error"]
    assert send_chunk(base, task, 3, b"x").status_code == 400
    assert send_chunk(base, "no-such-task", 0, b"x").status_code == 400
    assert requests.post(f"{base}/upload/chunk/{task}/0", data=b"raw").status_code == 400
    assert send_chunk(base, task, 0, data[:CHUNK]).status_code == 200
    # Re-sending a chunk replaces it.
    assert send_chunk(base, task, 0, data[:CHUNK]).status_code == 200
    r = requests.post(f"{base}/upload/complete/{task}")
    assert r.status_code == 400 and "Missing chunks: 1, 2" in r.json()["error"]
    # Content that does not match the declared hash is refused and nothing is stored.
    wrong = os.urandom(len(data))
    count = lambda: len(s3.list_objects_v2(Bucket="task-files").get("Contents", []))
    objects_before = count()
    bad = create(base, wrong).json()["task_id"]
    tampered = bytearray(wrong); tampered[5] ^= 1
    upload_all(base, bad, bytes(tampered))
    r = requests.post(f"{base}/upload/complete/{bad}")
    assert r.status_code == 400 and "does not match hash" in r.json()["error"]
    assert count() == objects_before
    assert requests.post(f"{base}/upload/complete/{bad}").status_code == 400  # the task is gone


@pytest.mark.parametrize("body,reason", [
    ({"hash": "abc", "file_name": "x", "file_size": 1}, "hash must be"),
    ({"hash": "0" * 32, "file_name": "x", "file_size": 10 * 1024 * 1024, "chunk_size": 1024}, "below the minimum part size"),
    ({"hash": "0" * 32, "file_name": "x", "file_size": 10001 * 64 * 1024, "chunk_size": 64 * 1024}, "at most 10000"),
    ({"hash": "0" * 32, "file_name": "x"}, "required"),
    ({"hash": "0" * 32, "file_name": "x", "file_size": 1, "expired_at": "tomorrow"}, "ISO 8601"),
])
def test_create_validation(api, body, reason):
    base, _, _ = api
    r = requests.post(base + "/upload/create", json=body)
    assert r.status_code == 400 and reason in r.json()["error"], r.text


def test_encrypted_round_trip_range_password_and_no_cross_dedup(api):
    base, s3, _ = api
    data = os.urandom(2 * CHUNK + 70_000)
    t = create(base, data, encrypt_password="correct horse").json()
    upload_all(base, t["task_id"], data, order=[2, 0, 1])
    f = requests.post(f"{base}/upload/complete/{t['task_id']}").json()
    assert f["has_password"] is True
    url = f"{base}/{f['id']}"
    assert requests.get(url).status_code == 403
    assert requests.get(url, headers={"X-File-Password": "wrong"}).status_code == 403
    got = requests.get(url, headers={"X-File-Password": "correct horse"})
    assert got.status_code == 200 and got.content == data
    for a, b in [(65530, 65545), (CHUNK - 3, CHUNK + 3), (0, 0), (len(data) - 10, len(data) - 1), (131000, 2 * CHUNK + 69_999)]:
        r = requests.get(url, headers={"X-File-Password": "correct horse", "Range": f"bytes={a}-{b}"})
        assert r.status_code == 206 and r.content == data[a:b + 1], (a, b)
    # At rest the bytes are sealed: the stored object is not the plaintext.
    stored = s3.get_object(Bucket="task-files", Key="files/" + f["id"])["Body"].read()
    assert len(stored) > len(data) and data[:4096] not in stored
    # De-duplication never crosses encryption.
    assert create(base, data).json()["file_exists"] is False
    assert create(base, data, encrypt_password="another").json()["file_exists"] is False
    same = create(base, data, encrypt_password="correct horse").json()
    assert same["file_exists"] is True and same["file"]["id"] == f["id"]


def test_delete_and_expiry(api):
    base, _, _ = api
    data = os.urandom(1000)
    t = create(base, data).json()
    upload_all(base, t["task_id"], data)
    f = requests.post(f"{base}/upload/complete/{t['task_id']}").json()
    assert requests.delete(f"{base}/{f['id']}").status_code == 204
    assert requests.get(f"{base}/{f['id']}").status_code == 404
    soon = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1)).isoformat()
    other = os.urandom(999)
    t = create(base, other, expired_at=soon).json()
    upload_all(base, t["task_id"], other)
    f = requests.post(f"{base}/upload/complete/{t['task_id']}").json()
    assert f["expired_at"] == soon
    deadline = time.time() + 10
    while requests.get(f"{base}/{f['id']}").status_code == 200 and time.time() < deadline:
        time.sleep(0.2)
    assert requests.get(f"{base}/{f['id']}").status_code == 404


def test_tasks_survive_restart_and_token_auth(tmp_path):
    port = free_port()
    data = os.urandom(2 * CHUNK)
    base = f"http://127.0.0.1:{port}/api/files"
    auth = {"Authorization": "Bearer tok"}
    args = ("--tasks-listen", f"127.0.0.1:{port}", "--tasks-token", "tok", "--min-part-size", str(64 * 1024))
    with own_daemon(tmp_path, *args):
        assert requests.post(base + "/upload/create", json={}).status_code == 401
        body = {"hash": hashlib.md5(data).hexdigest(), "file_name": "r", "file_size": len(data), "chunk_size": CHUNK}
        t = requests.post(base + "/upload/create", json=body, headers=auth).json()
        assert requests.post(f"{base}/upload/chunk/{t['task_id']}/0", files={"chunk": data[:CHUNK]}, headers=auth).status_code == 200
    with own_daemon(tmp_path, *args):
        assert requests.post(f"{base}/upload/chunk/{t['task_id']}/1", files={"chunk": data[CHUNK:]}, headers=auth).status_code == 200
        f = requests.post(f"{base}/upload/complete/{t['task_id']}", headers=auth).json()
        assert requests.get(f"{base}/{f['id']}", headers=auth).content == data


def test_requests_are_access_logged(api):
    base, _, tmp = api

    def wanted(l):
        return "Tasks:create" in l

    before = count_log_lines(tmp / "daemon.stderr", wanted)
    requests.post(base + "/upload/create", json={"hash": "zz", "file_name": "x", "file_size": 1})
    line = wait_for_log_line(tmp / "daemon.stderr", wanted, after=before)
    assert "status=400" in line or '"status":"400"' in line, line
