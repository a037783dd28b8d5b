#!/usr/bin/env python3
"""Crash-consistency harness: concurrent writers, kill -9 at random moments, restart, verify.

Writers (separate processes, each owning its keys so every key has one sequential history) PUT,
overwrite, delete, run multipart uploads with parallel parts, complete and abort, recording each
operation as acknowledged (the daemon answered success) or in doubt (connection dropped). The daemon
is killed with SIGKILL at random moments and restarted. At the end:
  - every key holds exactly the bytes and ETag of its last acknowledged write, or of a later in-doubt
    one (never a mix, never an older version, never lost);
  - listings agree with reads;
  - uploads whose creation was acknowledged and that were not completed/aborted show every
    acknowledged part; in-doubt completes/aborts leave them intact or cleanly absent;
  - no blob file is unreferenced and no referenced blob is missing (after the start-up sweep);
  - SQLite's integrity_check says ok.
Prints writes acknowledged, writes verified, lost (must be 0).

With --cluster N: a throwaway PostgreSQL (Tests/postgres/throwaway-postgres.sh) and N gateways
(`serve --metadata-url`) on one shared data directory. Every request of every writer goes to a gateway
chosen at random; one gateway at a time (chosen at random) is killed with SIGKILL and restarted. A request
to the victim while it is down (or dying) may fail and is then in doubt; a request to a gateway that was up
from its first byte to its answer must succeed: any error there is counted as a survivor error (must be
0). At the end every acknowledged write is checked as above through one gateway, listings on every gateway
agree, no referenced blob is missing, no gateway logged an error, every gateway exits 0 on SIGTERM, and
`tessera fsck --metadata-url …` is clean. Blobs a killed gateway wrote but never committed are counted
but allowed: in this mode only a start-up more than an hour later (or `fsck --repair`) removes them.

With --self-check: after the writers stop, the harness itself deletes one key whose last write was
acknowledged (through a gateway, as a lost write would look) and removes one referenced blob file; with
--cluster its first kill is not announced to the writers (as if a survivor failed them) and lasts 1 s. The
run passes only if verification reports that key as lost and the blob as missing (and, with --cluster,
fsck fails and the requests to the unannounced victim count as survivor errors). It shows the checks
above can fail.

Usage: crashtest.py [--kills N] [--writers N] [--bin PATH] [--cluster N] [--self-check] [--seed N]
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing as mp
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
THROWAWAY_POSTGRES = REPO / "Tests" / "postgres" / "throwaway-postgres.sh"
PSQL = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")) / "psql"
AK, SK = "AKCRASHTEST000000000", "crash-test-secret-key-0000000000000000000"
MIN_PART = 4096


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def content(writer: int, key: str, gen: int) -> bytes:
    rnd = random.Random(f"{writer}/{key}/{gen}")
    return rnd.randbytes(rnd.choice([0, 1, 100, 4096, 70_000, 300_000]))


def make_client(port: int):
    import boto3
    from botocore.config import Config
    return boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                        aws_access_key_id=AK, aws_secret_access_key=SK,
                        config=Config(retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=20,
                                      max_pool_connections=8, request_checksum_calculation="when_required"))


class Daemon:
    def __init__(self, binary: str, data: Path, port: int, log: Path, *extra: str):
        self.binary, self.data, self.port, self.log, self.extra = binary, data, port, log, extra
        self.proc: subprocess.Popen | None = None

    def start(self):
        self.proc = subprocess.Popen([self.binary, "serve", "--listen", f"127.0.0.1:{self.port}", "--data-dir", str(self.data),
                                      "--access-key", AK, "--secret-key", SK, "--min-part-size", str(MIN_PART), *self.extra],
                                     stdout=subprocess.DEVNULL, stderr=open(self.log, "ab"))
        deadline = time.time() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    raise SystemExit(f"daemon did not start; log:\n{self.log.read_text()[-4000:]}")
                time.sleep(0.05)

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=40)
        if rc != 0:
            raise SystemExit(f"daemon exited {rc} on SIGTERM; log: {self.log}")


class Gateways:
    """The request targets of one writer: `ports[g]`, and per gateway a counter the main process bumps
    before it kills the gateway and again once its successor listens (odd: down or dying). A request is
    sent to a survivor when the counter of its gateway was the same even number before and after it."""

    def __init__(self, ports: list[int], deaths):
        self.ports, self.deaths = ports, deaths

    def up_epoch(self, g: int) -> int | None:
        e = self.deaths[g]
        return e if e % 2 == 0 else None


def writer_main(index: int, gateways: Gateways, stop, results):
    """One writer: random operations on its own keys, each request to a gateway chosen at random, until
    told to stop; returns its journal, and the errors answered by gateways that were up all along."""
    from botocore.exceptions import ClientError
    rnd = random.Random(index)
    clients = [make_client(port) for port in gateways.ports]
    keys = [f"w{index}/k{j}" for j in range(6)]
    history: dict[str, list] = {k: [] for k in keys}  # key -> [(kind, gen, acked, md5)]
    uploads: list[dict] = []
    survivor_errors: list[str] = []
    gen = 0
    acked_writes = 0

    def attempt(fn):
        g = rnd.randrange(len(clients))
        before = gateways.up_epoch(g)
        try:
            return True, fn(clients[g])
        except ClientError as e:
            outcome = (False, e.response["Error"]["Code"])
        except Exception as e:  # connection refused/reset: in doubt
            outcome = (None, type(e).__name__)
        if before is not None and gateways.up_epoch(g) == before:
            survivor_errors.append(f"writer {index}, gateway {g + 1} (up all along): {outcome[1]}")
        return outcome

    while not stop.is_set():
        key = rnd.choice(keys)
        gen += 1
        r = rnd.random()
        if r < 0.55:
            data = content(index, key, gen)
            entry = ["put", gen, None, hashlib.md5(data).hexdigest(), len(data)]
            history[key].append(entry)
            ok, res = attempt(lambda s3: s3.put_object(Bucket="crash", Key=key, Body=data))
            entry[2] = ok
            if ok:
                assert res["ETag"] == f'"{entry[3]}"', (key, res["ETag"], entry)
                acked_writes += 1
        elif r < 0.65:
            entry = ["delete", gen, None, None, 0]
            history[key].append(entry)
            ok, _ = attempt(lambda s3: s3.delete_object(Bucket="crash", Key=key))
            entry[2] = ok
            acked_writes += bool(ok)
        else:
            # Multipart: create, parallel-ish parts, then complete (or abort, or leave it).
            ok, res = attempt(lambda s3: s3.create_multipart_upload(Bucket="crash", Key=key))
            if not ok:
                continue
            up = {"key": key, "id": res["UploadId"], "parts": {}, "end": None, "end_acked": None}
            uploads.append(up)
            n = rnd.randint(1, 3)
            bodies = [content(index, key, gen * 10 + p) or b"x" for p in range(n)]
            bodies = [b if i == n - 1 else (b * (MIN_PART // max(1, len(b)) + 1))[:max(MIN_PART, len(b))] for i, b in enumerate(bodies)]
            failed = False
            for p in rnd.sample(range(n), n):
                ok, res = attempt(lambda s3: s3.upload_part(Bucket="crash", Key=key, UploadId=up["id"], PartNumber=p + 1, Body=bodies[p]))
                if ok:
                    up["parts"][p + 1] = res["ETag"].strip('"')
                    acked_writes += 1
                else:
                    failed = True
                    break
            if failed:
                continue
            choice = rnd.random()
            if choice < 0.75:
                data = b"".join(bodies)
                entry = ["mpu", gen, None, hashlib.md5(data).hexdigest(), len(data)]
                history[key].append(entry)
                up["end"] = "complete"
                ok, res = attempt(lambda s3: s3.complete_multipart_upload(
                    Bucket="crash", Key=key, UploadId=up["id"],
                    MultipartUpload={"Parts": [{"PartNumber": i + 1, "ETag": up["parts"][i + 1]} for i in range(n)]}))
                entry[2] = ok
                up["end_acked"] = ok
                acked_writes += bool(ok)
            elif choice < 0.9:
                up["end"] = "abort"
                ok, _ = attempt(lambda s3: s3.abort_multipart_upload(Bucket="crash", Key=key, UploadId=up["id"]))
                up["end_acked"] = ok
    results.put((index, history, uploads, acked_writes, survivor_errors))


def allowed_states(entries):
    """Final states a key may be in: after its last acknowledged op, or after any later in-doubt op."""
    last_acked = max((i for i, e in enumerate(entries) if e[2] is True), default=None)
    states = set()
    base = entries[last_acked] if last_acked is not None else None
    states.add(None if base is None or base[0] == "delete" else base[3])
    for e in entries[(last_acked + 1) if last_acked is not None else 0:]:
        if e[2] is None:
            states.add(None if e[0] == "delete" else e[3])
    return states


def sabotage(s3, journals, blob_dir: Path, referenced_blobs) -> tuple[str, str]:
    """--self-check: deletes one key whose last write was acknowledged (and nothing after it in doubt) and
    removes one referenced blob file behind the harness's back; returns (key, blob)."""
    victim_key = None
    for _, history, *_ in journals:
        for key, entries in sorted(history.items()):
            if entries and allowed_states(entries) - {None} and None not in allowed_states(entries):
                victim_key = key
                break
        if victim_key:
            break
    if victim_key is None:
        raise SystemExit("self-check: no key with an acknowledged last write to drop (run longer)")
    s3.delete_object(Bucket="crash", Key=victim_key)
    files = {p.name: p for p in blob_dir.rglob("*") if p.is_file()}
    blob = sorted(set(files) & referenced_blobs())[0]
    files[blob].unlink()
    print(f"self-check: dropped the acknowledged key {victim_key} and removed the referenced blob {blob}")
    return victim_key, blob


def verify(s3, journals, problems: list[str]) -> tuple[int, int, int]:
    """Reads every key back and hashes it, lists parts of every upload: (acknowledged, verified, lost)."""
    acked = verified = lost = 0
    present = {o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket="crash") for o in page.get("Contents", [])}
    for index, history, uploads, acked_writes, _ in journals:
        acked += acked_writes
        for key, entries in history.items():
            if not entries:
                continue
            allowed = allowed_states(entries)
            try:
                body = s3.get_object(Bucket="crash", Key=key)["Body"].read()
                state = hashlib.md5(body).hexdigest()
                etag = s3.head_object(Bucket="crash", Key=key)["ETag"]
            except Exception:
                state, etag = None, None
            if (state is not None) != (key in present):
                problems.append(f"{key}: listing says {'present' if key in present else 'absent'}, read says {state}")
            if state not in allowed:
                lost += 1
                problems.append(f"{key}: state {state} not in allowed {allowed}; history {entries[-4:]}")
            else:
                verified += sum(1 for e in entries if e[2] is True)
        for up in uploads:
            try:
                parts = {p["PartNumber"]: p["ETag"].strip('"') for p in s3.list_parts(Bucket="crash", Key=up["key"], UploadId=up["id"]).get("Parts", [])}
                exists = True
            except Exception:
                parts, exists = {}, False
            ok_before = len(problems)
            if up["end"] is None or up["end_acked"] is False:
                if not exists:
                    problems.append(f"upload {up['id']} of {up['key']} vanished")
                    lost += 1
                elif any(parts.get(n) != e for n, e in up["parts"].items()):
                    problems.append(f"upload {up['id']} lost acknowledged parts: have {parts}, acked {up['parts']}")
                    lost += 1
            elif up["end_acked"] is True and exists:
                problems.append(f"upload {up['id']} still listed after an acknowledged {up['end']}")
            elif up["end_acked"] is None and exists and any(parts.get(n) != e for n, e in up["parts"].items()):
                problems.append(f"upload {up['id']} in doubt but its parts changed")
                lost += 1
            if len(problems) == ok_before:
                verified += len(up["parts"])  # acknowledged parts: intact, or in the completed object
    return acked, verified, lost


def listing(s3) -> list[tuple[str, str]]:
    return [(o["Key"], o["ETag"]) for page in s3.get_paginator("list_objects_v2").paginate(Bucket="crash")
            for o in page.get("Contents", [])]


def run_writers(args, ports: list[int], kill_one) -> list:
    """Starts the writers, calls kill_one(k) --kills times 0.2-1.2 s apart, stops the writers: their journals."""
    ctx = mp.get_context("fork")
    stop, results = ctx.Event(), ctx.Queue()
    deaths = ctx.Array("q", len(ports), lock=False)
    gateways = Gateways(ports, deaths)
    writers = [ctx.Process(target=writer_main, args=(i, gateways, stop, results)) for i in range(args.writers)]
    for w in writers:
        w.start()
    rnd = random.Random(args.seed)
    for k in range(args.kills):
        time.sleep(rnd.uniform(0.2, 1.2))
        kill_one(rnd, deaths)
    time.sleep(0.5)
    stop.set()
    journals = [results.get(timeout=120) for _ in writers]
    for w in writers:
        w.join(timeout=30)
    return journals


def single(args, tmp: Path, problems: list[str]) -> dict:
    """One daemon on SQLite, killed and restarted --kills times."""
    daemon = Daemon(args.bin, tmp / "data", free_port(), tmp / "daemon.log")
    daemon.start()
    make_client(daemon.port).create_bucket(Bucket="crash")

    def kill_one(rnd, deaths):
        deaths[0] += 1
        daemon.kill9()
        time.sleep(rnd.uniform(0.0, 0.3))
        daemon.start()
        deaths[0] += 1

    journals = run_writers(args, [daemon.port], kill_one)
    # Final restart: the start-up sweep runs, then verification.
    daemon.kill9()
    daemon.start()
    s3 = make_client(daemon.port)

    def referenced() -> set[str]:
        db = sqlite3.connect(tmp / "data" / "metadata.sqlite")
        try:
            return {r[0] for r in db.execute("SELECT blob FROM segments WHERE data IS NULL UNION SELECT blob FROM parts")}
        finally:
            db.close()

    dropped = sabotage(s3, journals, tmp / "data" / "blobs", referenced) if args.self_check else None
    acked, verified, lost = verify(s3, journals, problems)
    daemon.stop()

    db = sqlite3.connect(tmp / "data" / "metadata.sqlite")
    integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    garbage = {r[0] for r in db.execute("SELECT blob FROM garbage")}
    db.close()
    refs = referenced()
    files = {p.name for p in (tmp / "data" / "blobs").rglob("*") if p.is_file()}
    orphans, missing = files - refs - garbage, refs - files
    if integrity != "ok":
        problems.append(f"integrity_check: {integrity}")
    if orphans:
        problems.append(f"{len(orphans)} orphaned blob files")
    if missing:
        problems.append(f"{len(missing)} referenced blobs missing: {sorted(missing)[:3]}")
        lost += len(missing)
    temporaries = list((tmp / "data" / "tmp").iterdir())
    return dict(acked=acked, verified=verified, lost=lost, dropped=dropped, logs=[daemon.log],
                summary=f"orphaned blobs: {len(orphans)}, missing blobs: {len(missing)}, "
                        f"temporaries left: {len(temporaries)}, integrity: {integrity}")


def psql(url: str, sql: str) -> list[str]:
    r = subprocess.run([str(PSQL), url, "-At", "-v", "ON_ERROR_STOP=1", "-c", sql], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise SystemExit(f"psql failed: {r.stderr}")
    return r.stdout.split()


ERROR_LINE = re.compile(r"level=(error|critical)|\"level\":\"(error|critical)\"")


def cluster(args, tmp: Path, problems: list[str]) -> dict:
    """--cluster N gateways over one throwaway PostgreSQL and one shared data directory."""
    start = subprocess.run(["bash", str(THROWAWAY_POSTGRES), "start", str(os.getpid())],
                           capture_output=True, text=True, timeout=180)
    if start.returncode != 0:
        raise SystemExit(f"--cluster needs a PostgreSQL server of its own and could not start one: {start.stderr.strip()}")
    pg_dir, url = start.stdout.split()
    shared = tmp / "shared"
    try:
        gateways = [Daemon(args.bin, shared, free_port(), tmp / f"gateway{g + 1}.log", "--metadata-url", url)
                    for g in range(args.cluster)]
        for g in gateways:
            g.start()
        make_client(gateways[0].port).create_bucket(Bucket="crash")
        killed = [0] * len(gateways)
        unannounced = [args.self_check]

        def kill_one(rnd, deaths):
            g = rnd.randrange(len(gateways))
            if unannounced[0]:
                # --self-check: the first kill is not announced to the writers and lasts a second, so their
                # failed requests to it must be counted as survivor errors.
                unannounced[0] = False
                gateways[g].kill9()
                killed[g] += 1
                time.sleep(1.0)
                gateways[g].start()
                return
            deaths[g] += 1
            gateways[g].kill9()
            killed[g] += 1
            time.sleep(rnd.uniform(0.0, 0.3))
            gateways[g].start()
            deaths[g] += 1

        journals = run_writers(args, [g.port for g in gateways], kill_one)
        survivor_errors = [e for j in journals for e in j[4]]
        problems += [f"survivor error: {e}" for e in survivor_errors[:10]]
        s3 = make_client(gateways[0].port)

        def referenced() -> set[str]:
            return set(psql(url, "SELECT blob FROM segments WHERE data IS NULL AND blob <> '' UNION SELECT blob FROM parts"))

        dropped = sabotage(s3, journals, shared / "blobs", referenced) if args.self_check else None
        acked, verified, lost = verify(s3, journals, problems)
        first = listing(s3)
        for g in gateways[1:]:
            if listing(make_client(g.port)) != first:
                problems.append(f"gateway on port {g.port} lists the bucket differently from gateway 1")
        for g in gateways:
            g.stop()
        refs = referenced()
        garbage = set(psql(url, "SELECT blob FROM garbage"))
        files = {p.name for p in (shared / "blobs").rglob("*") if p.is_file()}
        uncommitted, missing = files - refs - garbage, refs - files
        if missing:
            problems.append(f"{len(missing)} referenced blobs missing: {sorted(missing)[:3]}")
            lost += len(missing)
        fsck = subprocess.run([args.bin, "fsck", "--data-dir", str(shared), "--metadata-url", url],
                              capture_output=True, text=True, timeout=300)
        fsck_clean = fsck.returncode == 0 and "fsck: no problems" in fsck.stdout
        if not fsck_clean:
            problems.append(f"fsck exit {fsck.returncode}: {fsck.stdout.strip()[-1500:]} {fsck.stderr.strip()[-500:]}")
        error_lines = [f"{g.log.name}: {line}" for g in gateways for line in g.log.read_text(errors="replace").splitlines()
                       if ERROR_LINE.search(line)]
        problems += [f"logged: {line[:300]}" for line in error_lines[:10]]
        temporaries = list((shared / "tmp").iterdir())
        return dict(acked=acked, verified=verified, lost=lost, dropped=dropped, logs=[g.log for g in gateways],
                    fsck_clean=fsck_clean, survivor_errors=len(survivor_errors),
                    summary=f"gateways: {len(gateways)}, kills per gateway: {killed}; survivor errors: {len(survivor_errors)}; "
                            f"error lines logged: {len(error_lines)}; missing blobs: {len(missing)}; "
                            f"uncommitted blobs left by kills: {len(uncommitted)}, temporaries left: {len(temporaries)} "
                            f"(both removed by fsck --repair or a start an hour later); "
                            f"fsck: {'clean' if fsck_clean else 'PROBLEMS'}")
    finally:
        subprocess.run(["bash", str(THROWAWAY_POSTGRES), "stop", pg_dir], timeout=120)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kills", type=int, default=50)
    ap.add_argument("--writers", type=int, default=None, help="writer processes (default 4; 2 per gateway with --cluster)")
    ap.add_argument("--bin", default=os.environ.get("TESSERA_BIN", str(REPO / ".build/release/tessera")))
    ap.add_argument("--cluster", type=int, default=0, metavar="N", help="N gateways over PostgreSQL instead of one daemon on SQLite")
    ap.add_argument("--self-check", action="store_true", help="drop an acknowledged write and a blob; pass only if both are caught")
    ap.add_argument("--seed", type=int, default=1234, help="seed of the kill schedule")
    args = ap.parse_args()
    if args.writers is None:
        args.writers = 2 * args.cluster if args.cluster else 4
    if args.cluster == 1 or args.cluster < 0:
        ap.error("--cluster needs at least 2 gateways")

    tmp = Path(tempfile.mkdtemp(prefix="tessera-crash-"))
    problems: list[str] = []
    r = (cluster if args.cluster else single)(args, tmp, problems)

    print(f"kills survived: {args.kills}")
    print(f"writes acknowledged: {r['acked']}")
    print(f"writes verified: {r['verified']}")
    print(f"lost: {r['lost']}")
    print(r["summary"])
    for p in problems[:30]:
        print("PROBLEM:", p)
    if args.self_check:
        key, blob = r["dropped"]
        caught = {"the dropped key reported lost": any(p.startswith(f"{key}: state None") for p in problems),
                  "the removed blob reported missing": any("referenced blobs missing" in p and blob in p for p in problems)}
        if args.cluster:
            caught["fsck failed"] = not r["fsck_clean"]
            caught["requests to a gateway killed unannounced counted as survivor errors"] = r["survivor_errors"] > 0
        for what, ok in caught.items():
            print(f"self-check: {what}: {'yes' if ok else 'NO'}")
        if not all(caught.values()):
            print(f"self-check FAILED: the harness missed a fault it was given; logs: {[str(l) for l in r['logs']]}")
            sys.exit(1)
        shutil.rmtree(tmp, ignore_errors=True)
        print("crashtest self-check: 1 passed, 0 failed")
        return
    if problems:
        print(f"logs: {[str(l) for l in r['logs']]}")
        sys.exit(1)
    shutil.rmtree(tmp, ignore_errors=True)
    print("crashtest: 1 passed, 0 failed")


if __name__ == "__main__":
    main()
