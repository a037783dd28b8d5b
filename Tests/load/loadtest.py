#!/usr/bin/env python3
"""Sustained load: N concurrent clients mixing PUT, GET and multipart for a while.

Reports operations and errors per kind, the daemon's RSS over time and its open file descriptors
before and after. Exits non-zero on any error other than an intended SlowDown, on RSS growth beyond
--max-rss-growth-mib between the first and last quarter, or on a file-descriptor leak.

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
    lock = threading.Lock()
    deadline = time.time() + args.seconds
    samples = []

    def client_loop(n):
        rnd = random.Random(n)
        while time.time() < deadline:
            key = f"c{n}/k{rnd.randint(0, 9)}"
            kind = rnd.choices(["put", "get", "mpu"], weights=[5, 4, 1])[0]
            try:
                if kind == "put":
                    body = rnd.randbytes(rnd.choice([1024, 4096, 65536, 1 << 20]))
                    r = s3.put_object(Bucket="load", Key=key, Body=body)
                    assert r["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
                elif kind == "get":
                    try:
                        s3.get_object(Bucket="load", Key=key)["Body"].read()
                    except ClientError as e:
                        if e.response["Error"]["Code"] != "NoSuchKey":
                            raise
                else:
                    up = s3.create_multipart_upload(Bucket="load", Key=key)["UploadId"]
                    bodies = [rnd.randbytes(65536), rnd.randbytes(1000)]
                    parts = [{"PartNumber": i + 1, "ETag": s3.upload_part(Bucket="load", Key=key, UploadId=up, PartNumber=i + 1, Body=b)["ETag"]}
                             for i, b in enumerate(bodies)]
                    s3.complete_multipart_upload(Bucket="load", Key=key, UploadId=up, MultipartUpload={"Parts": parts})
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
    total = sum(counts.values())
    unexpected = {k: v for k, v in errors.items() if k != "SlowDown"}
    print(f"clients {args.clients}, seconds {args.seconds:.0f}, operations {total} ({dict(counts)}), ops/s {total / args.seconds:.0f}")
    print(f"errors: {dict(errors) or 'none'}")
    print(f"rss MiB: first quarter {first:.1f}, last quarter {last:.1f}, peak {peak:.1f}")
    print(f"open sockets and blob files: before {fds_before}, after {fds_after}")
    print(f"daemon exit on SIGTERM: {rc}")
    ok = not unexpected and last - first <= args.max_rss_growth_mib and fds_after <= fds_before + 2 and rc == 0
    import shutil
    if ok:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print(f"kept {tmp} for inspection")
    print(f"loadtest: {1 if ok else 0} passed, {0 if ok else 1} failed")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
