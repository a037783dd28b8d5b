#!/usr/bin/env python3
"""`make bench`: Tessera's performance figures, each next to a reference measured in the same run.

Starts the release daemon (and nginx) on 127.0.0.1 only, with everything under one temporary directory,
prints one figure per line as `name value unit` and, for each bar, a line `name ratio ratio (bar >= x)
PASS|FAIL` or `name value unit (bar < x) PASS|FAIL`, then a summary. Stops by itself (a global watchdog), and
removes its temporary directories and every process it started, whatever happens.

What it measures, and how (docs/performance.md has the table):
- Every figure is the median of several runs, printed with their min and max; nothing is a best-of.
  Load figures are `wrk -t1 -c16 -d5s`, 5 runs each, and their nginx reference is measured right before
  and after each run (nginx, subject, nginx, subject, ..., nginx): a ratio divides the subject's median by
  the median of the nginx runs next to its runs.
- Small requests have the shape real clients give them (bench/s3shapes.py): the headers boto3's default
  client sends for get_object and put_object (Authorization, X-Amz-Date, x-amz-content-sha256,
  amz-sdk-invocation-id, checksums, ...), boto3's default presigned GET URL (SigV2) and its s3v4 one, curl's
  headers for those URLs, and a Chromium fetch() of a presigned URL. They are taken from boto3 and curl as
  installed, and the bench's own fast signer is checked byte for byte against botocore before any is sent.
- Each of those requests is signed afresh and sent once (bench/pool.lua walks a file of them): no two
  requests of a figure carry the same signature or URL, so no cache of verified signatures stands in for
  verifying one. Every response must be a 200 (of 4 KiB for a GET), or the figure is an error. The old
  figure of one presigned URL repeated is printed beside them, as information.

Environment:
  TESSERA_BIN    the daemon binary (default .build/release/tessera, built by `make bench`)
  BENCH_FULL=1   CompleteMultipartUpload with 10,000 parts of about 1 MiB (5 x 10 GiB) instead of 64 KiB
  BENCH_TMPDIR   where the temporary directory goes (default: the system's; it is also the data disk)
  BENCH_TIMEOUT  watchdog in seconds (default 2400, 5400 with BENCH_FULL)
  BENCH_ONLY     comma-separated step names to run (default: all); see STEPS at the bottom

wrk's request files go to /dev/shm when it is writable (memory, so that writing them does not load the
data disk), else to the temporary directory.

Exit status: 0 when every figure was measured (whatever the bars say), 1 when one could not be.
See docs/performance.md.
"""
from __future__ import annotations

import base64
import hashlib
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from urllib.parse import urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import s3shapes  # noqa: E402  (bench/s3shapes.py)

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30
HOST = "127.0.0.1"
REGION = "us-east-1"
AK, SK = "benchaccesskey", "benchsecretkey-0123456789abcdef"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("TESSERA_BIN") or os.path.join(ROOT, ".build", "release", "tessera")
FLOOR_BIN = os.environ.get("TESSERA_FLOOR_BIN") or os.path.join(os.path.dirname(BIN), "tessera-framework-floor")
FULL = os.environ.get("BENCH_FULL") == "1"
EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"

# ---------------------------------------------------------------------------------------------
# Output

FIGURES: list[str] = []   # every printed line, repeated in the summary
BARS: list[tuple[str, bool]] = []
ERRORS: list[str] = []
REF: dict[str, float] = {}  # raw values of references and subjects (bytes/s, ops/s, seconds)


def emit(line: str) -> None:
    FIGURES.append(line)
    print(line, flush=True)


def note(msg: str) -> None:
    print(f"# {msg}", flush=True)


def figure(name: str, value: float, unit: str, extra: str = "") -> None:
    emit(f"{name} {fmt(value)} {unit}{('  ' + extra) if extra else ''}")


def fmt(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    if abs(v) >= 1:
        return f"{v:.2f}"
    return f"{v:.3g}"


def ratio_bar(name: str, value: float, reference: float, bar: float, extra: str = "") -> None:
    r = value / reference
    ok = r >= bar
    BARS.append((name, ok))
    emit(f"{name} {r:.2f} ratio (bar >= {bar:g}) {'PASS' if ok else 'FAIL'}{('  ' + extra) if extra else ''}")


def max_bar(name: str, value: float, unit: str, bar: float, extra: str = "") -> None:
    ok = value < bar
    BARS.append((name, ok))
    emit(f"{name} {fmt(value)} {unit} (bar < {bar:g}) {'PASS' if ok else 'FAIL'}{('  ' + extra) if extra else ''}")


def mibps(bytes_per_s: float) -> float:
    return bytes_per_s / MiB


# ---------------------------------------------------------------------------------------------
# Processes and temporary files: everything started is registered and ended in cleanup().

PROCS: list[subprocess.Popen] = []
TMP: str | None = None
SHM: str | None = None  # wrk's request files: /dev/shm when writable, else under TMP


class Watchdog(Exception):
    pass


def _on_alarm(signum, frame):
    raise Watchdog(f"watchdog: the bench ran longer than {TIMEOUT} s")


def _on_signal(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def spawn(cmd: list[str], log: str, **kw) -> subprocess.Popen:
    f = open(log, "ab")
    p = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, **kw)
    f.close()
    PROCS.append(p)
    return p


def end(p: subprocess.Popen, sig: int = signal.SIGTERM, grace: float = 20.0) -> None:
    """Ends one process this script started, by its id: `sig`, then SIGKILL after `grace` seconds."""
    if p.poll() is None:
        try:
            p.send_signal(sig)
            p.wait(grace)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(10)
        except ProcessLookupError:
            pass
    if p in PROCS:
        PROCS.remove(p)


def cleanup() -> None:
    signal.alarm(0)
    for p in list(PROCS):
        try:
            end(p, grace=10.0)
        except Exception as e:  # keep cleaning
            print(f"# cleanup: {e}", file=sys.stderr)
    for d in (SHM, TMP):
        if d and os.path.isdir(d):
            shutil.rmtree(d, ignore_errors=True)


def run(cmd: list[str], timeout: float, check: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if check and r.returncode != 0:
        raise RuntimeError(f"{cmd[0]} exited {r.returncode}: {(r.stderr or r.stdout).strip()[:400]}")
    return r


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, timeout: float, log: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited {proc.returncode} at start: {tail(log)}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{proc.args[0]} did not listen on {HOST}:{port} within {timeout} s: {tail(log)}")


def tail(path: str, n: int = 600) -> str:
    try:
        with open(path, "rb") as f:
            return f.read()[-n:].decode(errors="replace").strip()
    except OSError:
        return ""


def loopback(url: str) -> str:
    """Every request of this bench goes to 127.0.0.1: refuse anything else."""
    if urlsplit(url).hostname != HOST:
        raise RuntimeError(f"refusing a non-loopback target: {url}")
    return url


# ---------------------------------------------------------------------------------------------
# Tools

def ensure_tools() -> None:
    missing = [pkg for tool, pkg in (("nginx", "nginx-light"), ("wrk", "wrk"), ("curl", "curl"), ("openssl", "openssl"))
               if not shutil.which(tool) and not os.path.exists(f"/usr/sbin/{tool}")]
    if missing:
        if os.geteuid() != 0 or not shutil.which("apt-get"):
            raise RuntimeError(f"missing {missing} and cannot apt-get install them (not root or no apt-get)")
        note(f"installing {' '.join(missing)} from Debian")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        cmd = ["apt-get", "install", "-y", "--no-install-recommends", *missing]
        r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
        if r.returncode != 0:
            subprocess.run(["apt-get", "update"], capture_output=True, env=env, timeout=600)
            r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
            if r.returncode != 0 and "nginx-light" in missing:  # some releases only ship `nginx`
                cmd = [("nginx" if c == "nginx-light" else c) for c in cmd]
                r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
        if r.returncode != 0:
            raise RuntimeError(f"apt-get install failed: {r.stderr.strip()[-400:]}")
    try:
        import awscrt  # noqa: F401
    except ImportError:
        note("awscrt not importable (pip install awscrt): the CompleteMultipartUpload steps, whose parts carry "
             "CRC64NVME checksums as botocore computes them with awscrt, will fail")
    if not os.access(BIN, os.X_OK):
        raise RuntimeError(f"no daemon binary at {BIN}: run `make bench` (it builds release first)")
    if not os.access(FLOOR_BIN, os.X_OK):
        raise RuntimeError(f"no framework floor at {FLOOR_BIN}: run `make bench` (it builds it)")


def nginx_bin() -> str:
    return shutil.which("nginx") or "/usr/sbin/nginx"


# ---------------------------------------------------------------------------------------------
# S3 clients

def s3client(endpoint: str, pool: int = 16):
    import boto3
    from botocore.config import Config
    loopback(endpoint)
    return boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id=AK, aws_secret_access_key=SK, region_name=REGION,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, max_pool_connections=pool,
                      connect_timeout=10, read_timeout=300, retries={"mode": "standard", "max_attempts": 3},
                      # plain requests: no client-side CRC by default (botocore >= 1.36 adds one otherwise)
                      request_checksum_calculation="when_required", response_checksum_validation="when_required"))


def sign_headers(method: str, url: str, payload_sha256: str, headers: dict[str, str] | None = None) -> dict[str, str]:
    """SigV4 headers for a request whose body hash was computed beforehand (so no hashing is timed)."""
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    class PrecomputedBodyHash(S3SigV4Auth):
        def payload(self, request):
            return payload_sha256

    req = AWSRequest(method=method, url=loopback(url), headers=dict(headers or {}))
    PrecomputedBodyHash(Credentials(AK, SK), "s3", REGION).add_auth(req)
    return {k: v for k, v in req.headers.items() if k.lower() != "host"}


class Daemon:
    """One tessera serve on 127.0.0.1:<free port> with its own data dir."""

    def __init__(self, name: str, data_dir: str, *flags: str):
        self.name, self.data_dir, self.flags = name, data_dir, flags
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.log = os.path.join(TMP, f"{name}.log")

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> "Daemon":
        self.port = free_port()
        self.proc = spawn([BIN, "serve", "--listen", f"{HOST}:{self.port}", "--data-dir", self.data_dir,
                           "--access-key", AK, "--secret-key", SK, *self.flags], self.log)
        wait_port(self.port, self.proc, 60, self.log)
        return self

    def stop(self) -> None:
        if self.proc:
            end(self.proc, signal.SIGTERM, 60)
            if self.proc.returncode not in (0, None):
                note(f"{self.name} exited {self.proc.returncode}: {tail(self.log, 300)}")
            self.proc = None

    def status(self, field: str) -> int:
        """A /proc/<pid>/status field in bytes (VmHWM, VmRSS)."""
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
        raise RuntimeError(f"no {field} in /proc/{self.proc.pid}/status")


# ---------------------------------------------------------------------------------------------
# Load generators

def curl(url: str, *args: str, timeout: float = 600, sink: bool = False) -> tuple[int, float, str]:
    """One curl transfer: (HTTP status, time_total in s, response body unless `sink` or -o)."""
    loopback(url)
    fmt_ = "\n%{http_code} %{time_total}"
    out = ["-o", "/dev/null"] if sink else []
    r = run(["curl", "-sS", "--max-time", str(int(timeout)), *out, "-w", fmt_, *args, url], timeout + 30)
    body, _, last = r.stdout.rpartition("\n")
    code, t = last.split()
    return int(code), float(t), body


def curl_ok(url: str, *args: str, timeout: float = 600, sink: bool = False) -> float:
    code, t, body = curl(url, *args, timeout=timeout, sink=sink)
    if not 200 <= code < 300:
        raise RuntimeError(f"HTTP {code} from {urlsplit(url).path}: {body[:300]}")
    return t


class Sample:
    """Several measurements of one figure: the median is the figure; min and max are printed beside it."""

    def __init__(self, values: list[float]):
        if not values:
            raise RuntimeError("no measurement")
        self.values = values

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def spread(self, unit: str = "", scale=lambda v: v, what: str = "runs") -> str:
        return (f"median of {len(self.values)} {what}: min {fmt(scale(min(self.values)))}, "
                f"max {fmt(scale(max(self.values)))}{(' ' + unit) if unit else ''}")


def median_of(n: int, fn) -> Sample:
    """fn() n times: a Sample of its results."""
    return Sample([fn() for _ in range(n)])


def cpu_time(pid: int) -> float:
    """CPU seconds (user + system) used so far by process `pid` and its direct children (nginx workers)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry) == pid or int(fields[1]) == pid:  # fields[1]: ppid; [11], [12]: utime, stime
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def with_cpu(pid: int, fn):
    """(fn(), CPU seconds process `pid` spent meanwhile)."""
    before = cpu_time(pid)
    r = fn()
    return r, cpu_time(pid) - before


# wrk: the load generator for small requests, always with these settings, subject and reference alike.
WRK_THREADS, WRK_CONNS, WRK_SECONDS, WRK_RUNS = 1, 16, 5, 5
POOL_LUA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pool.lua")


class Pool:
    """The requests one figure sends through bench/pool.lua.

    Either `fixed` records, which wrk cycles through (the nginx references, the one-URL figure), or records
    made on demand by `make(i) -> (head, end, signature)`, each sent once: before a run the pool is topped up
    to `cap` unsent records (by default 5 s at 80,000 req/s; twice the most a run has taken if that is
    more), written to a file, and
    after the run the records wrk took are dropped. Every signature made is checked to be new. A request on
    the wire is `head`, the first `tail_len` bytes of `tail` (the shared part of a PUT body) and `end`."""

    CAP = 80_000 * WRK_SECONDS

    def __init__(self, name: str, *, make=None, fixed: list[tuple[bytes, bytes]] | None = None,
                 tail: bytes = b"", body_length: int = -1, cap: int = CAP, statuses: str = "200"):
        if (make is None) == (fixed is None):
            raise ValueError("a pool is made or fixed")
        self.name, self.make, self.body_length, self.cap, self.statuses = name, make, body_length, cap, statuses
        self.tail_len = len(tail)
        self.tail_path = "-"
        if tail:
            self.tail_path = os.path.join(SHM, f"tail-{name}.bin")
            with open(self.tail_path, "wb") as f:
                f.write(tail)
        self.path = os.path.join(SHM, f"pool-{name}.bin")
        self.pending: list[bytes] = [self._record(h, e) for h, e in fixed] if fixed else []
        self.made = 0              # records made so far
        self.signatures: set[str] = set()
        self.make_seconds = 0.0
        self.max_taken = 0
        self.unique_sent = 0       # records wrk took and wrote, over all runs (each once)
        self.cycled = False
        self.n = 0

    def _record(self, head: bytes, end: bytes) -> bytes:
        return b"%08d%08d%08d" % (len(head), self.tail_len, len(end)) + head + end

    def prepare(self) -> str:
        """Writes the records of the next run; returns the file's path."""
        if self.make:
            cap = max(self.cap, 2 * self.max_taken)
            need = cap - len(self.pending)
            if need > 0:
                t0 = time.perf_counter()
                for records, signatures in make_records(self, self.made, self.made + need):
                    for sig in signatures:
                        if sig in self.signatures:
                            raise RuntimeError(f"{self.name}: signature {sig} made twice")
                        self.signatures.add(sig)
                    self.pending += records
                self.made += need
                self.make_seconds += time.perf_counter() - t0
            records = self.pending[:cap]
        else:
            records = self.pending
        with open(self.path, "wb") as f:
            f.write(b"".join(records))
        self.n = len(records)
        return self.path

    def taken(self, taken: int) -> None:
        """After a run: wrk took `taken` records (one of them for its check of the script, never sent)."""
        self.max_taken = max(self.max_taken, taken)
        if self.make:
            if taken > self.n:
                self.cycled = True
            self.unique_sent += min(taken, self.n) - 1
            del self.pending[:min(taken, self.n)]
        os.remove(self.path)

    def unique_note(self) -> str:
        if self.cycled:
            return "NOT all unique: a run took more requests than its file held and started over"
        return f"{self.unique_sent:,} requests, each signed afresh and sent once"


_MAKING: Pool | None = None   # the pool whose records the forked workers of make_records are making


def _worker_init() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the pool ends its workers with SIGTERM: no traceback
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _make_chunk(bounds: tuple[int, int]) -> tuple[list[bytes], list[str]]:
    s3shapes.after_fork()
    pool = _MAKING
    records, signatures = [], []
    for i in range(*bounds):
        head, end, sig = pool.make(i)
        records.append(pool._record(head, end))
        signatures.append(sig)
    return records, signatures


def make_records(pool: Pool, start: int, stop: int) -> list[tuple[list[bytes], list[str]]]:
    """Records start..stop-1 of `pool`, made by one forked worker per core (Python signs ~10 us a
    request; the machine has nothing else to do between runs), in order."""
    global _MAKING
    step_ = 25_000
    chunks = [(a, min(a + step_, stop)) for a in range(start, stop, step_)]
    workers = min(os.cpu_count() or 1, len(chunks))
    _MAKING = pool
    try:
        if workers < 2:
            return [_make_chunk(ch) for ch in chunks]
        import multiprocessing
        with multiprocessing.get_context("fork").Pool(workers, initializer=_worker_init) as p:
            return p.map(_make_chunk, chunks, chunksize=1)
    finally:
        _MAKING = None


class WrkRun:
    def __init__(self, name: str, rate: float, requests: int, cpu: float, socket_errors: str):
        self.name, self.rate, self.requests, self.cpu, self.socket_errors = name, rate, requests, cpu, socket_errors


def wrk_pool(port: int, pool: Pool, pid: int) -> WrkRun:
    """One `wrk -t1 -c16 -d5s` run of `pool` against 127.0.0.1:port, and the CPU time process `pid` (and
    its children) spent meanwhile. Fails when any response was not a 200 (of `pool.body_length` bytes)."""
    path = pool.prepare()
    cmd = ["wrk", f"-t{WRK_THREADS}", f"-c{WRK_CONNS}", f"-d{WRK_SECONDS}s", "-s", POOL_LUA,
           loopback(f"http://{HOST}:{port}/"), "--", path, pool.tail_path, str(pool.body_length), pool.statuses]
    before = cpu_time(pid)
    try:
        r = run(cmd, WRK_SECONDS + 120)
    finally:
        cpu = cpu_time(pid) - before
    out = r.stdout
    m = re.search(r"Requests/sec:\s*([\d.]+)", out)
    n = re.search(r"(\d+) requests in", out)
    p = re.search(r"pool: taken=(\d+) records=(\d+) bad=(\d+)", out)
    if not (m and n and p):
        raise RuntimeError(f"cannot read wrk's output: {out[-600:]} {r.stderr[-300:]}")
    pool.taken(int(p.group(1)))
    requests, bad = int(n.group(1)), int(p.group(3))
    if bad:
        first = out[p.end():].split("\n", 1)[1] if "\n" in out[p.end():] else ""
        want = f" of {pool.body_length} bytes" if pool.body_length >= 0 else ""
        raise RuntimeError(f"{pool.name}: {bad} of {requests} responses were not a {pool.statuses}{want}; the first:\n"
                           f"{first.rstrip()[:1200]}")
    errs = re.search(r"Socket errors:.*", out)
    return WrkRun(pool.name, float(m.group(1)), requests, cpu, errs.group(0) if errs else "")


class Subject:
    """A figure measured in an interleaved wrk series: its pool, where it goes, whose CPU to count."""

    def __init__(self, name: str, pool: Pool, port: int, pid: int):
        self.name, self.pool, self.port, self.pid = name, pool, port, pid
        self.runs: list[WrkRun] = []
        self.refs: list[WrkRun] = []   # the reference runs right before and after each of its runs

    @property
    def sample(self) -> Sample:
        return Sample([r.rate for r in self.runs])

    @property
    def ref_sample(self) -> Sample:
        return Sample([r.rate for r in self.refs])

    def cpu_us(self) -> float:
        return sum(r.cpu for r in self.runs) / max(1, sum(r.requests for r in self.runs)) * 1e6

    def socket_errors(self) -> str:
        errs = [r.socket_errors for r in self.runs if r.socket_errors]
        return f"; wrk: {errs[0]}" + (f" (and {len(errs) - 1} more runs with errors)" if len(errs) > 1 else "") if errs else ""


def interleaved(ref: Subject, subjects: list[Subject], runs: int = WRK_RUNS) -> None:
    """ref, s1, ref, s2, ..., ref, sN, then again, `runs` times, and ref once more: every subject run has a
    reference run right before and right after it. Fills each subject's runs and refs, and ref.runs."""
    seq: list[WrkRun] = []
    kinds: list[Subject] = []

    def one(s: Subject) -> None:
        seq.append(wrk_pool(s.port, s.pool, s.pid))
        kinds.append(s)
        s.runs.append(seq[-1])

    for _ in range(runs):
        for s in subjects:
            one(ref)
            one(s)
    one(ref)
    for i, k in enumerate(kinds):
        if k is not ref:
            k.refs += [seq[i - 1], seq[i + 1]]


# ---------------------------------------------------------------------------------------------
# References

def md5_rate(seconds: int = 3) -> float:
    """One core's MD5 rate now (OpenSSL, 16 KiB blocks, for `seconds` of CPU time), in bytes/s."""
    r = run(["openssl", "speed", "-evp", "md5", "-bytes", "16384", "-seconds", str(seconds)], 120)
    m = re.search(r"^md5\s+([\d.]+)k\s*$", r.stdout, re.M | re.I)
    if not m:
        raise RuntimeError(f"cannot parse openssl speed: {r.stdout[-300:]}")
    return float(m.group(1)) * 1000


def ref_md5() -> None:
    """One core's MD5 rate at the start (3 s), in bytes/s: printed, and the cost line of the CPU figures.
    The 1 GiB PUT bars use their own MD5 runs, measured right before and after each PUT (`beside_md5`)."""
    REF["md5"] = md5_rate()
    figure("ref_md5_one_core", mibps(REF["md5"]), "MiB/s")
    # openssl speed divides by the CPU time it got; -elapsed divides by wall time. Their quotient is the
    # share of a core one busy thread gets right now: 1.0 on an idle machine, lower when others compete.
    r = run(["openssl", "speed", "-elapsed", "-evp", "md5", "-bytes", "16384", "-seconds", "3"], 120)
    m = re.search(r"^md5\s+([\d.]+)k\s*$", r.stdout, re.M | re.I)
    if m:
        figure("cpu_share_one_thread", float(m.group(1)) * 1000 / REF["md5"], "cores",
               "(informational: MD5 wall-clock rate / CPU-time rate; < 1 when other work competes)")


def ref_disk(data_dir: str) -> None:
    """The disk's durable small-file rate at the start (`disk_rate`), printed."""
    REF["disk"] = disk_rate(data_dir)
    figure("ref_disk_create_fsync_rename", REF["disk"], "ops/s")


def disk_rate(data_dir: str, seconds: float = 2.0) -> float:
    """create 4 KiB temp file + write + fsync + rename + fsync(dir), one thread, ~2 s: ops/s."""
    d = os.path.join(data_dir, "bench-fsync-probe")
    os.makedirs(d)
    data = os.urandom(4 * KiB)
    dfd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    n, start = 0, time.perf_counter()
    try:
        while True:
            tmp, final = os.path.join(d, f"{n}.tmp"), os.path.join(d, f"{n}.blob")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.rename(tmp, final)
            os.fsync(dfd)
            n += 1
            if time.perf_counter() - start >= seconds:
                break
        return n / (time.perf_counter() - start)
    finally:
        os.close(dfd)
        shutil.rmtree(d, ignore_errors=True)


def write_nginx_conf(d: str, http: str) -> str:
    """Writes `d`/nginx.conf: nginx in the foreground with its pid, logs and temporary files under `d`,
    and `http` inside its http block; returns the file's path."""
    user = "user root root;\n" if os.geteuid() == 0 else ""  # the temp dirs are 0700
    conf = os.path.join(d, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""{user}daemon off;
worker_processes auto;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
{http}}}
""")
    return conf


class Nginx:
    """nginx in the foreground with a temp config: sendfile, WebDAV PUT, unlimited bodies, 127.0.0.1 only."""

    def __init__(self, root: str):
        self.dir = os.path.join(TMP, "nginx")
        self.www = root
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Nginx":
        d = self.dir
        os.makedirs(os.path.join(d, "client_body"), exist_ok=True)
        conf = write_nginx_conf(d, f"""
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_max_body_size 0;
    server {{
        listen {HOST}:{self.port};
        root {self.www};
        location / {{ dav_methods PUT; create_full_put_path on; }}
    }}
""")
        log = os.path.join(d, "stdout.log")
        self.proc = spawn([nginx_bin(), "-p", d, "-c", conf, "-e", f"{d}/error.log"], log)
        wait_port(self.port, self.proc, 30, f"{d}/error.log")
        return self

    def url(self, name: str) -> str:
        return f"http://{HOST}:{self.port}/{name}"

    def stop(self) -> None:
        if self.proc:
            end(self.proc, signal.SIGTERM, 20)
            self.proc = None


class FrameworkFloor:
    """tessera-framework-floor (Sources/tessera-framework-floor): the daemon's HTTP/1 connection
    (GatewayServerChannel) answering every request with the same 4 KiB and doing nothing else. What a
    small GET costs in the framework alone, whatever Tessera does on top."""

    def __init__(self):
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.log = os.path.join(TMP, "framework-floor.log")

    def start(self) -> "FrameworkFloor":
        self.proc = spawn([FLOOR_BIN, str(self.port)], self.log)
        wait_port(self.port, self.proc, 30, self.log)
        return self

    def stop(self) -> None:
        if self.proc:
            end(self.proc, signal.SIGTERM, 20)
            self.proc = None

    def subject(self, name: str, pool: "Pool") -> "Subject":
        return Subject(name, pool, self.port, self.proc.pid)


def report_floor(floor: "Subject", subjects: list["Subject"], unit: str, what: str) -> None:
    """The floor's figure, its ratio to the nginx runs next to it, and each subject's share of it."""
    fs = floor.sample
    figure(floor.name, fs.median, unit, f"({fs.spread(unit, what='wrk runs')}; the daemon's HTTP/1 connection "
                                        f"alone: {what}; no routing, signature, store or access line)")
    figure(f"{floor.name}_vs_nginx", fs.median / floor.ref_sample.median, "ratio",
           f"(informational: the ceiling of any answer given through the framework; vs {fmt(floor.ref_sample.median)} "
           f"{unit}, the median of the {len(floor.refs)} nginx runs next to its runs)")
    for s in subjects:
        figure(f"{s.name}_vs_framework_floor", s.sample.median / fs.median, "ratio",
               "(informational: the share of the framework's own rate that the daemon keeps)")
    figure(f"{floor.name}_cpu", floor.cpu_us(), "cpu-us/req", "(informational: the framework floor's CPU per request)")


# ---------------------------------------------------------------------------------------------
# Figures against the main daemon (default flags: fsync on)

class Ctx:
    tmp: str
    big: str          # 1 GiB of random bytes
    www: str          # nginx root
    main_data: str    # the main daemon's data directory (the disk the durable figures are on)
    main: Daemon
    nginx: Nginx
    s3 = None
    nofsync: Daemon
    s3_nofsync = None
    bucket = "bench"
    _shapes = None

    @property
    def shapes(self) -> "s3shapes.Shapes":
        """The clients' request shapes, taken and checked against botocore once (bench/s3shapes.py)."""
        if self._shapes is None:
            self._shapes = s3shapes.Shapes(AK, SK, REGION, log=note)
        return self._shapes


LARGE_RUNS = 5   # runs of each 1 GiB transfer (the figure is their median)


def beside_md5(name: str, pid: int, transfer) -> tuple[Sample, Sample, float]:
    """LARGE_RUNS runs of `transfer()` (bytes/s), with one core's MD5 rate measured right before and after
    each (md5, transfer, md5, ..., md5: 1 s of OpenSSL each), as the issue's bench rule asks of every
    reference. (transfers, MD5 runs, CPU seconds process `pid` spent over the transfers)."""
    ours, ref, cpu = [], [md5_rate(1)], 0.0
    for _ in range(LARGE_RUNS):
        rate, dt = with_cpu(pid, transfer)
        ours.append(rate)
        cpu += dt
        ref.append(md5_rate(1))
    s, r = Sample(ours), Sample(ref)
    figure(f"ref_md5_beside_{name}", mibps(r.median), "MiB/s", f"({r.spread('MiB/s', mibps)}; one core's MD5, before, between and after those)")
    return s, r, cpu


def put_1gib_presigned(c: Ctx) -> None:
    """Single PUT of 1 GiB to a presigned V4 URL (UNSIGNED-PAYLOAD: the server hashes MD5 for the ETag)."""
    url = c.s3.generate_presigned_url("put_object", Params={"Bucket": c.bucket, "Key": "big-presigned"}, ExpiresIn=3600)
    s, md5, cpu = beside_md5("put_1gib_presigned", c.main.proc.pid, lambda: GiB / curl_ok(url, "-T", c.big))
    REF["put_presigned"] = s.median
    figure("put_1gib_presigned", mibps(s.median), "MiB/s", f"({s.spread('MiB/s', mibps)})")
    ratio_bar("put_1gib_presigned_vs_md5", REF["put_presigned"], md5.median, 0.85,
              f"(vs {mibps(md5.median):.0f} MiB/s, the median of the MD5 runs next to its runs)")
    cpu_figure("put_1gib_presigned_cpu", cpu / LARGE_RUNS)
    # Informational, to split the time: the same PUT with --no-fsync, and the disk's own write+fsync of 1 GiB.
    url = c.s3_nofsync.generate_presigned_url("put_object", Params={"Bucket": c.bucket, "Key": "big"}, ExpiresIn=3600)
    s = median_of(LARGE_RUNS, lambda: GiB / curl_ok(url, "-T", c.big))
    figure("put_1gib_presigned_nofsync", mibps(s.median), "MiB/s", f"({s.spread('MiB/s', mibps)}; informational: --no-fsync)")
    c.s3_nofsync.delete_object(Bucket=c.bucket, Key="big")
    figure("ref_disk_write_fsync_1gib", mibps(GiB / disk_write_fsync(c.big, os.path.join(c.tmp, "fsync-1g"))), "MiB/s",
           "(informational: copy the cached 1 GiB file in 1 MiB writes, then fsync; one run)")
    direct = disk_write_direct(c.big, os.path.join(c.tmp, "direct-1g"))
    if direct:
        figure("ref_disk_direct_write_1gib", mibps(GiB / direct), "MiB/s",
               "(informational: dd oflag=direct, the write rate past the page cache, as Tessera writes large blobs; one run)")


def disk_write_direct(src: str, dst: str) -> float | None:
    """Seconds for dd to write `src` to `dst` with O_DIRECT (no page cache: the device's rate), or None."""
    try:
        start = time.perf_counter()
        r = run(["dd", f"if={src}", f"of={dst}", "bs=4M", "oflag=direct"], 300, check=False)
        t = time.perf_counter() - start
        return t if r.returncode == 0 else None
    finally:
        if os.path.exists(dst):
            os.remove(dst)


def disk_write_fsync(src: str, dst: str) -> float:
    """Seconds to write `src` (page-cached) to a new file `dst` and fsync it."""
    start = time.perf_counter()
    try:
        with open(src, "rb") as i, open(dst, "wb") as o:
            for chunk in iter(lambda: i.read(MiB), b""):
                o.write(chunk)
            o.flush()
            os.fsync(o.fileno())
        return time.perf_counter() - start
    finally:
        os.remove(dst)


def put_1gib_signed(c: Ctx) -> None:
    """Header-signed PUT of 1 GiB with x-amz-content-sha256 = hex SHA-256 and x-amz-checksum-crc32,
    digests precomputed and signed before the clock starts; sent by curl -T."""
    sha, crc = hashlib.sha256(), 0
    with open(c.big, "rb") as f:
        for chunk in iter(lambda: f.read(8 * MiB), b""):
            sha.update(chunk)
            crc = zlib.crc32(chunk, crc)
    crc_b64 = base64.b64encode(crc.to_bytes(4, "big")).decode()
    url = f"{c.main.endpoint}/{c.bucket}/big-signed"

    def once() -> float:
        h = sign_headers("PUT", url, sha.hexdigest(), {"x-amz-checksum-crc32": crc_b64, "Content-Length": str(GiB)})
        args = ["-T", c.big]
        for k, v in h.items():
            if k.lower() != "content-length":
                args += ["-H", f"{k}: {v}"]
        return curl_ok(url, *args)

    s, md5, cpu = beside_md5("put_1gib_signed", c.main.proc.pid, lambda: GiB / once())
    REF["put_signed"] = s.median
    figure("put_1gib_signed_sha256_crc32", mibps(REF["put_signed"]), "MiB/s", f"({s.spread('MiB/s', mibps)})")
    ratio_bar("put_1gib_signed_vs_md5", REF["put_signed"], md5.median, 0.75,
              f"(vs {mibps(md5.median):.0f} MiB/s, the median of the MD5 runs next to its runs)")
    cpu_figure("put_1gib_signed_cpu", cpu / LARGE_RUNS)


def cpu_figure(name: str, cpu_per_gib: float) -> None:
    figure(name, cpu_per_gib, "cpu-s/GiB", f"(informational: daemon CPU time per GiB, mean of the runs; "
           f"MD5 alone costs {GiB / REF['md5']:.2f} on one core)" if "md5" in REF else "(informational)")


def nginx_put_1gib(c: Ctx) -> None:
    """Informational: nginx WebDAV PUT of the same 1 GiB (no hashing, no fsync)."""
    s = median_of(LARGE_RUNS, lambda: GiB / curl_ok(c.nginx.url("put/big.bin"), "-T", c.big))
    figure("ref_nginx_put_1gib", mibps(s.median), "MiB/s",
           f"({s.spread('MiB/s', mibps)}; informational: nginx hashes nothing and does not fsync)")


def get_1gib(c: Ctx) -> None:
    """GET of the 1 GiB object (presigned URL) vs nginx's static GET of the same bytes (sendfile), alternating:
    nginx, tessera, nginx, ..., nginx; the ratio divides the medians."""
    url = c.s3.generate_presigned_url("get_object", Params={"Bucket": c.bucket, "Key": "big-presigned"}, ExpiresIn=3600)
    ours, ref, cpu, cpun = [], [], 0.0, 0.0
    for i in range(2 * LARGE_RUNS + 1):
        if i % 2 == 0:
            t, dt = with_cpu(c.nginx.proc.pid, lambda: curl_ok(c.nginx.url("big.bin"), sink=True))
            ref.append(GiB / t)
            cpun += dt
        else:
            t, dt = with_cpu(c.main.proc.pid, lambda: curl_ok(url, sink=True))
            ours.append(GiB / t)
            cpu += dt
    s, r = Sample(ours), Sample(ref)
    figure("get_1gib", mibps(s.median), "MiB/s", f"({s.spread('MiB/s', mibps)})")
    figure("ref_nginx_get_1gib", mibps(r.median), "MiB/s", f"({r.spread('MiB/s', mibps)}; before, between and after those)")
    ratio_bar("get_1gib_vs_nginx", s.median, r.median, 0.8)
    figure("get_1gib_cpu", cpu / len(ours), "cpu-s/GiB",
           f"(informational: daemon CPU per GiB; nginx: {cpun / len(ref):.2f})")


N_KEYS = 2000   # distinct keys of the 4 KiB figures (the "at least 2,000")


def b64crc32(data: bytes, crc: int = 0) -> str:
    return base64.b64encode(zlib.crc32(data, crc).to_bytes(4, "big")).decode()


def small_get_path(k: int) -> str:
    return f"/bench/get4k/{k:04d}"


def boto3_get_maker(sh: "s3shapes.Shapes", host: str, start: int):
    """make(i) for a pool of boto3's get_object of key i % 2,000 (small_get_path) sent to `host`, header-signed.
    Unique signatures: each sweep over the keys (i // 2,000) signs with its own X-Amz-Date, one second apart,
    from 7.5 minutes ahead of `start` down to 11.5 minutes behind the time a request is made (the daemon
    accepts 15 minutes of skew)."""

    def boto3_get(i: int):
        k, sweep = i % N_KEYS, i // N_KEYS
        t = start + 450 - sweep
        if t < time.time() - 700:
            raise RuntimeError(f"get_object: {i:,} requests need dates beyond the daemon's clock skew over {N_KEYS:,} keys")
        head, sig = sh.get_object.build(host, small_get_path(k), [], s3shapes.amz_date(t), s3shapes.uuid4())
        return head, b"", sig

    return boto3_get


def boto3_put_maker(sh: "s3shapes.Shapes", host: str, tail: bytes):
    """make(i) for a pool of boto3's put_object of 4 KiB to /bench/put4k/<i % 2,000> sent to `host`: body i
    is `tail` (4,080 shared bytes) then 16 bytes of its own; their hashes continue the shared part's."""
    tail_sha, tail_crc = hashlib.sha256(tail), zlib.crc32(tail)

    def boto3_put(i: int):
        end = b"%016x" % i
        sha = tail_sha.copy()
        sha.update(end)
        head, sig = sh.put_object.build(host, f"/bench/put4k/{i % N_KEYS:04d}", [], s3shapes.amz_date(int(time.time())),
                                        s3shapes.uuid4(), sha.hexdigest(), crc32=b64crc32(end, tail_crc),
                                        clen=str(4 * KiB))
        return head, end, sig

    return boto3_put


def put_small_objects(sh: "s3shapes.Shapes", port: int, datas: list[bytes]) -> None:
    """PUTs datas[i] to bench/get4k/NNNN on 127.0.0.1:port as botocore's put_object sends it (Expect:
    100-continue included), 16 connections."""
    host = f"{HOST}:{port}"
    date = s3shapes.amz_date(int(time.time()))

    def make(i: int) -> bytes:
        body = datas[i]
        head, _ = sh.put_object_expect.build(host, small_get_path(i), [], date, s3shapes.uuid4(),
                                             hashlib.sha256(body).hexdigest(), crc32=b64crc32(body), clen=str(len(body)))
        return head + body

    s3shapes.send_all(port, len(datas), make)


def small_objects(c: Ctx) -> None:
    """The 2,000 objects bench/get4k/NNNN of 4 KiB: PUT to the daemon by botocore's put_object as it is on
    the wire (Expect: 100-continue included), and written as nginx's static files of the same names."""
    if getattr(c, "_small_objects", False):
        return
    datas = [os.urandom(4 * KiB) for _ in range(N_KEYS)]
    put_small_objects(c.shapes, c.main.port, datas)
    d = os.path.join(c.www, "bench", "get4k")
    os.makedirs(d, exist_ok=True)
    for i, body in enumerate(datas):
        with open(os.path.join(d, f"{i:04d}"), "wb") as f:
            f.write(body)
    c._small_objects = True


def report_series(ref: Subject, subjects: list[Subject], unit: str, ref_what: str) -> None:
    r = ref.sample
    figure(ref.name, r.median, unit, f"({r.spread(unit, what='wrk runs')}; {ref_what})")
    for s in subjects:
        m = s.sample
        if s.pool.make:
            what = f"{s.pool.unique_note()}, every response a 200"
            if s.pool.cycled:
                ERRORS.append(s.name)
        else:
            what = f"the same {'request' if s.pool.n == 1 else f'{s.pool.n:,} requests'} over and over, every response a 200"
        figure(s.name, m.median, unit, f"({m.spread(unit, what='wrk runs')}; {what}{s.socket_errors()})")


def get_4kib(c: Ctx) -> None:
    """4 KiB GET over 2,000 keys by client shape, each request signed afresh and sent once, vs nginx's static
    GET of the same 2,000 files; wrk -t1 -c16 -d5s, interleaved (see `interleaved`), 5 runs each. And the
    old figure beside them: one presigned URL repeated."""
    sh = c.shapes
    small_objects(c)
    host, nhost = f"{HOST}:{c.main.port}", f"{HOST}:{c.nginx.port}"
    start = int(time.time())

    def path(k: int) -> str:
        return f"/bench/get4k/{k:04d}"

    # Unique signatures over 2,000 keys: request i goes to key i % 2,000, and each sweep over the keys
    # (i // 2,000) signs with its own time, one second apart: X-Amz-Date for the header-signed and SigV4
    # shapes, Expires for SigV2. Header-signed requests must stay within the daemon's 15 minutes of clock
    # skew when sent: their dates run from 7.5 minutes ahead of the start down to 11.5 minutes behind the
    # time they are made. Presigned V4 dates run back from the start (valid for an hour): even seconds for
    # curl's shape, odd ones for the browser's, so that no URL of one is a URL of the other.
    boto3_get = boto3_get_maker(sh, host, start)

    def presigned_v2(i: int):
        target, sig = sh.presign_v2.url(path(i % N_KEYS), start + 3600 + i // N_KEYS)
        return sh.curl_get.build("GET", target, host), b"", sig

    def presigned_v4(i: int):
        target, sig = sh.presign_v4.url(host, path(i % N_KEYS), s3shapes.amz_date(start - 2 * (i // N_KEYS)), 3600)
        return sh.curl_get.build("GET", target, host), b"", sig

    def browser(i: int):
        target, sig = sh.presign_v4.url(host, path(i % N_KEYS), s3shapes.amz_date(start - 2 * (i // N_KEYS) - 1), 3600)
        return sh.browser_get.build("GET", target, host), b"", sig

    one, _ = sh.presign_v4.url(host, path(0), s3shapes.amz_date(start + 1), 3600)
    pid, port = c.main.proc.pid, c.main.port
    body = 4 * KiB
    subjects = [
        Subject("get_4kib_boto3", Pool("get_4kib_boto3", make=boto3_get, body_length=body), port, pid),
        Subject("get_4kib_presigned_v2", Pool("get_4kib_presigned_v2", make=presigned_v2, body_length=body), port, pid),
        Subject("get_4kib_presigned_v4", Pool("get_4kib_presigned_v4", make=presigned_v4, body_length=body), port, pid),
        Subject("get_4kib_browser", Pool("get_4kib_browser", make=browser, body_length=body), port, pid),
        Subject("get_4kib_one_url", Pool("get_4kib_one_url", fixed=[(sh.curl_get.build("GET", one, host), b"")],
                                         body_length=body), port, pid),
    ]
    ref = Subject("ref_nginx_get_4kib", Pool("ref_nginx_get_4kib", body_length=body, fixed=[
        (sh.curl_get.build("GET", path(k), nhost), b"") for k in range(N_KEYS)]), c.nginx.port, c.nginx.proc.pid)
    floor = FrameworkFloor().start()
    try:
        fhost = f"{HOST}:{floor.port}"
        floor_subject = floor.subject("ref_framework_floor_get_4kib", Pool("ref_framework_floor_get_4kib", body_length=body, fixed=[
            (sh.curl_get.build("GET", path(k), fhost), b"") for k in range(N_KEYS)]))
        interleaved(ref, subjects + [floor_subject])
    finally:
        floor.stop()
    report_series(ref, subjects, "req/s", "nginx's static files of the same 2,000 keys, curl's headers; "
                                          "one run right before and after every run below")
    for s in subjects:
        rm = s.ref_sample.median
        extra = f"(vs {fmt(rm)} req/s, the median of the {len(s.refs)} nginx runs next to its runs)"
        if s.pool.make:
            ratio_bar(f"{s.name}_vs_nginx", s.sample.median, rm, 0.5, extra)
        else:
            figure(f"{s.name}_vs_nginx", s.sample.median / rm, "ratio",
                   f"(informational, no bar: one URL repeated, which a cache of verified URLs could answer) {extra}")
    report_floor(floor_subject, subjects, "req/s", "the same 4 KiB for every GET of the same 2,000 paths")
    for s in subjects + [ref]:
        figure(f"{s.name}_cpu", s.cpu_us() if s is not ref else sum(r.cpu for r in ref.runs) / sum(r.requests for r in ref.runs) * 1e6,
               "cpu-us/req", f"(informational: {'nginx (master and workers)' if s is ref else 'daemon'} CPU per request)")
    made = sum(s.pool.made for s in subjects if s.pool.make)
    secs = sum(s.pool.make_seconds for s in subjects if s.pool.make)
    note(f"get_4kib: {made:,} requests signed by the bench's signer in {secs:.1f} s, between runs")


def put_4kib(c: Ctx) -> None:
    """4 KiB put_object as botocore sends it (header-signed: x-amz-content-sha256 = the body's hex SHA-256,
    x-amz-checksum-crc32), fsync on, over 2,000 keys, each request signed afresh (every body differs) and
    sent once, vs nginx's WebDAV PUT of 4 KiB to the same 2,000 names (no fsync); interleaved, 5 runs each."""
    sh = c.shapes
    host, nhost = f"{HOST}:{c.main.port}", f"{HOST}:{c.nginx.port}"
    tail = os.urandom(4 * KiB - 16)
    boto3_put = boto3_put_maker(sh, host, tail)

    ours = Subject("put_4kib_boto3", Pool("put_4kib_boto3", make=boto3_put, tail=tail, cap=40_000 * WRK_SECONDS),
                   c.main.port, c.main.proc.pid)
    ref = Subject("ref_nginx_put_4kib", Pool("ref_nginx_put_4kib", tail=tail, statuses="201,204", fixed=[
        (sh.curl_get.build("PUT", f"/bench/put4k/{k:04d}", nhost, 4 * KiB), b"%016x" % k) for k in range(N_KEYS)]),
        c.nginx.port, c.nginx.proc.pid)
    floor = FrameworkFloor().start()
    try:
        fhost = f"{HOST}:{floor.port}"
        floor_subject = floor.subject("ref_framework_floor_put_4kib", Pool("ref_framework_floor_put_4kib", tail=tail, fixed=[
            (sh.curl_get.build("PUT", f"/bench/put4k/{k:04d}", fhost, 4 * KiB), b"%016x" % k) for k in range(N_KEYS)]))
        disk = [disk_rate(c.main_data)]   # the disk's own rate right before and after the series
        interleaved(ref, [ours, floor_subject])
        disk.append(disk_rate(c.main_data))
    finally:
        floor.stop()
    report_series(ref, [ours], "ops/s", "nginx WebDAV PUT (dav_methods PUT, no fsync) of the same 2,000 names, "
                                        "curl's headers; one run right before and after every run below")
    report_floor(floor_subject, [ours], "ops/s", "each 4 KiB PUT body read and answered with an empty 200, nothing stored")
    m = ours.sample.median
    ratio_bar("put_4kib_vs_nginx", m, ours.ref_sample.median, 1.5,
              f"(vs {fmt(ours.ref_sample.median)} ops/s, the median of the {len(ours.refs)} nginx runs next to its runs)")
    ratio_bar("put_4kib_durable_vs_disk", m, statistics.mean(disk), 1.0,
              f"(the same median vs {fmt(statistics.mean(disk))} ops/s, the mean of ref_disk_create_fsync_rename "
              f"right before and after the series: {fmt(disk[0])} and {fmt(disk[1])})")
    figure("put_4kib_boto3_cpu", ours.cpu_us(), "cpu-us/req", "(informational: daemon CPU per PUT)")
    note(f"put_4kib: {ours.pool.made:,} requests signed by the bench's signer in {ours.pool.make_seconds:.1f} s, between runs; "
         "botocore also sends `Expect: 100-continue`, which the wrk requests leave out (wrk takes the interim "
         "`100 Continue` for the response)")


# ---------------------------------------------------------------------------------------------
# Figures with their own daemons

def http_exchange(sock: socket.socket, request: bytes) -> tuple[float, int, bytes]:
    """Sends `request` on an open connection and reads the whole response (Content-Length or chunked):
    (seconds from the first byte sent to the last byte received, status, body)."""
    f = sock.makefile("rb")
    t0 = time.perf_counter()
    sock.sendall(request)
    while True:
        status = int(f.readline().split()[1])
        headers = {}
        while (line := f.readline()) not in (b"\r\n", b""):
            k, v = line.decode("latin-1").split(":", 1)
            headers[k.strip().lower()] = v.strip()
        if status != 100:
            break
        # an interim 100 Continue: the final response follows
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while (size := int(f.readline().split(b";")[0], 16)) > 0:
            body += f.read(size)
            f.readline()
        while f.readline() not in (b"\r\n", b""):
            pass
    else:
        body = f.read(int(headers.get("content-length", "0")))
    return time.perf_counter() - t0, status, body


MPU_RUNS = 5


def complete_10000(c: Ctx, label: str, sizes: list[int], pg: "Postgres | None" = None, bar: float = 100) -> None:
    """CompleteMultipartUpload of 10,000 parts of the given (unequal) sizes, each uploaded with its
    x-amz-checksum-crc64nvme (the upload created with ChecksumAlgorithm CRC64NVME), 5 uploads: the median
    time of the complete call alone, from its first byte sent to its response's last byte received, on an
    open connection, as botocore sends it (part ETags and CRC64NVMEs, the full-object CRC64NVME, signed).

    The parts are sent as botocore's upload_part requests (signed by the bench's signer, 16 at a time) to
    a daemon started with --no-fsync: their upload is not the figure, and with an fsync per part 50,000 of
    them take minutes. That daemon is then stopped, and one with default flags (fsync on) started on the
    same data directory completes the uploads one after the other, checks and deletes each object. As many
    uploads go in one such round as fit in 4 GiB (all 5 but with BENCH_FULL's 10 GiB uploads).

    With `pg`, both daemons keep their metadata in a database of their own on that server: while the parts
    go in, the database runs with synchronous_commit off (the parts' upload is not the figure, as above);
    it is back on (PostgreSQL's default, and fsync on) before the completing daemon connects."""
    try:
        from awscrt import checksums
    except ImportError:
        raise RuntimeError("awscrt is needed for CRC64NVME (pip install awscrt; botocore uses it too)")
    sh = c.shapes
    data_dir = os.path.join(c.tmp, f"data-mpu-{label}")
    t0 = time.perf_counter()
    # Part n (1-based) holds data[n : n + size]: 10,000 different contents; their digests, once.
    data = memoryview(os.urandom(max(sizes) + len(sizes) + 1))
    parts = []
    full = 0
    for n, size in enumerate(sizes, 1):
        chunk = data[n:n + size]
        crc = checksums.crc64nvme(chunk)
        full = checksums.crc64nvme(chunk, full)
        parts.append((chunk, hashlib.sha256(chunk).hexdigest(), base64.b64encode(crc.to_bytes(8, "big")).decode()))
    full_b64 = base64.b64encode(full.to_bytes(8, "big")).decode()
    total = sum(sizes)
    note(f"mpu {label}: part digests in {time.perf_counter() - t0:.1f} s")
    per_round = max(1, min(MPU_RUNS, 4 * GiB // total))
    times, rates = [], []
    d: Daemon | None = None
    try:
        for first in range(0, MPU_RUNS, per_round):
            runs_ = range(first, min(MPU_RUNS, first + per_round))
            metadata: tuple[str, ...] = ()
            if pg:
                url = pg.database(f"mpu_{label}") if first == 0 else pg.url_of(f"mpu_{label}")
                pg.sql(f"ALTER DATABASE mpu_{label} SET synchronous_commit = off")
                metadata = ("--metadata-url", url)
            d = Daemon(f"mpu-{label}-upload", data_dir, "--min-part-size", "0", "--no-fsync", *metadata).start()
            s3 = s3client(d.endpoint, 16)
            if first == 0:
                s3.create_bucket(Bucket="mpu")
            host = f"{HOST}:{d.port}"
            uploads = []
            for run_ in runs_:
                key = f"mpu-{label}-{run_}"
                uid = s3.create_multipart_upload(Bucket="mpu", Key=key, ChecksumAlgorithm="CRC64NVME")["UploadId"]
                date = s3shapes.amz_date(int(time.time()))

                def make(i: int) -> bytes:
                    chunk, sha, crc = parts[i]
                    head, _ = sh.upload_part.build(host, f"/mpu/{key}", [("uploadId", uid), ("partNumber", str(i + 1))],
                                                   date, s3shapes.uuid4(), sha, crc64nvme=crc, clen=str(len(chunk)))
                    return head + chunk

                t0 = time.perf_counter()
                results = s3shapes.send_all(d.port, len(parts), make)
                rates.append(len(parts) / (time.perf_counter() - t0))
                for (_, h, _), (_, _, crc) in zip(results, parts):
                    if h.get("x-amz-checksum-crc64nvme") not in (None, crc):
                        raise RuntimeError(f"upload_part answered checksum {h.get('x-amz-checksum-crc64nvme')}, sent {crc}")
                uploads.append((key, uid, s3shapes.complete_xml(
                    [(n, h["etag"], crc) for n, ((_, h, _), (_, _, crc)) in enumerate(zip(results, parts), 1)],
                    sh.complete_body_prefix)))
            d.stop()
            # The parts went in without fsync: flush them now, so that the kernel's writeback of ~300 MiB
            # (and ext4's journal commits waiting on it) is not inside the measured completions' fsyncs.
            os.sync()

            if pg:
                pg.sql(f"ALTER DATABASE mpu_{label} RESET synchronous_commit")
            d = Daemon(f"mpu-{label}", data_dir, "--min-part-size", "0", *metadata).start()
            s3 = s3client(d.endpoint, 16)
            host = f"{HOST}:{d.port}"
            for key, uid, xml in uploads:
                head, _ = sh.complete.build(host, f"/mpu/{key}", [("uploadId", uid)], s3shapes.amz_date(int(time.time())),
                                            s3shapes.uuid4(), hashlib.sha256(xml).hexdigest(), crc64nvme=full_b64,
                                            clen=str(len(xml)))
                with socket.create_connection((HOST, d.port), timeout=600) as sock:
                    t, status, body = http_exchange(sock, head + xml)
                resp = body.decode(errors="replace")
                if status != 200 or "<Error>" in resp or "CompleteMultipartUploadResult" not in resp:
                    raise RuntimeError(f"complete failed: HTTP {status}: {resp[:300]}")
                times.append(t)
                obj = s3.head_object(Bucket="mpu", Key=key, ChecksumMode="ENABLED")
                if obj["ContentLength"] != total:
                    raise RuntimeError(f"completed object has {obj['ContentLength']} bytes, not {total}")
                if obj.get("ChecksumCRC64NVME") != full_b64:
                    raise RuntimeError(f"completed object's CRC64NVME {obj.get('ChecksumCRC64NVME')} is not {full_b64}")
            for key, _, _ in uploads:
                s3.delete_object(Bucket="mpu", Key=key)
            d.stop()
            d = None
        up = Sample(rates)
        figure(f"mpu_upload_10000_parts_{label}", up.median, "parts/s",
               f"({up.spread('parts/s', what='uploads')}; {len(parts):,} parts, {total / MiB:.0f} MiB, 16 connections; "
               "informational: to a --no-fsync daemon)")
        ms = Sample([t * 1000 for t in times])
        max_bar(f"mpu_complete_10000_parts_{label}", ms.median, "ms", bar,
                f"({ms.spread('ms', what='uploads')}; parts of {len(set(sizes)):,} different sizes, "
                f"{min(sizes):,} to {max(sizes):,} bytes, with CRC64NVME checksums; the object's CRC64NVME checked)")
    finally:
        t_end = time.perf_counter()
        if d:
            d.stop()
        shutil.rmtree(data_dir, ignore_errors=True)  # thousands of blob files: tens of seconds on a busy disk
        note(f"mpu {label}: data removed in {time.perf_counter() - t_end:.1f} s")


def distinct_sizes(low: int, count: int = 10000, seed: int = 1) -> list[int]:
    """`count` part sizes low, low + 1, ..., low + count - 1 in a shuffled order: no two parts alike (the
    daemon's FULL_OBJECT CRC combines one shift per distinct size), the last one included."""
    sizes = list(range(low, low + count))
    random.Random(seed).shuffle(sizes)
    return sizes


def mpu_complete_small(c: Ctx) -> None:
    complete_10000(c, "6kib", distinct_sizes(KiB))


def mpu_complete_large(c: Ctx) -> None:
    if FULL:
        complete_10000(c, "1mib", distinct_sizes(MiB - 5000))
    else:
        note("BENCH_FULL unset: 10,000 parts of about 64 KiB (5 x 625 MiB) instead of 1 MiB (5 x 10 GiB)")
        complete_10000(c, "64kib", distinct_sizes(64 * KiB - 5000))


def mpu_complete_postgres(c: Ctx) -> None:
    """mpu_complete_small's 10,000 parts of 1 KiB + n, the metadata on PostgreSQL (fsync on)."""
    pg = Postgres().start()
    try:
        complete_10000(c, "6kib_postgres", distinct_sizes(KiB), pg=pg, bar=250)
    finally:
        pg.stop()


# ---------------------------------------------------------------------------------------------
# Figures on PostgreSQL (several gateways; docs/operator-guide.md, "Several gateways (PostgreSQL)")

PG_BIN = os.environ.get("PG_BIN") or "/usr/lib/postgresql/15/bin"


class Postgres:
    """A PostgreSQL server of the bench's own under TMP, on 127.0.0.1:<free port>, trust auth, with
    PostgreSQL's durable defaults: fsync on, synchronous_commit on, full_page_writes on (a commit is on disk
    when it returns, as a SQLite commit is with the daemon's fsync on). Run as the `postgres` user when the
    bench runs as root (PostgreSQL refuses root)."""

    def __init__(self):
        os.chmod(TMP, 0o711)  # the server's user must reach its directory inside TMP
        self.dir = tempfile.mkdtemp(prefix="pg-", dir=TMP)
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.log = os.path.join(self.dir, "server.log")
        self.kw: dict = {}
        if os.geteuid() == 0:
            import pwd
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self.kw = {"user": pw.pw_uid, "group": pw.pw_gid}

    def start(self) -> "Postgres":
        for tool in ("initdb", "postgres", "psql"):
            if not os.access(os.path.join(PG_BIN, tool), os.X_OK):
                raise RuntimeError(f"PostgreSQL's {tool} not found in {PG_BIN} (Debian: apt-get install postgresql-15; or set PG_BIN)")
        data = os.path.join(self.dir, "data")
        r = subprocess.run([os.path.join(PG_BIN, "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
                            "--locale=C"], capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL, **self.kw)
        if r.returncode != 0:
            raise RuntimeError(f"initdb exited {r.returncode}: {(r.stderr or r.stdout)[-400:]}")
        self.port = free_port()
        self.proc = spawn([os.path.join(PG_BIN, "postgres"), "-D", data, "-p", str(self.port), "-k", self.dir,
                           "-c", "listen_addresses=127.0.0.1", "-c", "fsync=on", "-c", "synchronous_commit=on",
                           "-c", "full_page_writes=on", "-c", "max_connections=200"], self.log, **self.kw)
        wait_port(self.port, self.proc, 60, self.log)
        for _ in range(100):  # listening before it accepts queries
            if subprocess.run([os.path.join(PG_BIN, "psql"), self.url_of("postgres"), "-Atc", "SELECT 1"],
                              capture_output=True, timeout=30).returncode == 0:
                break
            time.sleep(0.1)
        note(f"PostgreSQL {self.sql('SHOW server_version')} on port {self.port}: fsync {self.sql('SHOW fsync')}, "
             f"synchronous_commit {self.sql('SHOW synchronous_commit')}, data under {self.dir}")
        return self

    def url_of(self, db: str) -> str:
        return f"postgres://postgres@{HOST}:{self.port}/{db}"

    def sql(self, statement: str, db: str = "postgres") -> str:
        return run([os.path.join(PG_BIN, "psql"), self.url_of(db), "-At", "-v", "ON_ERROR_STOP=1", "-c", statement], 120).stdout.strip()

    def database(self, name: str) -> str:
        """A new database's URL."""
        self.sql(f"CREATE DATABASE {name}")
        return self.url_of(name)

    def stop(self) -> None:
        if self.proc:
            end(self.proc, signal.SIGINT, 60)  # SIGINT: PostgreSQL's fast shutdown
            self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)


def small_get_series(sh: "s3shapes.Shapes", ref: tuple[str, int, int], subject: tuple[str, int, int]) -> tuple[Subject, Subject]:
    """An interleaved series of boto3's get_object over the 2,000 keys: (name, port, pid) of the reference
    and of the subject; requests signed for the port they go to."""
    start = int(time.time())
    subjects = []
    for name, port, pid in (ref, subject):
        subjects.append(Subject(name, Pool(name, make=boto3_get_maker(sh, f"{HOST}:{port}", start), body_length=4 * KiB), port, pid))
    interleaved(subjects[0], subjects[1:])
    return subjects[0], subjects[1]


def report_pair(ref: Subject, ours: Subject, unit: str, ratio_name: str, what: str) -> None:
    """Both series' medians (min, max) and the subject's median over the reference runs next to its runs."""
    for s in (ref, ours):
        m = s.sample
        figure(s.name, m.median, unit, f"({m.spread(unit, what='wrk runs')}; {s.pool.unique_note()}, every response "
                                       f"a {s.pool.statuses}{s.socket_errors()})")
        if s.pool.cycled:
            ERRORS.append(s.name)
    figure(ratio_name, ours.sample.median / ours.ref_sample.median, "ratio",
           f"(informational: {what}; vs {fmt(ours.ref_sample.median)} {unit}, the median of the {len(ours.refs)} "
           f"{ref.name} runs next to its runs)")


def sqlite_and_postgres_daemons(c: Ctx, label: str) -> tuple[Postgres, Daemon, Daemon]:
    """A PostgreSQL server, and two fresh daemons with default flags (fsync on): one on SQLite, one with its
    metadata on that server."""
    pg = Postgres().start()
    try:
        sqlite_d = Daemon(f"{label}-sqlite", os.path.join(c.tmp, f"data-{label}-sqlite")).start()
        pg_d = Daemon(f"{label}-postgres", os.path.join(c.tmp, f"data-{label}-postgres"),
                      "--metadata-url", pg.database(label)).start()
    except BaseException:
        pg.stop()
        raise
    for d in (sqlite_d, pg_d):
        s3client(d.endpoint).create_bucket(Bucket="bench")
    return pg, sqlite_d, pg_d


def stop_all(pg: Postgres, *daemons: Daemon) -> None:
    for d in daemons:
        d.stop()
        shutil.rmtree(d.data_dir, ignore_errors=True)
    pg.stop()


def get_4kib_postgres(c: Ctx) -> None:
    """4 KiB GET (boto3's get_object, each request signed afresh and sent once, 2,000 keys) from a daemon with
    its metadata on PostgreSQL, vs the same from a daemon on SQLite: interleaved, 5 runs each, wrk -t1 -c16."""
    pg, sqlite_d, pg_d = sqlite_and_postgres_daemons(c, "get4k")
    try:
        datas = [os.urandom(4 * KiB) for _ in range(N_KEYS)]
        for d in (sqlite_d, pg_d):
            put_small_objects(c.shapes, d.port, datas)
        ref, ours = small_get_series(c.shapes, ("get_4kib_boto3_sqlite", sqlite_d.port, sqlite_d.proc.pid),
                                     ("get_4kib_boto3_postgres", pg_d.port, pg_d.proc.pid))
        report_pair(ref, ours, "req/s", "get_4kib_postgres_vs_sqlite", "one gateway on PostgreSQL over one on SQLite, "
                    "the same 2,000 objects, no inline-object cache on PostgreSQL")
    finally:
        stop_all(pg, sqlite_d, pg_d)


def put_4kib_postgres(c: Ctx) -> None:
    """4 KiB PUT (boto3's put_object, fsync on, 2,000 keys, each request signed afresh and sent once) to a
    daemon with its metadata on PostgreSQL (fsync and synchronous_commit on), vs the same to a daemon on
    SQLite: interleaved, 5 runs each."""
    pg, sqlite_d, pg_d = sqlite_and_postgres_daemons(c, "put4k")
    try:
        tail = os.urandom(4 * KiB - 16)
        ref, ours = [Subject(name, Pool(name, make=boto3_put_maker(c.shapes, f"{HOST}:{d.port}", tail), tail=tail,
                                        cap=40_000 * WRK_SECONDS), d.port, d.proc.pid)
                     for name, d in (("put_4kib_boto3_sqlite", sqlite_d), ("put_4kib_boto3_postgres", pg_d))]
        interleaved(ref, [ours])
        report_pair(ref, ours, "ops/s", "put_4kib_postgres_vs_sqlite", "one gateway on PostgreSQL (fsync and "
                    "synchronous_commit on) over one on SQLite (fsync on), both durable when they answer")
    finally:
        stop_all(pg, sqlite_d, pg_d)


NGINX_CLUSTER_EXAMPLE = os.path.join(ROOT, "docs", "examples", "nginx-tessera-cluster.conf")


def nginx_cluster_site(listen: str, gateways: list[str], upstream: str) -> str:
    """docs/examples/nginx-tessera-cluster.conf, placeholders filled: one `server` line per gateway, the
    upstream renamed (two such sites share one nginx)."""
    with open(NGINX_CLUSTER_EXAMPLE) as f:
        lines = []
        for line in f.read().splitlines():
            if line.strip().startswith("server GATEWAY_"):
                if "GATEWAY_1" in line:
                    lines += [line.replace("GATEWAY_1", g) for g in gateways]
                continue
            lines.append(line.replace("LISTEN_ADDRESS", listen).replace("tessera_gateways", upstream))
    return "\n".join(lines) + "\n"


def get_4kib_two_gateways_nginx(c: Ctx) -> None:
    """4 KiB GET (boto3's get_object, signed afresh, 2,000 keys) through nginx with the operator guide's
    load-balancer config (docs/examples/nginx-tessera-cluster.conf) in front of two gateways on PostgreSQL
    and one shared data dir, vs the same nginx and config in front of one of them: interleaved, 5 runs each."""
    pg = Postgres().start()
    gateways: list[Daemon] = []
    proc = None
    try:
        url = pg.database("lb")
        shared = os.path.join(c.tmp, "data-lb")
        for i in (1, 2):
            gateways.append(Daemon(f"lb-gateway{i}", shared, "--metadata-url", url).start())
        s3client(gateways[0].endpoint).create_bucket(Bucket="bench")
        put_small_objects(c.shapes, gateways[0].port, [os.urandom(4 * KiB) for _ in range(N_KEYS)])
        d = os.path.join(c.tmp, "nginx-lb")
        os.makedirs(d)
        two, one = free_port(), free_port()
        with open(os.path.join(d, "sites.conf"), "w") as f:
            f.write(nginx_cluster_site(f"{HOST}:{two}", [f"{HOST}:{g.port}" for g in gateways], "tessera_two"))
            f.write(nginx_cluster_site(f"{HOST}:{one}", [f"{HOST}:{gateways[0].port}"], "tessera_one"))
        conf = write_nginx_conf(d, f"    include {d}/sites.conf;\n")
        proc = spawn([nginx_bin(), "-p", d, "-c", conf, "-e", f"{d}/error.log"], os.path.join(d, "stdout.log"))
        wait_port(two, proc, 30, f"{d}/error.log")
        wait_port(one, proc, 30, f"{d}/error.log")
        ref, ours = small_get_series(c.shapes, ("get_4kib_one_gateway_nginx", one, proc.pid),
                                     ("get_4kib_two_gateways_nginx", two, proc.pid))
        report_pair(ref, ours, "req/s", "get_4kib_two_gateways_vs_one_nginx",
                    "two gateways behind nginx over one gateway behind the same nginx, on one machine whose cores "
                    "also run nginx, wrk and PostgreSQL")
    finally:
        if proc:
            end(proc, signal.SIGTERM, 20)
        for g in gateways:
            g.stop()
        pg.stop()


def list_1m(c: Ctx) -> None:
    """ListObjectsV2 first page (1,000 keys) of a bucket holding 1,000,000 keys, rows inserted
    directly into metadata.sqlite while the daemon is stopped; median of 5 calls."""
    data = os.path.join(c.tmp, "data-list")
    d = Daemon("list", data).start()
    try:
        s3client(d.endpoint).create_bucket(Bucket="list")
    finally:
        d.stop()
    db = sqlite3.connect(os.path.join(data, "metadata.sqlite"))
    try:
        attrs = '{"userMetadata":{},"checksums":{}}'
        now = time.time()
        rnd = random.Random(7)
        start = time.perf_counter()
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO objects(bucket, key, version, size, etag, mtime, attrs, parts_count, storage_class) "
            "VALUES('list', ?, ?, 0, ?, ?, ?, NULL, NULL)",
            ((f"k/{i:07d}".encode(), rnd.randrange(1, 1 << 63), EMPTY_MD5, now, attrs) for i in range(1_000_000)))
        db.commit()
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        note(f"inserted 1,000,000 object rows in {time.perf_counter() - start:.1f} s")
    finally:
        db.close()
    d.start()
    try:
        s3 = s3client(d.endpoint)
        url = s3.generate_presigned_url("list_objects_v2", Params={"Bucket": "list"}, ExpiresIn=3600)
        out = os.path.join(c.tmp, "list.out")
        times = []
        for _ in range(5):
            code, t, _ = curl(url, "-o", out, timeout=120)
            body = open(out, "rb").read().decode(errors="replace")
            if code != 200 or body.count("<Key>") != 1000 or "<IsTruncated>true</IsTruncated>" not in body:
                raise RuntimeError(f"unexpected listing: HTTP {code}, {body.count('<Key>')} keys: {body[:200]}")
            times.append(t)
        boto = []
        for _ in range(5):
            t0 = time.perf_counter()
            r = s3.list_objects_v2(Bucket="list")
            boto.append(time.perf_counter() - t0)
            assert r["KeyCount"] == 1000
        max_bar("list_v2_first_page_1m_keys", statistics.median(times) * 1000, "ms", 50,
                f"(median of 5 with curl; min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f})")
        figure("list_v2_first_page_1m_keys_boto3", statistics.median(boto) * 1000, "ms",
               "(median of 5, informational: includes botocore's XML parsing)")
    finally:
        d.stop()
        shutil.rmtree(data, ignore_errors=True)


def rss_5gib_part(c: Ctx) -> None:
    """Peak RSS (VmHWM) of a fresh daemon while curl streams a 5 GiB part (sparse file) to a
    presigned upload_part URL."""
    sparse = os.path.join(c.tmp, "sparse-5g")
    with open(sparse, "wb") as f:
        f.truncate(5 * GiB)
    d = Daemon("rss", os.path.join(c.tmp, "data-rss")).start()
    try:
        s3 = s3client(d.endpoint)
        s3.create_bucket(Bucket="rss")
        uid = s3.create_multipart_upload(Bucket="rss", Key="five")["UploadId"]
        url = s3.generate_presigned_url("upload_part", Params={"Bucket": "rss", "Key": "five", "UploadId": uid,
                                                               "PartNumber": 1}, ExpiresIn=3600)
        before = d.status("VmHWM")
        rss_max = 0
        result: list = []
        th = threading.Thread(target=lambda: result.append(curl(url, "-T", sparse, timeout=900)), daemon=True)
        th.start()
        while th.is_alive():
            rss_max = max(rss_max, d.status("VmRSS"))
            th.join(0.1)
        if not result:
            raise RuntimeError("curl did not finish")
        code, t, body = result[0]
        if code != 200:
            raise RuntimeError(f"upload_part: HTTP {code}: {body[:300]}")
        hwm = d.status("VmHWM")
        figure("rss_before_5gib_part", before / MiB, "MiB", "(VmHWM after start-up and setup)")
        figure("upload_part_5gib", mibps(5 * GiB / t), "MiB/s")
        max_bar("rss_peak_5gib_part", hwm / MiB, "MiB", 100, f"(VmHWM; sampled VmRSS max {rss_max / MiB:.0f} MiB)")
        s3.abort_multipart_upload(Bucket="rss", Key="five", UploadId=uid)
    finally:
        d.stop()
        os.remove(sparse)
        shutil.rmtree(d.data_dir, ignore_errors=True)


# ---------------------------------------------------------------------------------------------

def machine() -> str:
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "")
    except OSError:
        pass
    load = os.getloadavg()
    return f"{os.cpu_count()} cores ({model}), load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"


def write_random(path: str, size: int) -> None:
    block = 16 * MiB
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(block, left)
            f.write(os.urandom(n))
            left -= n


MAIN_STEPS = [put_1gib_presigned, put_1gib_signed, nginx_put_1gib, get_1gib, get_4kib, put_4kib]
OWN_STEPS = [mpu_complete_small, mpu_complete_large, list_1m, rss_5gib_part,
             get_4kib_postgres, put_4kib_postgres, get_4kib_two_gateways_nginx, mpu_complete_postgres]
TIMEOUT = int(os.environ.get("BENCH_TIMEOUT") or (5400 if FULL else 2400))


def step(fn, c: Ctx) -> None:
    only = [s for s in os.environ.get("BENCH_ONLY", "").split(",") if s]
    if only and fn.__name__ not in only:
        return
    t0 = time.perf_counter()
    try:
        fn(c)
    except (Watchdog, KeyboardInterrupt):
        raise
    except Exception as e:
        ERRORS.append(fn.__name__)
        emit(f"{fn.__name__} ERROR {type(e).__name__}: {e}")
    note(f"{fn.__name__}: {time.perf_counter() - t0:.1f} s")


def main() -> int:
    global TMP, SHM
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    signal.alarm(TIMEOUT)
    started = time.perf_counter()
    try:
        ensure_tools()
        TMP = tempfile.mkdtemp(prefix="tessera-bench-", dir=os.environ.get("BENCH_TMPDIR") or None)
        if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
            SHM = tempfile.mkdtemp(prefix="tessera-bench-wrk-", dir="/dev/shm")
        else:
            SHM = os.path.join(TMP, "wrk")
            os.makedirs(SHM)
        note(f"machine: {machine()}; client and server share it")
        note(f"daemon: {BIN}; temp dir {TMP}; wrk's request files in {SHM}; watchdog {TIMEOUT} s{'; BENCH_FULL' if FULL else ''}")
        c = Ctx()
        c.tmp = TMP
        c.www = os.path.join(TMP, "www")
        os.makedirs(c.www)
        c.big = os.path.join(TMP, "big.bin")
        write_random(c.big, GiB)
        os.link(c.big, os.path.join(c.www, "big.bin"))
        try:
            shapes = c.shapes
            for op, names in shapes.describe().items():
                note(f"shape {op}: {', '.join(names)}")
        except Exception as e:  # the steps that need the shapes fail with it; the others run
            ERRORS.append("request_shapes")
            emit(f"request_shapes ERROR {type(e).__name__}: {e}")

        ref_md5()
        main_data = os.path.join(TMP, "data-main")
        os.makedirs(main_data)
        ref_disk(main_data)
        c.main_data = main_data

        c.nginx = Nginx(c.www).start()
        c.main = Daemon("main", main_data).start()
        c.s3 = s3client(c.main.endpoint)
        c.s3.create_bucket(Bucket=c.bucket)
        c.nofsync = Daemon("nofsync", os.path.join(TMP, "data-nofsync"), "--no-fsync").start()
        c.s3_nofsync = s3client(c.nofsync.endpoint)
        c.s3_nofsync.create_bucket(Bucket=c.bucket)
        for fn in MAIN_STEPS:
            step(fn, c)
        c.main.stop()
        c.nofsync.stop()
        shutil.rmtree(c.nofsync.data_dir, ignore_errors=True)
        c.nginx.stop()
        shutil.rmtree(main_data, ignore_errors=True)
        for fn in OWN_STEPS:
            step(fn, c)
    except (Watchdog, KeyboardInterrupt) as e:
        ERRORS.append(str(e) or "interrupted")
        emit(f"bench ABORTED: {e or 'interrupted'}")
    except Exception as e:
        ERRORS.append(str(e))
        emit(f"bench ERROR {type(e).__name__}: {e}")
    finally:
        cleanup()

    passed = sum(ok for _, ok in BARS)
    print("\n== summary ==")
    for line in FIGURES:
        print(line)
    load = os.getloadavg()
    print(f"bars: {passed} passed, {len(BARS) - passed} failed; errors: {len(ERRORS)}; "
          f"{time.perf_counter() - started:.0f} s; load average now {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    return 1 if ERRORS else 0


if __name__ == "__main__":
    sys.exit(main())
