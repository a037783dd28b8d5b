#!/usr/bin/env python3
"""Power-cut harness: the daemon's data directory on lossyfs (a FUSE file system that drops, on
command, everything not yet made durable by fsync), concurrent writers, N power cuts, verification.

The data directory (blob files, metadata.sqlite and its WAL) is the root of a lossyfs mount
(Tests/crash/lossyfs.py, run as root with the system Python's pyfuse3). Writers (Tests/crash/writers.py)
drive every operation that changes state, through S3, the Worker API and the task API. At N random
moments the daemon is killed with SIGKILL and lossyfs makes a power cut: every file's data not covered
by an fsync/fdatasync and every directory entry not covered by an fsync of its directory are dropped.
The daemon restarts on what survived (the last cut comes as the writers stop). Then every acknowledged
write is checked on its own (bytes, ETag, Content-Type, user metadata; deleted keys absent; uploads,
buckets and task files), listings agree with reads, no temporary survives the start-up sweep, the daemon
exits 0 on SIGTERM and `tessera fsck --min-age 0` is clean.

Last line: `powercut: A acknowledged, V verified, L lost` (V and L count the checks that passed and
failed; A the writers' acknowledged writes). Exits 1 on any loss or problem; fails loudly (exit 2) if
lossyfs cannot mount.

Usage: powercut.py --bin BIN --cuts N [--writers N] [--seed N] [--keep] [-- extra serve flags]
  e.g. powercut.py --bin .build/release/tessera --cuts 50
       powercut.py --bin .build/release/tessera --cuts 3 -- --no-fsync     (must report losses)
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import writers  # noqa: E402

REPO = Path(__file__).resolve().parent.parent.parent
LOSSYFS = Path(__file__).resolve().parent / "lossyfs.py"
# pyfuse3 comes from Debian (python3-pyfuse3): the system interpreter, whatever python3 runs the harness.
LOSSYFS_PYTHON = os.environ.get("LOSSYFS_PYTHON", "/usr/bin/python3")


class LossyMount:
    def __init__(self, tmp: Path):
        self.store, self.mountpoint, self.status, self.log = tmp / "store", tmp / "mnt", tmp / "lossyfs.status", tmp / "lossyfs.log"
        self.store.mkdir()
        self.mountpoint.mkdir()
        self.proc: subprocess.Popen | None = None
        self.cuts: list[str] = []

    def mount(self):
        if os.geteuid() != 0 or not os.path.exists("/dev/fuse"):
            raise SystemExit(f"powercut: lossyfs needs root and /dev/fuse (euid {os.geteuid()}, /dev/fuse "
                             f"{'present' if os.path.exists('/dev/fuse') else 'absent'}): cannot run")
        self.proc = subprocess.Popen([LOSSYFS_PYTHON, str(LOSSYFS), str(self.store), str(self.mountpoint), str(self.status)],
                                     stdout=subprocess.DEVNULL, stderr=open(self.log, "ab"))
        deadline = time.time() + 20
        while not (self.status.exists() and os.path.ismount(self.mountpoint)):
            if self.proc.poll() is not None or time.time() > deadline:
                self.proc.kill()
                raise SystemExit(f"powercut: lossyfs did not mount ({LOSSYFS_PYTHON} {LOSSYFS}; needs python3-pyfuse3 "
                                 f"and fuse3): {self.log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.05)

    def cut(self):
        """The power cut: returns once lossyfs reports it done."""
        before = len(self.status.read_text().splitlines())
        self.proc.send_signal(signal.SIGUSR1)
        deadline = time.time() + 120
        while len(lines := self.status.read_text().splitlines()) == before:
            if self.proc.poll() is not None or time.time() > deadline:
                raise SystemExit(f"powercut: lossyfs did not finish a cut: {self.log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.02)
        self.cuts.append(lines[-1])

    def unmount(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if os.path.ismount(self.mountpoint):
            subprocess.run(["fusermount3", "-u", "-z", str(self.mountpoint)], check=False)


def run(args, tmp: Path, problems: list[str]) -> dict:
    fs = LossyMount(tmp)
    fs.mount()
    daemon = writers.Daemon(args.bin, fs.mountpoint, writers.free_ports(), tmp / "daemon.log", *args.serve_flags)
    try:
        daemon.start()
        s3 = writers.make_client(daemon.port)
        try:
            s3.create_bucket(Bucket=writers.BUCKET)
        except s3.exceptions.BucketAlreadyOwnedByYou:
            pass  # --worker-bucket made it
        done = [0]

        def power_cut(rnd, deaths):
            done[0] += 1
            deaths[0] += 1
            daemon.kill9()
            time.sleep(0.2)  # requests the killed process had queued reach lossyfs before the cut
            fs.cut()
            if done[0] < args.cuts:
                time.sleep(rnd.uniform(0.0, 0.3))
                if (failed := daemon.try_start()) is not None:
                    problems.append(f"after cut {done[0]}: {failed}")
                    return False  # the writers stop; every check below then fails (no daemon to read from)
                deaths[0] += 1

        journals = writers.run_writers(args.writers, [daemon.ports], args.cuts, args.seed, power_cut, pause=(0.5, 3.0))
        if not daemon.running() and (failed := daemon.try_start()) is not None:  # the start-up sweep runs, then verification
            problems.append(f"after the last cut: {failed}")
        ep = writers.Endpoint(daemon.ports)
        problems += [v for j in journals for v in j.violations]
        acked, verified, lost = writers.verify(ep, journals, problems)
        try:
            ep.s3.head_bucket(Bucket=writers.BUCKET)
        except Exception as e:
            problems.append(f"bucket {writers.BUCKET} (created and acknowledged before the first cut) is gone: {e}")
        if daemon.running():
            daemon.stop()
        temporaries = sorted(p.name for p in (fs.mountpoint / "tmp").iterdir()) if (fs.mountpoint / "tmp").exists() else []
        if temporaries:
            problems.append(f"{len(temporaries)} temporaries survived the start-up sweep: {temporaries[:5]}")
        fsck = subprocess.run([args.bin, "fsck", "--data-dir", str(fs.mountpoint), "--min-age", "0"],
                              capture_output=True, text=True, timeout=600)
        fsck_clean = fsck.returncode == 0 and "fsck: no problems" in fsck.stdout
        if not fsck_clean:
            problems.append(f"fsck exit {fsck.returncode}: {fsck.stdout.strip()[-1500:]} {fsck.stderr.strip()[-500:]}")
        return dict(acked=acked, verified=verified, lost=lost, ops=writers.op_counts(journals), cuts=fs.cuts,
                    summary=f"temporaries left: {len(temporaries)}; fsck: {'clean' if fsck_clean else 'PROBLEMS'}")
    finally:
        if daemon.running():
            daemon.kill9()
        fs.unmount()


def main():
    argv = sys.argv[1:]
    serve_flags = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default=os.environ.get("TESSERA_BIN", str(REPO / ".build/release/tessera")))
    ap.add_argument("--cuts", type=int, default=50)
    ap.add_argument("--writers", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1234, help="seed of the cut schedule")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, lossyfs store)")
    args = ap.parse_args(argv)
    args.serve_flags = serve_flags
    if args.cuts < 1:
        ap.error("--cuts must be at least 1")

    tmp = Path(tempfile.mkdtemp(prefix="tessera-powercut-"))
    problems: list[str] = []
    try:
        r = run(args, tmp, problems)
    except SystemExit as e:
        print(f"powercut: FAILED to run: {e}; files in {tmp}")
        sys.exit(2)
    for line in r["cuts"]:
        print("lossyfs", line)
    print(f"serve flags: {' '.join(args.serve_flags) or '(none)'}")
    print(f"acknowledged by operation: {r['ops']}")
    print(r["summary"])
    for p in problems[:30]:
        print("PROBLEM:", p)
    if len(problems) > 30:
        print(f"... and {len(problems) - 30} more problems")
    if problems or r["lost"]:
        print(f"logs: {tmp}/daemon.log, {tmp}/lossyfs.log")
    elif not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"powercut: {r['acked']} acknowledged, {r['verified']} verified, {r['lost']} lost")
    sys.exit(1 if problems or r["lost"] else 0)


if __name__ == "__main__":
    main()
