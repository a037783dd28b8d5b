"""The writers and the verifier shared by crashtest.py (kill -9) and powercut.py (power cuts).

Each writer is a process that owns its keys (w<N>/k<j> in bucket "crash"), its buckets and its task
files, so every one of them has one sequential history. It runs random operations through every
front end that changes state, and journals each as acknowledged (True: the daemon answered success),
refused (False: a 4xx answer; nothing changed) or in doubt (None: no answer, or a 5xx one):
  - S3: PutObject (bodies from 0 bytes, stored inline, to 300 KB, in blob files), overwrite,
    DeleteObject, DeleteObjects, CopyObject (metadata copied or replaced), PostObject (a presigned
    POST form), CreateMultipartUpload, UploadPart, UploadPartCopy, CompleteMultipartUpload,
    AbortMultipartUpload, CreateBucket, DeleteBucket;
  - the Worker API (bound to bucket "crash"): mpu-create, mpu-uploadpart, mpu-complete, mpu-abort,
    delete;
  - the task API (bucket "crash-tasks"): create, chunks, complete, delete of a file.

verify() then checks every acknowledged write on its own, through one gateway:
  - an object write (put, copy, POST, S3 or Worker complete, delete, each key of a DeleteObjects):
    the key now holds that write's bytes (MD5 and size), ETag, Content-Type and user metadata, or
    absent for a delete, or the state of a later write of the key that was not refused;
  - an upload's create and parts: while it was not completed or aborted with an acknowledgement,
    ListParts shows it with every acknowledged part's ETag; once it was, the upload is gone;
  - a bucket's create or delete: HeadBucket answers as the last acknowledged (or later in-doubt) one;
  - a task file's completion or deletion: GET of the file answers its bytes and Content-Type, or 404.
A read that fails with anything but "not found" is an error: the check fails, it never means absent.
Task chunks are checked through the completed file only. The counts are independent: acknowledged
comes from the writers' journals, verified and lost from the checks (verified + lost = checks made).
"""

from __future__ import annotations

import hashlib
import random
import signal
import socket
import subprocess
import time
from pathlib import Path

AK, SK = "AKCRASHTEST000000000", "crash-test-secret-key-0000000000000000000"
MIN_PART = 4096
BUCKET, TASKS_BUCKET = "crash", "crash-tasks"
SIZES = [0, 1, 100, 4096, 70_000, 300_000]


def serve_flags(worker_port: int, tasks_port: int) -> list[str]:
    """The serve flags every harness daemon gets: credentials, small parts, both JSON front ends."""
    return ["--access-key", AK, "--secret-key", SK, "--min-part-size", str(MIN_PART),
            "--worker-listen", f"127.0.0.1:{worker_port}", "--worker-bucket", BUCKET, "--worker-anonymous",
            "--tasks-listen", f"127.0.0.1:{tasks_port}", "--tasks-bucket", TASKS_BUCKET, "--tasks-anonymous"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_ports() -> tuple[int, int, int]:
    """A gateway's S3, Worker and task API ports."""
    return free_port(), free_port(), free_port()


class Daemon:
    """One `tessera serve` on `data` with the writers' front ends on `ports`."""

    def __init__(self, binary: str, data: Path, ports: tuple[int, int, int], log: Path, *extra: str):
        self.binary, self.data, self.ports, self.log, self.extra = binary, data, ports, log, extra
        self.port = ports[0]
        self.proc: subprocess.Popen | None = None

    def start(self):
        problem = self.try_start()
        if problem:
            raise SystemExit(problem)

    def try_start(self) -> str | None:
        """Starts the daemon and waits until its ports listen: None, or why it did not start (then it is not running)."""
        self.proc = subprocess.Popen([self.binary, "serve", "--listen", f"127.0.0.1:{self.port}", "--data-dir", str(self.data),
                                      *serve_flags(self.ports[1], self.ports[2]), *self.extra],
                                     stdout=subprocess.DEVNULL, stderr=open(self.log, "ab"))
        deadline = time.time() + 60
        for port in self.ports:
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if self.proc.poll() is not None or time.time() > deadline:
                        if self.proc.poll() is None:
                            self.proc.kill()
                        self.proc.wait()
                        return f"daemon did not start; log {self.log}:\n{self.log.read_text(errors='replace')[-2000:]}"
                    time.sleep(0.05)
        return None

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=40)
        if rc != 0:
            raise SystemExit(f"daemon exited {rc} on SIGTERM; log: {self.log}")

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


def make_client(port: int):
    import boto3
    from botocore.config import Config
    return boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                        aws_access_key_id=AK, aws_secret_access_key=SK,
                        config=Config(retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=20,
                                      max_pool_connections=8, request_checksum_calculation="when_required",
                                      s3={"addressing_style": "path"}))


class Endpoint:
    """One gateway's three front ends, as a writer talks to them."""

    def __init__(self, ports: tuple[int, int, int]):
        import requests
        self.s3 = make_client(ports[0])
        self.worker = f"http://127.0.0.1:{ports[1]}/"
        self.tasks = f"http://127.0.0.1:{ports[2]}/api/files"
        self.http = requests.Session()
        self.http.trust_env = False


def body_state(data: bytes, etag: str | None, ctype: str | None, meta: dict) -> tuple:
    """What a reader should see of an object: (MD5, size, ETag or None for any, Content-Type, metadata)."""
    return (hashlib.md5(data).hexdigest(), len(data), etag, ctype, tuple(sorted(meta.items())))


def multipart_etag(parts: list[bytes]) -> str:
    return '"' + hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest() + f'-{len(parts)}"'


class InDoubt(Exception):
    """A 5xx answer: the change may or may not have been made."""


class Refused(Exception):
    """A 4xx answer: nothing changed."""


def http_ok(resp, *ok: int):
    if resp.status_code in ok:
        return resp
    if resp.status_code >= 500:
        raise InDoubt(f"HTTP {resp.status_code}: {resp.text[:200]}")
    raise Refused(f"HTTP {resp.status_code}: {resp.text[:200]}")


class Gateways:
    """The request targets of one writer: `ports[g]` = (S3, Worker, tasks), and per gateway a counter
    the main process bumps before it kills the gateway and again once its successor listens (odd: down
    or dying). A request went to a survivor when its gateway's counter was the same even number before
    and after it."""

    def __init__(self, ports: list[tuple[int, int, int]], deaths):
        self.ports, self.deaths = ports, deaths

    def up_epoch(self, g: int) -> int | None:
        e = self.deaths[g]
        return e if e % 2 == 0 else None


class Journal:
    """One writer's record. histories: "obj:KEY" / "bucket:NAME" / "task:ID" -> [[op, acked, state]];
    uploads: dicts with key, id, acked parts {n: ETag}, end ("complete"/"abort"/None), end_acked."""

    def __init__(self, index: int):
        self.index = index
        self.histories: dict[str, list] = {}
        self.uploads: list[dict] = []
        self.acknowledged = 0
        self.survivor_errors: list[str] = []
        self.violations: list[str] = []  # acknowledged answers that were wrong (an ETag not the MD5 sent)
        self.ops: dict[str, int] = {}

    def record(self, item: str, op: str, acked, state):
        self.histories.setdefault(item, []).append([op, acked, state])
        self.ops[op] = self.ops.get(op, 0) + (acked is True)
        if acked is True:
            self.acknowledged += 1

    def known(self, item: str):
        """The item's state when it is known (its last entry that was not refused was acknowledged; never
        written: None, absent), else UNKNOWN."""
        h = [e for e in self.histories.get(item, []) if e[1] is not False]
        if not h:
            return None
        return h[-1][2] if h[-1][1] is True else UNKNOWN


UNKNOWN = object()


def writer_main(index: int, gateways: Gateways, stop, results):
    """One writer: random operations on its own keys, buckets and task files, each request to a gateway
    chosen at random, until told to stop; puts its Journal on `results`."""
    from botocore.exceptions import ClientError
    import requests
    rnd = random.Random(index)
    endpoints = [Endpoint(p) for p in gateways.ports]
    j = Journal(index)
    keys = [f"w{index}/k{n}" for n in range(6)]
    bodies: dict[str, bytes] = {}  # key -> its bytes while its state is known
    task_files: list[str] = []
    buckets: list[str] = []
    gen = 0

    def attempt(fn):
        """(True, result) | (False, code): refused | (None, what): in doubt."""
        g = rnd.randrange(len(endpoints))
        before = gateways.up_epoch(g)
        try:
            return True, fn(endpoints[g])
        except ClientError as e:
            status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            outcome = (None if status >= 500 else False, e.response["Error"]["Code"])
        except Refused as e:
            outcome = (False, str(e))
        except (InDoubt, requests.RequestException) as e:
            outcome = (None, f"{type(e).__name__}: {e}"[:200])
        except Exception as e:  # connection refused/reset inside botocore: in doubt
            outcome = (None, type(e).__name__)
        if before is not None and gateways.up_epoch(g) == before:
            j.survivor_errors.append(f"writer {index}, gateway {g + 1} (up all along): {outcome[1]}")
        return outcome

    def data_for(size_choices=SIZES) -> bytes:
        r = random.Random(f"{index}/{gen}")
        return r.randbytes(r.choice(size_choices))

    def known_source():
        """A key of this writer whose bytes and attributes are known now (last write acknowledged)."""
        cands = [k for k in keys if k in bodies and j.known("obj:" + k) not in (None, UNKNOWN)]
        return rnd.choice(cands) if cands else None

    def object_written(key: str, op: str, ok, data: bytes | None, state):
        j.record("obj:" + key, op, ok, state)
        if ok is True and data is not None:
            bodies[key] = data
        elif ok is not False:
            bodies.pop(key, None)

    def multipart(key: str, via_worker: bool):
        ctype = f"application/x-mpu-{index}-{gen}"
        meta = {} if via_worker else {"gen": str(gen)}
        if via_worker:
            ok, res = attempt(lambda ep: http_ok(ep.http.post(ep.worker + key, params={"action": "mpu-create"},
                                                              headers={"Content-Type": ctype}, timeout=20), 200).json()["uploadId"])
        else:
            ok, res = attempt(lambda ep: ep.s3.create_multipart_upload(Bucket=BUCKET, Key=key, ContentType=ctype, Metadata=meta)["UploadId"])
        if ok is not True:
            return
        up = {"key": key, "id": res, "parts": {}, "end": None, "end_acked": None, "via": "worker" if via_worker else "s3"}
        j.uploads.append(up)
        j.acknowledged += 1
        j.ops["create-upload"] = j.ops.get("create-upload", 0) + 1
        n = rnd.randint(1, 3)
        parts: list[bytes] = []
        for p in range(n):
            b = random.Random(f"{index}/{gen}/{p}").randbytes(rnd.choice([1, 100, 5000]))
            parts.append(b if p == n - 1 else (b * (MIN_PART // len(b) + 1))[:max(MIN_PART, len(b))])
        src = known_source() if not via_worker else None
        copy_part = rnd.randrange(n) if src is not None and len(bodies[src]) >= MIN_PART and rnd.random() < 0.5 else None
        if copy_part is not None:
            parts[copy_part] = bodies[src][:MIN_PART]
        for p in rnd.sample(range(n), n):
            if p == copy_part:
                ok, res = attempt(lambda ep: ep.s3.upload_part_copy(
                    Bucket=BUCKET, Key=key, UploadId=up["id"], PartNumber=p + 1, CopySource={"Bucket": BUCKET, "Key": src},
                    CopySourceRange=f"bytes=0-{MIN_PART - 1}")["CopyPartResult"]["ETag"])
                op = "upload-part-copy"
            elif via_worker:
                ok, res = attempt(lambda ep: '"' + http_ok(ep.http.put(
                    ep.worker + key, params={"action": "mpu-uploadpart", "uploadId": up["id"], "partNumber": str(p + 1)},
                    data=parts[p], timeout=20), 200).json()["etag"] + '"')
                op = "worker-upload-part"
            else:
                ok, res = attempt(lambda ep: ep.s3.upload_part(Bucket=BUCKET, Key=key, UploadId=up["id"], PartNumber=p + 1, Body=parts[p])["ETag"])
                op = "upload-part"
            if ok is not True:
                return
            if res.strip('"') != hashlib.md5(parts[p]).hexdigest():
                j.violations.append(f"writer {index}: {op} {p + 1} of {key} acknowledged with ETag {res}, not its MD5")
            up["parts"][p + 1] = res.strip('"')
            j.acknowledged += 1
            j.ops[op] = j.ops.get(op, 0) + 1
        choice = rnd.random()
        if choice < 0.75:
            up["end"] = "complete"
            data = b"".join(parts)
            state = body_state(data, multipart_etag(parts), ctype, meta)
            listed = [{"PartNumber": i + 1, "ETag": f'"{up["parts"][i + 1]}"'} for i in range(n)]
            if via_worker:
                ok, _ = attempt(lambda ep: http_ok(ep.http.post(
                    ep.worker + key, params={"action": "mpu-complete", "uploadId": up["id"]},
                    json={"parts": [{"partNumber": i + 1, "etag": up["parts"][i + 1]} for i in range(n)]}, timeout=20), 200))
            else:
                ok, _ = attempt(lambda ep: ep.s3.complete_multipart_upload(Bucket=BUCKET, Key=key, UploadId=up["id"],
                                                                          MultipartUpload={"Parts": listed}))
            up["end_acked"] = ok
            object_written(key, "worker-complete" if via_worker else "complete", ok, data, state)
        elif choice < 0.9:
            up["end"] = "abort"
            if via_worker:
                ok, _ = attempt(lambda ep: http_ok(ep.http.delete(ep.worker + key, params={"action": "mpu-abort", "uploadId": up["id"]}, timeout=20), 204))
            else:
                ok, _ = attempt(lambda ep: ep.s3.abort_multipart_upload(Bucket=BUCKET, Key=key, UploadId=up["id"]))
            up["end_acked"] = ok
            j.ops["abort"] = j.ops.get("abort", 0) + (ok is True)
            j.acknowledged += ok is True

    def task_upload():
        data = data_for([100, 2 * MIN_PART + 77, 20_000])
        ctype = f"application/x-task-{index}-{gen}"
        body = {"hash": hashlib.md5(data).hexdigest(), "file_name": f"w{index}-{gen}.bin", "file_size": len(data),
                "content_type": ctype, "chunk_size": MIN_PART}
        ok, task = attempt(lambda ep: http_ok(ep.http.post(ep.tasks + "/upload/create", json=body, timeout=20), 200).json())
        if ok is not True or task.get("file_exists"):
            return
        chunks = [data[i:i + MIN_PART] for i in range(0, len(data), MIN_PART)]
        for c in rnd.sample(range(len(chunks)), len(chunks)):
            ok, _ = attempt(lambda ep: http_ok(ep.http.post(f"{ep.tasks}/upload/chunk/{task['task_id']}/{c}",
                                                             files={"chunk": ("blob", chunks[c])}, timeout=20), 200))
            if ok is not True:
                return
        ok, f = attempt(lambda ep: http_ok(ep.http.post(f"{ep.tasks}/upload/complete/{task['task_id']}", timeout=20), 200).json())
        if ok is True:
            j.record("task:" + f["id"], "task-complete", True, body_state(data, None, ctype, {}))
            task_files.append(f["id"])

    def task_delete():
        fid = task_files.pop(rnd.randrange(len(task_files)))
        ok, _ = attempt(lambda ep: http_ok(ep.http.delete(f"{ep.tasks}/{fid}", timeout=20), 204))
        j.record("task:" + fid, "task-delete", ok, None)

    def bucket_op():
        live = [b for b in buckets if j.known("bucket:" + b) == "exists"]
        if live and rnd.random() < 0.5:
            b = rnd.choice(live)
            ok, _ = attempt(lambda ep: ep.s3.delete_bucket(Bucket=b))
            j.record("bucket:" + b, "delete-bucket", ok, None)
        else:
            b = f"crash-w{index}-b{gen}"
            buckets.append(b)
            ok, _ = attempt(lambda ep: ep.s3.create_bucket(Bucket=b))
            j.record("bucket:" + b, "create-bucket", ok, "exists")

    while not stop.is_set():
        key = rnd.choice(keys)
        gen += 1
        r = rnd.random()
        if r < 0.28:
            data = data_for()
            ctype, meta = f"text/x-crash-{index}-{gen}", {"gen": str(gen), "writer": str(index)}
            ok, res = attempt(lambda ep: ep.s3.put_object(Bucket=BUCKET, Key=key, Body=data, ContentType=ctype, Metadata=meta))
            if ok is True and res["ETag"] != f'"{hashlib.md5(data).hexdigest()}"':
                j.violations.append(f"writer {index}: put of {key} acknowledged with ETag {res['ETag']}, not its MD5")
            object_written(key, "put", ok, data, body_state(data, f'"{hashlib.md5(data).hexdigest()}"', ctype, meta))
        elif r < 0.34:
            ok, _ = attempt(lambda ep: ep.s3.delete_object(Bucket=BUCKET, Key=key))
            object_written(key, "delete", ok, None, None)
        elif r < 0.38:
            batch = rnd.sample(keys, rnd.randint(1, 3))
            ok, res = attempt(lambda ep: ep.s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": k} for k in batch]}))
            deleted = {d["Key"] for d in res.get("Deleted", [])} if ok is True else set()
            for k in batch:
                object_written(k, "delete-objects", (k in deleted) if ok is True else ok, None, None)
        elif r < 0.46:
            src = known_source()
            if src is None or src == key:
                continue
            data, (_, _, _, src_ctype, src_meta) = bodies[src], j.known("obj:" + src)
            replace = rnd.random() < 0.5
            ctype, meta = (f"text/x-copy-{index}-{gen}", {"gen": str(gen)}) if replace else (src_ctype, dict(src_meta))
            extra = {"MetadataDirective": "REPLACE", "ContentType": ctype, "Metadata": meta} if replace else {}
            ok, res = attempt(lambda ep: ep.s3.copy_object(Bucket=BUCKET, Key=key, CopySource={"Bucket": BUCKET, "Key": src}, **extra))
            etag = res["CopyObjectResult"]["ETag"] if ok is True else None
            object_written(key, "copy", ok, data, body_state(data, etag, ctype, meta))
        elif r < 0.53:
            data = data_for()
            ctype, meta = f"text/x-post-{index}-{gen}", {"gen": str(gen)}

            def post(ep):
                form = ep.s3.generate_presigned_post(BUCKET, key, Fields={"Content-Type": ctype, "x-amz-meta-gen": meta["gen"]},
                                                     Conditions=[{"Content-Type": ctype}, {"x-amz-meta-gen": meta["gen"]}])
                return http_ok(ep.http.post(form["url"], data=form["fields"], files={"file": ("f.bin", data)},
                                            allow_redirects=False, timeout=20), 200, 201, 204)
            ok, _ = attempt(post)
            object_written(key, "post-object", ok, data, body_state(data, f'"{hashlib.md5(data).hexdigest()}"', ctype, meta))
        elif r < 0.70:
            multipart(key, via_worker=False)
        elif r < 0.78:
            multipart(key, via_worker=True)
        elif r < 0.80:
            ok, _ = attempt(lambda ep: http_ok(ep.http.delete(ep.worker + key, params={"action": "delete"}, timeout=20), 204))
            object_written(key, "worker-delete", ok, None, None)
        elif r < 0.92:
            if task_files and rnd.random() < 0.3:
                task_delete()
            else:
                task_upload()
        else:
            bucket_op()
    results.put(j)


# --- verification ----------------------------------------------------------------------------------
def same(expected, observed) -> bool:
    """Object states agree; an expected ETag of None (an in-doubt copy) matches any."""
    if expected is None or observed is None or isinstance(expected, str) or isinstance(observed, str):
        return expected == observed
    return all(e is None or e == o for e, o in zip(expected, observed))


class Verifier:
    def __init__(self, ep: Endpoint, problems: list[str]):
        self.ep, self.problems = ep, problems
        self.verified = self.lost = 0
        try:
            self.present = {o["Key"] for page in ep.s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
                            for o in page.get("Contents", [])}
        except Exception as e:
            self.present = None
            problems.append(f"ListObjectsV2 of {BUCKET} failed: {type(e).__name__}: {str(e)[:200]}")

    def observe(self, item: str):
        """The item's state now; raises on a read that failed other than by "not found"."""
        from botocore.exceptions import ClientError
        kind, name = item.split(":", 1)
        if kind == "obj":
            try:
                r = self.ep.s3.get_object(Bucket=BUCKET, Key=name)
            except ClientError as e:
                if e.response["Error"]["Code"] == "NoSuchKey":
                    return None
                raise
            data = r["Body"].read()
            return body_state(data, r["ETag"], r.get("ContentType"), r.get("Metadata", {}))
        if kind == "bucket":
            try:
                self.ep.s3.head_bucket(Bucket=name)
                return "exists"
            except ClientError as e:
                if e.response["ResponseMetadata"]["HTTPStatusCode"] == 404:
                    return None
                raise
        r = self.ep.http.get(f"{self.ep.tasks}/{name}", timeout=30)
        if r.status_code == 404:
            return None
        http_ok(r, 200)
        return body_state(r.content, None, r.headers.get("content-type"), {})

    def check(self, ok: bool, problem: str):
        if ok:
            self.verified += 1
        else:
            self.lost += 1
            self.problems.append(problem)

    def item(self, item: str, entries: list):
        if not any(e[1] is True for e in entries):
            return
        try:
            observed = self.observe(item)
        except Exception as e:
            for e2 in entries:
                if e2[1] is True:
                    self.check(False, f"{item}: read failed ({type(e).__name__}: {str(e)[:200]}): not counted as absent")
            return
        if item.startswith("obj:") and self.present is not None and (observed is not None) != (item[4:] in self.present):
            self.problems.append(f"{item}: listing says {'present' if item[4:] in self.present else 'absent'}, read says {observed}")
        for i, (op, acked, state) in enumerate(entries):
            if acked is not True:
                continue
            later = [e[2] for e in entries[i:] if e[1] is not False]
            self.check(any(same(s, observed) for s in later),
                       f"{item}: acknowledged {op} #{i} lost: state {observed} is neither it ({state}) nor a later write's; "
                       f"history {[(e[0], e[1]) for e in entries[-6:]]}")

    def upload(self, up: dict):
        from botocore.exceptions import ClientError
        try:
            parts = {p["PartNumber"]: p["ETag"].strip('"') for p in
                     self.ep.s3.list_parts(Bucket=BUCKET, Key=up["key"], UploadId=up["id"]).get("Parts", [])}
            exists = True
        except Exception as e:
            if not (isinstance(e, ClientError) and e.response["Error"]["Code"] == "NoSuchUpload"):
                for _ in range(1 + len(up["parts"]) + (up["end"] == "abort" and up["end_acked"] is True)):
                    self.check(False, f"upload {up['id']}: ListParts failed ({type(e).__name__}: {str(e)[:150]}): not counted as absent")
                return
            parts, exists = {}, False
        name = f"upload {up['id']} of {up['key']} ({up['via']})"
        if up["end_acked"] is True:
            # Created, parts and end all acknowledged: the upload must be gone (the object is checked as a write).
            for _ in range(1 + len(up["parts"]) + (up["end"] == "abort")):
                self.check(not exists, f"{name}: still listed after an acknowledged {up['end']}")
        elif up["end_acked"] is None and up["end"] is not None and not exists:
            for _ in range(1 + len(up["parts"])):
                self.check(True, "")  # an in-doubt end that happened
        else:
            self.check(exists, f"{name}: vanished (acknowledged create, not completed or aborted)")
            for n, etag in up["parts"].items():
                self.check(parts.get(n) == etag, f"{name}: acknowledged part {n} ({etag}) now {parts.get(n)}")


def verify(ep: Endpoint, journals: list[Journal], problems: list[str]) -> tuple[int, int, int]:
    """(acknowledged, verified, lost): acknowledged from the journals; verified and lost from the checks."""
    v = Verifier(ep, problems)
    for j in journals:
        for item, entries in sorted(j.histories.items()):
            v.item(item, entries)
        for up in j.uploads:
            v.upload(up)
    return sum(j.acknowledged for j in journals), v.verified, v.lost


def op_counts(journals: list[Journal]) -> str:
    total: dict[str, int] = {}
    for j in journals:
        for op, n in j.ops.items():
            total[op] = total.get(op, 0) + n
    return ", ".join(f"{op} {n}" for op, n in sorted(total.items()))


def run_writers(writers: int, ports: list[tuple[int, int, int]], events: int, seed: int, event,
                pause=(0.2, 1.2)) -> list[Journal]:
    """Starts the writers, calls event(rnd, deaths) `events` times `pause` seconds apart (fewer if it
    returns False), stops the writers: their journals."""
    import multiprocessing as mp
    ctx = mp.get_context("fork")
    stop, results = ctx.Event(), ctx.Queue()
    deaths = ctx.Array("q", len(ports), lock=False)
    gateways = Gateways(ports, deaths)
    procs = [ctx.Process(target=writer_main, args=(i, gateways, stop, results)) for i in range(writers)]
    for p in procs:
        p.start()
    rnd = random.Random(seed)
    try:
        for _ in range(events):
            time.sleep(rnd.uniform(*pause))
            if event(rnd, deaths) is False:
                break
        time.sleep(0.5)
    except BaseException:
        stop.set()
        for p in procs:
            p.terminate()
            p.join(timeout=30)
        raise
    stop.set()
    journals = [results.get(timeout=180) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    return sorted(journals, key=lambda j: j.index)
