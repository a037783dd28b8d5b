#!/usr/bin/env python3
"""Crash-consistency harness: concurrent writers, kill -9 at random moments, restart, verify.

Writers (Tests/crash/writers.py, shared with powercut.py: separate processes, each owning its keys,
buckets and task files) drive every operation that changes state through S3, the Worker API and the
task API, recording each as acknowledged, refused or in doubt. The daemon is killed with SIGKILL at
random moments and restarted. At the end:
  - every acknowledged write is checked on its own (writers.py: bytes, ETag, Content-Type, user
    metadata; deletes absent; uploads, buckets, task files); a failed read is an error, never "absent";
  - listings agree with reads;
  - no blob file is unreferenced and no referenced blob is missing (after the start-up sweep);
  - no temporary survives the start-up sweep (single daemon);
  - SQLite's integrity_check says ok.
Prints writes acknowledged (from the writers' journals), checks passed and lost (from the checks
themselves: verified + lost = checks made); lost must be 0.

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
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import writers  # noqa: E402
from writers import BUCKET, Daemon, free_ports, make_client  # noqa: E402

REPO = Path(__file__).resolve().parent.parent.parent
THROWAWAY_POSTGRES = REPO / "Tests" / "postgres" / "throwaway-postgres.sh"
PSQL = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")) / "psql"


def create_crash_bucket(port: int):
    s3 = make_client(port)
    try:
        s3.create_bucket(Bucket=BUCKET)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass  # --worker-bucket made it


def sabotage(s3, journals, blob_dir: Path, referenced_blobs) -> tuple[str, str]:
    """--self-check: deletes one key whose last write was an acknowledged write of an object (nothing in
    doubt after it) and removes one referenced blob file behind the harness's back; returns (key, blob)."""
    victim_key = None
    for j in journals:
        for item, entries in sorted(j.histories.items()):
            if item.startswith("obj:") and entries and entries[-1][1] is True and entries[-1][2] is not None:
                victim_key = item[4:]
                break
        if victim_key:
            break
    if victim_key is None:
        raise SystemExit("self-check: no key with an acknowledged last write to drop (run longer)")
    s3.delete_object(Bucket=BUCKET, Key=victim_key)
    files = {p.name: p for p in blob_dir.rglob("*") if p.is_file()}
    blob = sorted(set(files) & referenced_blobs())[0]
    files[blob].unlink()
    print(f"self-check: dropped the acknowledged key {victim_key} and removed the referenced blob {blob}")
    return victim_key, blob


def listing(s3) -> list[tuple[str, str]]:
    return [(o["Key"], o["ETag"]) for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
            for o in page.get("Contents", [])]


def single(args, tmp: Path, problems: list[str]) -> dict:
    """One daemon on SQLite, killed and restarted --kills times."""
    daemon = Daemon(args.bin, tmp / "data", free_ports(), tmp / "daemon.log")
    daemon.start()
    create_crash_bucket(daemon.port)

    def kill_one(rnd, deaths):
        deaths[0] += 1
        daemon.kill9()
        time.sleep(rnd.uniform(0.0, 0.3))
        daemon.start()
        deaths[0] += 1

    journals = writers.run_writers(args.writers, [daemon.ports], args.kills, args.seed, kill_one)
    problems += [v for j in journals for v in j.violations]
    # Final restart: the start-up sweep runs, then verification.
    daemon.kill9()
    daemon.start()
    ep = writers.Endpoint(daemon.ports)

    def referenced() -> set[str]:
        db = sqlite3.connect(tmp / "data" / "metadata.sqlite")
        try:
            return {r[0] for r in db.execute("SELECT blob FROM segments WHERE data IS NULL UNION SELECT blob FROM parts")}
        finally:
            db.close()

    dropped = sabotage(ep.s3, journals, tmp / "data" / "blobs", referenced) if args.self_check else None
    acked, verified, lost = writers.verify(ep, journals, problems)
    daemon.stop()
    temporaries = sorted(p.name for p in (tmp / "data" / "tmp").iterdir())

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
    if temporaries:
        problems.append(f"{len(temporaries)} temporaries survived the start-up sweep: {temporaries[:5]}")
    return dict(acked=acked, verified=verified, lost=lost, dropped=dropped, logs=[daemon.log], ops=writers.op_counts(journals),
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
        gateways = [Daemon(args.bin, shared, free_ports(), tmp / f"gateway{g + 1}.log", "--metadata-url", url)
                    for g in range(args.cluster)]
        for g in gateways:
            g.start()
        create_crash_bucket(gateways[0].port)
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

        journals = writers.run_writers(args.writers, [g.ports for g in gateways], args.kills, args.seed, kill_one)
        problems += [v for j in journals for v in j.violations]
        survivor_errors = [e for j in journals for e in j.survivor_errors]
        problems += [f"survivor error: {e}" for e in survivor_errors[:10]]
        ep = writers.Endpoint(gateways[0].ports)
        s3 = ep.s3

        def referenced() -> set[str]:
            return set(psql(url, "SELECT blob FROM segments WHERE data IS NULL AND blob <> '' UNION SELECT blob FROM parts"))

        dropped = sabotage(s3, journals, shared / "blobs", referenced) if args.self_check else None
        acked, verified, lost = writers.verify(ep, journals, problems)
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
                    ops=writers.op_counts(journals), fsck_clean=fsck_clean, survivor_errors=len(survivor_errors),
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
    print(f"acknowledged by operation: {r['ops']}")
    print(r["summary"])
    for p in problems[:30]:
        print("PROBLEM:", p)
    if args.self_check:
        key, blob = r["dropped"]
        caught = {"the dropped key reported lost": r["lost"] > 0 and any(
                      p.startswith(f"obj:{key}: acknowledged") and "lost: state None" in p for p in problems),
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
    if problems or r["lost"]:
        print(f"logs: {[str(l) for l in r['logs']]}")
        sys.exit(1)
    shutil.rmtree(tmp, ignore_errors=True)
    print("crashtest: 1 passed, 0 failed")


if __name__ == "__main__":
    main()
