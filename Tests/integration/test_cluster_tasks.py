"""The task API (seed 003) on several gateways over one PostgreSQL: its tasks and files are in the
database (PostgresTaskStore), so a task created on one gateway takes chunks on any gateway, completes on
another, is found again by its hash and downloaded anywhere; every gateway's expiry sweeper runs, and an
expired file is removed once, with no error anywhere.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import hashlib
import os
import time

import pytest
import requests

from gateway import Gateway
from pgserver import PASSWORD, postgres  # noqa: F401  (the fixture)
from daemon import free_port

pytestmark = pytest.mark.cluster

CHUNK = 100 * 1024
TASKS = ("--tasks-bucket", "task-files", "--tasks-anonymous", "--min-part-size", str(64 * 1024), "--sweep-interval", "0.3")


@pytest.fixture(scope="module")
def task_gateways(postgres, tmp_path_factory):  # noqa: F811
    root = tmp_path_factory.mktemp("cluster-tasks")
    shared = root / "shared"
    gateways, bases = [], []
    try:
        for i in range(2):
            port = free_port()
            gateways.append(Gateway(root, f"gw{i + 1}", postgres, shared, "--tasks-listen", f"127.0.0.1:{port}", *TASKS))
            bases.append(f"http://127.0.0.1:{port}/api/files")
        yield gateways, bases
    finally:
        for g in gateways:
            g.stop()
    for g in gateways:
        out = g.output()
        assert not any(e in out for e in ("level=error", '"level":"error"', "level=critical")), out[-4000:]
        assert PASSWORD not in out


def create(base, data, **extra):
    body = {"hash": hashlib.md5(data).hexdigest(), "file_name": "report.bin", "file_size": len(data),
            "content_type": "application/x-test", "chunk_size": CHUNK, **extra}
    r = requests.post(base + "/upload/create", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_task_spans_gateways_and_its_file_is_found_by_hash_everywhere(task_gateways):
    (g1, g2), (a, b) = task_gateways
    data = os.urandom(4 * CHUNK + 123)
    t = create(a, data)
    assert t["file_exists"] is False and t["chunks_count"] == 5
    chunks = [data[i:i + CHUNK] for i in range(0, len(data), CHUNK)]

    def send(i):
        base = (a, b)[i % 2]
        return requests.post(f"{base}/upload/chunk/{t['task_id']}/{i}", files={"chunk": ("blob", chunks[i])})

    with cf.ThreadPoolExecutor(4) as ex:
        results = list(ex.map(send, [4, 1, 0, 3, 2]))
    assert all(r.status_code == 200 for r in results), [r.text for r in results]
    f = requests.post(f"{b}/upload/complete/{t['task_id']}").json()
    assert f["size"] == len(data) and f["sha256"] == hashlib.sha256(data).hexdigest()
    assert requests.get(f"{a}/{f['id']}").content == data
    part = requests.get(f"{b}/{f['id']}", headers={"Range": f"bytes={CHUNK - 3}-{CHUNK + 3}"})
    assert part.status_code == 206 and part.content == data[CHUNK - 3:CHUNK + 4]
    # De-duplication sees the file from either gateway, by either digest.
    for base, digest in ((a, hashlib.sha256(data).hexdigest()), (b, hashlib.md5(data).hexdigest())):
        again = requests.post(base + "/upload/create", json={"hash": digest, "file_name": "x", "file_size": len(data)}).json()
        assert again["file_exists"] is True and again["file"]["id"] == f["id"]
    # The finished task is gone on both: completing it again fails everywhere.
    assert requests.post(f"{a}/upload/complete/{t['task_id']}").status_code == 400
    # A delete on one gateway is a 404 on the other.
    assert requests.delete(f"{a}/{f['id']}").status_code == 204
    assert requests.get(f"{b}/{f['id']}").status_code == 404
    assert g1.s3.list_objects_v2(Bucket="task-files", Prefix="files/" + f["id"]).get("KeyCount") == 0


def test_expiry_sweepers_on_every_gateway_remove_a_file_once(task_gateways):
    (g1, g2), (a, b) = task_gateways
    soon = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1)).isoformat()
    kept_data, expiring_data = os.urandom(1000), os.urandom(999)
    kept_task = create(a, kept_data)
    assert requests.post(f"{a}/upload/chunk/{kept_task['task_id']}/0", files={"chunk": kept_data}).status_code == 200
    kept = requests.post(f"{a}/upload/complete/{kept_task['task_id']}").json()
    t = create(b, expiring_data, expired_at=soon)
    assert requests.post(f"{a}/upload/chunk/{t['task_id']}/0", files={"chunk": expiring_data}).status_code == 200
    f = requests.post(f"{b}/upload/complete/{t['task_id']}").json()
    assert f["expired_at"] == soon
    deadline = time.time() + 15
    while time.time() < deadline and any(requests.get(f"{base}/{f['id']}").status_code == 200 for base in (a, b)):
        time.sleep(0.2)
    assert [requests.get(f"{base}/{f['id']}").status_code for base in (a, b)] == [404, 404]
    assert g2.s3.list_objects_v2(Bucket="task-files", Prefix="files/" + f["id"]).get("KeyCount") == 0
    assert requests.get(f"{b}/{kept['id']}").content == kept_data   # the sweepers touched nothing else
