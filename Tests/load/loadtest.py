#!/usr/bin/env python3
"""Sustained load: N concurrent clients mixing PUT, GET, presigned GET and multipart for a while, with every
body read back checked.

Each body written describes itself: its first line names the key, a token unique to that write and the
length, and the rest is generated from the token. Every body read (GET, and presigned GETs with SigV4 and
with boto3's default SigV2) is regenerated from its first line and compared byte for byte, and its token
must be one written to that key. On a client's own keys, which only it writes, a read must return exactly
the write it last saw acknowledged (read-your-writes). Shared keys are written and read by every client at
once, so readers race writers (and the inline-object cache). Mismatches are counted apart from errors, and
any mismatch fails the run.

Reports operations, errors and mismatches per kind, the daemon's RSS over time and its open file
descriptors before and after. Exits non-zero on a mismatch, on any error other than an intended SlowDown,
on RSS growth beyond --max-rss-growth-mib between the first and last quarter, or on a descriptor leak.

Usage: loadtest.py [--clients 64] [--seconds 600] [--bin PATH]
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
AK, SK = "AKLOADTEST0000000000", "load-test-secret-key-00000000000000000000"


def make_body(key: str, token: str, length: int) -> bytes:
    """A body that names its key, token and length on its first line; the rest is generated from the token."""
    head = f"{key}|{token}|{length}\n".encode()
    return head + random.Random(token).randbytes(max(0, length - len(head)))


def check_body(key: str, body: bytes, written: set[str]) -> tuple[str | None, str | None]:
    """(token, problem): the token the body carries, and what is wrong with it (None when it is right)."""
    head, sep, _ = body.partition(b"\n")
    fields = head.decode(errors="replace").split("|")
    if not sep or len(fields) != 3 or not fields[2].isdigit():
        return None, "no self-describing first line"
    named_key, token, length = fields[0], fields[1], int(fields[2])
    if named_key != key:
        return token, f"body of key {named_key!r} served for {key!r}"
    if token not in written:
        return token, f"token {token} was never written to {key!r}"
    if len(body) != length or body != make_body(key, token, length):
        return token, f"bytes differ from what was written ({len(body)} of {length} bytes)"
    return token, None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1])
    return 0


def fds(pid):
    """Open descriptors that must return to baseline: sockets and blob files. (SQLite's reader pool
    keeps up to one connection per concurrent reader open on purpose; those are not a leak.)"""
    n = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:") or "/blobs/" in target or "/tmp/" in target and target.endswith(".tmp"):
            n += 1
    return n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--bin", default=os.environ.get("TESSERA_BIN", str(REPO / ".build/release/tessera")))
    ap.add_argument("--max-rss-growth-mib", type=float, default=64)
    ap.add_argument("--mix", default="put=5,get=3,presigned-v4=1,presigned-v2=1,mpu=1",
                    help="operation weights, e.g. put=1,get=1 (kinds: put get presigned-v4 presigned-v2 mpu)")
    args = ap.parse_args()

    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError

    tmp = Path(tempfile.mkdtemp(prefix="tessera-load-"))
    port = free_port()
    proc = subprocess.Popen([args.bin, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", str(tmp / "data"),
                             "--access-key", AK, "--secret-key", SK, "--min-part-size", "65536"],
                            stdout=subprocess.DEVNULL, stderr=open(tmp / "daemon.log", "wb"))
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    cfg = Config(retries={"total_max_attempts": 1}, max_pool_connections=args.clients + 4, request_checksum_calculation="when_required")
    s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                      aws_access_key_id=AK, aws_secret_access_key=SK, config=cfg)
    s3.create_bucket(Bucket="load")
    time.sleep(0.5)
    fds_before = fds(proc.pid)

    counts = collections.Counter()
    errors = collections.Counter()
    mismatches = collections.Counter()
    mismatch_examples = []
    lock = threading.Lock()
    deadline = time.time() + args.seconds
    samples = []
    written = collections.defaultdict(set)  # key -> every token written to it (before the write is sent)
    shared_keys = [f"shared/k{i}" for i in range(20)]
    import urllib.error
    import urllib.request
    s3v2 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1", aws_access_key_id=AK,
                        aws_secret_access_key=SK, config=Config(signature_version="s3", retries={"total_max_attempts": 1}))

    def verify(kind, key, body, expect=None):
        with lock:
            tokens = set(written[key])
        token, problem = check_body(key, body, tokens)
        if problem is None and expect is not None and token != expect:
            problem = f"read {token}, but this client's last acknowledged write of {key!r} was {expect}"
        with lock:
            if problem is None:
                counts[kind + " verified"] += 1
            else:
                mismatches[kind] += 1
                if len(mismatch_examples) < 10:
                    mismatch_examples.append(f"{kind} {key}: {problem}")

    mix = {k: float(v) for k, v in (pair.split("=") for pair in args.mix.split(","))}
    assert set(mix) <= {"put", "get", "presigned-v4", "presigned-v2", "mpu"}, mix

    def client_loop(n):
        rnd = random.Random(n)
        own = {}  # this client's keys -> token of its last acknowledged write
        sequence = 0
        while time.time() < deadline:
            shared = rnd.random() < 0.4
            key = rnd.choice(shared_keys) if shared else f"c{n}/k{rnd.randint(0, 9)}"
            kind = rnd.choices(list(mix), weights=list(mix.values()))[0]
            sequence += 1
            token = f"{n}.{sequence}"
            try:
                if kind == "put":
                    body = make_body(key, token, rnd.choice([1024, 4096, 65536, 1 << 20]))
                    with lock:
                        written[key].add(token)
                    r = s3.put_object(Bucket="load", Key=key, Body=body)
                    assert r["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
                    if not shared:
                        own[key] = token
                elif kind == "mpu":
                    body = make_body(key, token, 65536 + 1000)
                    with lock:
                        written[key].add(token)
                    up = s3.create_multipart_upload(Bucket="load", Key=key)["UploadId"]
                    bodies = [body[:65536], body[65536:]]
                    parts = [{"PartNumber": i + 1, "ETag": s3.upload_part(Bucket="load", Key=key, UploadId=up, PartNumber=i + 1, Body=b)["ETag"]}
                             for i, b in enumerate(bodies)]
                    s3.complete_multipart_upload(Bucket="load", Key=key, UploadId=up, MultipartUpload={"Parts": parts})
                    if not shared:
                        own[key] = token
                else:
                    expect = None if shared else own.get(key)
                    try:
                        if kind == "get":
                            body = s3.get_object(Bucket="load", Key=key)["Body"].read()
                        else:
                            signer = s3 if kind == "presigned-v4" else s3v2
                            url = signer.generate_presigned_url("get_object", Params={"Bucket": "load", "Key": key}, ExpiresIn=300)
                            try:
                                body = urllib.request.urlopen(url, timeout=60).read()
                            except urllib.error.HTTPError as e:
                                if e.code == 404 and b"NoSuchKey" in e.read():
                                    raise ClientError({"Error": {"Code": "NoSuchKey"}}, "GetObject")
                                raise
                        verify(kind, key, body, expect)
                    except ClientError as e:
                        if e.response["Error"]["Code"] != "NoSuchKey":
                            raise
                        if expect is not None:  # this client wrote the key and saw it acknowledged
                            with lock:
                                mismatches[kind] += 1
                                mismatch_examples.append(f"{kind} {key}: NoSuchKey after the acknowledged write {expect}")
                with lock:
                    counts[kind] += 1
            except ClientError as e:
                with lock:
                    errors[e.response["Error"]["Code"]] += 1
            except Exception as e:  # noqa: BLE001 - any failure is a finding
                with lock:
                    errors[type(e).__name__] += 1

    threads = [threading.Thread(target=client_loop, args=(i,)) for i in range(args.clients)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        samples.append((time.time(), rss_kib(proc.pid)))
        time.sleep(1)
    s3.close()  # drop the client's keep-alive connections before counting the daemon's descriptors
    time.sleep(1.0)
    fds_after = fds(proc.pid)
    proc.send_signal(signal.SIGTERM)
    rc = proc.wait(timeout=40)

    q = max(1, len(samples) // 4)
    first = sum(r for _, r in samples[:q]) / q / 1024
    last = sum(r for _, r in samples[-q:]) / q / 1024
    peak = max(r for _, r in samples) / 1024
    operations = {k: v for k, v in counts.items() if not k.endswith(" verified")}
    total = sum(operations.values())
    unexpected = {k: v for k, v in errors.items() if k != "SlowDown"}
    print(f"clients {args.clients}, seconds {args.seconds:.0f}, operations {total} ({operations}), ops/s {total / args.seconds:.0f}")
    print(f"errors: {dict(errors) or 'none'}")
    verified = sum(v for k, v in counts.items() if k.endswith(" verified"))
    print(f"bodies read and verified: {verified}; mismatches: {sum(mismatches.values())} {dict(mismatches) or ''}")
    for example in mismatch_examples:
        print(f"  mismatch: {example}")
    print(f"rss MiB: first quarter {first:.1f}, last quarter {last:.1f}, peak {peak:.1f}")
    print(f"open sockets and blob files: before {fds_before}, after {fds_after}")
    print(f"daemon exit on SIGTERM: {rc}")
    ok = not mismatches and verified > 0 and not unexpected and last - first <= args.max_rss_growth_mib and fds_after <= fds_before + 2 and rc == 0
    import shutil
    if ok:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print(f"kept {tmp} for inspection")
    print(f"loadtest: {1 if ok else 0} passed, {0 if ok else 1} failed")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
