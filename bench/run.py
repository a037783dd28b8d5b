#!/usr/bin/env python3
"""`make bench`: Tessera's performance figures, each next to a reference measured in the same run.

Starts the release daemon (and nginx, moto_server) on 127.0.0.1 only, with everything under one
temporary directory, prints one figure per line as `name value unit` and, for each bar, a line
`name ratio ratio (bar >= x) PASS|FAIL`, then a summary. Stops by itself (a global watchdog), and
removes its temporary directory and every process it started, whatever happens.

Environment:
  TESSERA_BIN    the daemon binary (default .build/release/tessera, built by `make bench`)
  BENCH_FULL=1   CompleteMultipartUpload with 10,000 parts of 1 MiB (10 GiB) instead of 64 KiB
  BENCH_TMPDIR   where the temporary directory goes (default: the system's; it is also the data disk)
  BENCH_TIMEOUT  watchdog in seconds (default 2400, 5400 with BENCH_FULL)
  BENCH_ONLY     comma-separated step names to run (default: all); see STEPS at the bottom

Exit status: 0 when every figure was measured (whatever the bars say), 1 when one could not be.
See docs/performance.md.
"""
from __future__ import annotations

import base64
import concurrent.futures
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

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30
HOST = "127.0.0.1"
REGION = "us-east-1"
AK, SK = "benchaccesskey", "benchsecretkey-0123456789abcdef"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("TESSERA_BIN") or os.path.join(ROOT, ".build", "release", "tessera")
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


def ratio_bar(name: str, value: float, reference: float, bar: float) -> None:
    r = value / reference
    ok = r >= bar
    BARS.append((name, ok))
    emit(f"{name} {r:.2f} ratio (bar >= {bar:g}) {'PASS' if ok else 'FAIL'}")


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
    if TMP and os.path.isdir(TMP):
        shutil.rmtree(TMP, ignore_errors=True)


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
    if not shutil.which("moto_server"):
        note("moto_server not found (pip install 'moto[server]'): the moto comparison will be skipped")
    if not os.access(BIN, os.X_OK):
        raise RuntimeError(f"no daemon binary at {BIN}: run `make bench` (it builds release first)")


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


def best_of(n: int, fn) -> float:
    return min(fn() for _ in range(n))


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


def wrk(url: str, script: str | None = None, threads: int = 1, conns: int = 16, seconds: int = 5) -> float:
    """Requests/s from wrk; fails on socket errors or non-2xx responses."""
    cmd = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{seconds}s"]
    if script:
        cmd += ["-s", script]
    r = run(cmd + [loopback(url)], seconds + 60)
    m = re.search(r"Requests/sec:\s*([\d.]+)", r.stdout)
    if not m:
        raise RuntimeError(f"no Requests/sec in wrk output: {r.stdout[-400:]}")
    bad = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", r.stdout)
    if bad and int(bad.group(1)) > 0:
        raise RuntimeError(f"wrk saw {bad.group(1)} non-2xx responses")
    errs = re.search(r"Socket errors:.*", r.stdout)
    if errs:
        note(f"wrk {urlsplit(url).path}: {errs.group(0)}")
    return float(m.group(1))


def boto_put_loop(endpoint: str, bucket: str, threads: int = 8, seconds: float = 3.0) -> float:
    """4 KiB put_object from `threads` threads sharing one boto3 client for `seconds`: ops/s."""
    c = s3client(endpoint, threads)
    body = os.urandom(4 * KiB)
    c.put_object(Bucket=bucket, Key="warm", Body=body)
    counts = [0] * threads
    failures: list[BaseException] = []
    start = time.perf_counter()
    stop_at = start + seconds

    def worker(t: int) -> None:
        i = 0
        try:
            while time.perf_counter() < stop_at:
                c.put_object(Bucket=bucket, Key=f"loop/{t}/{i}", Body=body)
                i += 1
        except BaseException as e:  # reported below
            failures.append(e)
        counts[t] = i

    ts = [threading.Thread(target=worker, args=(t,), daemon=True) for t in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(seconds + 120)
    elapsed = time.perf_counter() - start
    if failures:
        raise RuntimeError(f"put loop failed: {failures[0]!r}")
    return sum(counts) / elapsed


# ---------------------------------------------------------------------------------------------
# References

def ref_md5() -> None:
    """One core's MD5 rate (OpenSSL, 16 KiB blocks, 3 s), in bytes/s."""
    r = run(["openssl", "speed", "-evp", "md5", "-bytes", "16384", "-seconds", "3"], 120)
    m = re.search(r"^md5\s+([\d.]+)k\s*$", r.stdout, re.M | re.I)
    if not m:
        raise RuntimeError(f"cannot parse openssl speed: {r.stdout[-300:]}")
    REF["md5"] = float(m.group(1)) * 1000
    figure("ref_md5_one_core", mibps(REF["md5"]), "MiB/s")
    # openssl speed divides by the CPU time it got; -elapsed divides by wall time. Their quotient is the
    # share of a core one busy thread gets right now: 1.0 on an idle machine, lower when others compete.
    r = run(["openssl", "speed", "-elapsed", "-evp", "md5", "-bytes", "16384", "-seconds", "3"], 120)
    m = re.search(r"^md5\s+([\d.]+)k\s*$", r.stdout, re.M | re.I)
    if m:
        figure("cpu_share_one_thread", float(m.group(1)) * 1000 / REF["md5"], "cores",
               "(informational: MD5 wall-clock rate / CPU-time rate; < 1 when other work competes)")


def ref_disk(data_dir: str, seconds: float = 2.0) -> None:
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
        REF["disk"] = n / (time.perf_counter() - start)
    finally:
        os.close(dfd)
        shutil.rmtree(d, ignore_errors=True)
    figure("ref_disk_create_fsync_rename", REF["disk"], "ops/s")


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
    default_type application/octet-stream;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_max_body_size 0;
    server {{
        listen {HOST}:{self.port};
        root {self.www};
        location / {{ dav_methods PUT; create_full_put_path on; }}
    }}
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


# ---------------------------------------------------------------------------------------------
# Figures against the main daemon (default flags: fsync on)

class Ctx:
    tmp: str
    big: str          # 1 GiB of random bytes
    small: str        # 4 KiB
    www: str          # nginx root
    main: Daemon
    nginx: Nginx
    s3 = None
    nofsync: Daemon
    s3_nofsync = None
    bucket = "bench"


def put_1gib_presigned(c: Ctx) -> None:
    """Single PUT of 1 GiB to a presigned V4 URL (UNSIGNED-PAYLOAD: the server hashes MD5 for the ETag)."""
    url = c.s3.generate_presigned_url("put_object", Params={"Bucket": c.bucket, "Key": "big-presigned"}, ExpiresIn=3600)
    t, cpu = with_cpu(c.main.proc.pid, lambda: best_of(2, lambda: curl_ok(url, "-T", c.big)))
    REF["put_presigned"] = GiB / t
    figure("put_1gib_presigned", mibps(REF["put_presigned"]), "MiB/s", "(best of 2)")
    ratio_bar("put_1gib_presigned_vs_md5", REF["put_presigned"], REF["md5"], 0.85)
    cpu_figure("put_1gib_presigned_cpu", cpu / 2)
    # Informational, to split the time: the same PUT with --no-fsync, and the disk's own write+fsync of 1 GiB.
    url = c.s3_nofsync.generate_presigned_url("put_object", Params={"Bucket": c.bucket, "Key": "big"}, ExpiresIn=3600)
    t = best_of(2, lambda: curl_ok(url, "-T", c.big))
    figure("put_1gib_presigned_nofsync", mibps(GiB / t), "MiB/s", "(best of 2, informational: --no-fsync)")
    c.s3_nofsync.delete_object(Bucket=c.bucket, Key="big")
    figure("ref_disk_write_fsync_1gib", mibps(GiB / disk_write_fsync(c.big, os.path.join(c.tmp, "fsync-1g"))), "MiB/s",
           "(informational: copy the cached 1 GiB file in 1 MiB writes, then fsync)")
    direct = disk_write_direct(c.big, os.path.join(c.tmp, "direct-1g"))
    if direct:
        figure("ref_disk_direct_write_1gib", mibps(GiB / direct), "MiB/s",
               "(informational: dd oflag=direct, the write rate past the page cache, as Tessera writes large blobs)")


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

    t, cpu = with_cpu(c.main.proc.pid, lambda: best_of(2, once))
    REF["put_signed"] = GiB / t
    figure("put_1gib_signed_sha256_crc32", mibps(REF["put_signed"]), "MiB/s", "(best of 2)")
    ratio_bar("put_1gib_signed_vs_md5", REF["put_signed"], REF["md5"], 0.75)
    cpu_figure("put_1gib_signed_cpu", cpu / 2)


def cpu_figure(name: str, cpu_per_gib: float) -> None:
    figure(name, cpu_per_gib, "cpu-s/GiB", f"(informational: daemon CPU time per GiB, mean of the runs; "
           f"MD5 alone costs {GiB / REF['md5']:.2f} on one core)" if "md5" in REF else "(informational)")


def nginx_put_1gib(c: Ctx) -> None:
    """Informational: nginx WebDAV PUT of the same 1 GiB (no hashing, no fsync)."""
    t = best_of(2, lambda: curl_ok(c.nginx.url("put/big.bin"), "-T", c.big))
    figure("ref_nginx_put_1gib", mibps(GiB / t), "MiB/s", "(best of 2, informational: nginx hashes nothing and does not fsync)")


def get_1gib(c: Ctx) -> None:
    """GET of the 1 GiB object (presigned URL) vs nginx's static GET of the same bytes (sendfile)."""
    url = c.s3.generate_presigned_url("get_object", Params={"Bucket": c.bucket, "Key": "big-presigned"}, ExpiresIn=3600)
    t, cpu = with_cpu(c.main.proc.pid, lambda: best_of(2, lambda: curl_ok(url, sink=True)))
    tn, cpun = with_cpu(c.nginx.proc.pid, lambda: best_of(2, lambda: curl_ok(c.nginx.url("big.bin"), sink=True)))
    figure("get_1gib", mibps(GiB / t), "MiB/s", "(best of 2)")
    figure("ref_nginx_get_1gib", mibps(GiB / tn), "MiB/s", "(best of 2)")
    ratio_bar("get_1gib_vs_nginx", GiB / t, GiB / tn, 0.8)
    figure("get_1gib_cpu", cpu / 2, "cpu-s/GiB", f"(informational: daemon CPU per GiB; nginx: {cpun / 2:.2f})")


def get_4kib(c: Ctx) -> None:
    """4 KiB GET req/s with wrk -t1 -c16 -d5s: presigned URL vs nginx static file."""
    c.s3.put_object(Bucket=c.bucket, Key="small", Body=open(c.small, "rb").read())
    url = c.s3.generate_presigned_url("get_object", Params={"Bucket": c.bucket, "Key": "small"}, ExpiresIn=3600)
    rs, cpu = with_cpu(c.main.proc.pid, lambda: wrk(url))
    rn, cpun = with_cpu(c.nginx.proc.pid, lambda: wrk(c.nginx.url("small.bin")))
    figure("get_4kib", rs, "req/s")
    figure("ref_nginx_get_4kib", rn, "req/s")
    ratio_bar("get_4kib_vs_nginx", rs, rn, 0.5)
    figure("get_4kib_cpu", cpu / (rs * 5) * 1e6, "cpu-us/req",
           f"(informational: daemon CPU per request; nginx: {cpun / (rn * 5) * 1e6:.0f})")


def put_4kib_durable(c: Ctx) -> None:
    """4 KiB PUT ops/s with wrk -t1 -c16 -d5s on one presigned PUT URL (fsync on) vs the disk's
    create+fsync+rename rate."""
    url = c.s3.generate_presigned_url("put_object", Params={"Bucket": c.bucket, "Key": "small-put"}, ExpiresIn=3600)
    lua = os.path.join(c.tmp, "put4k.lua")
    with open(lua, "w") as f:
        f.write('wrk.method = "PUT"\nwrk.body = string.rep("x", 4096)\n')
    ops, cpu = with_cpu(c.main.proc.pid, lambda: wrk(url, lua))
    figure("put_4kib_durable", ops, "ops/s", f"(daemon CPU {cpu / (ops * 5) * 1e6:.0f} us per PUT)")
    ratio_bar("put_4kib_durable_vs_disk", ops, REF["disk"], 1.0)
    url = c.s3_nofsync.generate_presigned_url("put_object", Params={"Bucket": c.bucket, "Key": "small-put"}, ExpiresIn=3600)
    figure("put_4kib_nofsync", wrk(url, lua), "ops/s", "(informational: same wrk run against a --no-fsync daemon)")


def put_pool_lua(tmp: str, urls: list[str], name: str) -> str:
    """A wrk script that PUTs 4 KiB to each of `urls` (path and query) in turn."""
    listing = os.path.join(tmp, f"put-urls-{name}.txt")
    with open(listing, "w") as f:
        for u in urls:
            parts = urlsplit(loopback(u))
            f.write(f"{parts.path}?{parts.query}\n")
    lua = os.path.join(tmp, f"put4k-pool-{name}.lua")
    with open(lua, "w") as f:
        f.write(f"""local paths = {{}}
for line in io.lines("{listing}") do paths[#paths + 1] = line end
local i = 0
wrk.method = "PUT"
wrk.body = string.rep("x", 4096)
request = function()
  i = i + 1
  return wrk.format(nil, paths[(i - 1) % #paths + 1])
end
""")
    return lua


def put_4kib_vs_moto(c: Ctx) -> None:
    """4 KiB PUT ops/s against tessera and moto_server, measured by the same client: wrk walking 4,000
    presigned PUT URLs of distinct keys (moto answers 500 to concurrent overwrites of one key). The
    same boto3 loop (8 threads, 3 s) is printed too, but it cannot tell servers apart past ~2.4x moto:
    the Python client is the bottleneck (see ref_nginx_put_4kib_boto3)."""
    if not shutil.which("moto_server"):
        raise RuntimeError("moto_server not installed (pip install 'moto[server]')")
    ours_urls = [c.s3.generate_presigned_url("put_object", Params={"Bucket": c.bucket, "Key": f"wrk/{i}"}, ExpiresIn=3600)
                 for i in range(4000)]
    ours = wrk(ours_urls[0], put_pool_lua(c.tmp, ours_urls, "ours"))
    ours_boto3 = boto_put_loop(c.main.endpoint, c.bucket)
    port = free_port()
    log = os.path.join(c.tmp, "moto.log")
    env = dict(os.environ, AWS_ACCESS_KEY_ID=AK, AWS_SECRET_ACCESS_KEY=SK, AWS_DEFAULT_REGION=REGION)
    p = spawn(["moto_server", "-H", HOST, "-p", str(port)], log, env=env)
    try:
        wait_port(port, p, 90, log)
        ep = f"http://{HOST}:{port}"
        ms3 = s3client(ep)
        ms3.create_bucket(Bucket="bench")
        urls = [ms3.generate_presigned_url("put_object", Params={"Bucket": "bench", "Key": f"wrk/{i}"}, ExpiresIn=3600)
                for i in range(4000)]
        moto = wrk(urls[0], put_pool_lua(c.tmp, urls, "moto"))
        moto_boto3 = boto_put_loop(ep, "bench")
    finally:
        end(p, signal.SIGTERM, 20)
    figure("put_4kib_wrk", ours, "ops/s", "(wrk -t1 -c16 -d5s over 4,000 presigned PUT URLs, fsync on)")
    figure("ref_moto_put_4kib_wrk", moto, "ops/s", "(the same wrk run against moto_server)")
    ratio_bar("put_4kib_vs_moto", ours, moto, 20)
    figure("put_4kib_boto3", ours_boto3, "ops/s", "(informational: boto3 put_object from 8 threads, 3 s)")
    figure("ref_moto_put_4kib_boto3", moto_boto3, "ops/s", "(informational: the same boto3 loop against moto_server)")
    # Informational: the same loop against nginx's WebDAV PUT (no auth, no hashing, no fsync): the client's ceiling.
    ceiling = boto_put_loop(f"http://{HOST}:{c.nginx.port}", "dav")
    figure("ref_nginx_put_4kib_boto3", ceiling, "ops/s", "(informational: the boto3 loop's own ceiling on this machine)")


# ---------------------------------------------------------------------------------------------
# Figures with their own daemons

def complete_10000(c: Ctx, part_size: int, label: str) -> None:
    """CompleteMultipartUpload of 10,000 parts of `part_size`: time of the complete call alone
    (body built and signed beforehand, sent with curl)."""
    d = Daemon(f"mpu-{label}", os.path.join(c.tmp, f"data-mpu-{label}"), "--min-part-size", "0").start()
    try:
        s3 = s3client(d.endpoint, 16)
        s3.create_bucket(Bucket="mpu")
        key = f"mpu-{label}"
        uid = s3.create_multipart_upload(Bucket="mpu", Key=key)["UploadId"]
        body = os.urandom(part_size)
        etags: list[str | None] = [None] * 10000
        start = time.perf_counter()

        def up(n: int) -> None:
            etags[n - 1] = s3.upload_part(Bucket="mpu", Key=key, UploadId=uid, PartNumber=n, Body=body)["ETag"]

        with concurrent.futures.ThreadPoolExecutor(16) as ex:
            for f in [ex.submit(up, n) for n in range(1, 10001)]:
                f.result(timeout=3600)
        up_s = time.perf_counter() - start
        figure(f"mpu_upload_10000_parts_{label}", 10000 / up_s, "parts/s", f"({up_s:.1f} s, boto3, 16 threads)")
        xml = ("<CompleteMultipartUpload>" + "".join(
            f"<Part><PartNumber>{n}</PartNumber><ETag>{e}</ETag></Part>" for n, e in enumerate(etags, 1))
            + "</CompleteMultipartUpload>").encode()
        xml_path = os.path.join(c.tmp, f"complete-{label}.xml")
        with open(xml_path, "wb") as f:
            f.write(xml)
        url = f"{d.endpoint}/mpu/{key}?uploadId={uid}"
        h = sign_headers("POST", url, hashlib.sha256(xml).hexdigest(), {"Content-Type": "application/xml"})
        args = ["-X", "POST", "--data-binary", f"@{xml_path}", "-o", os.path.join(c.tmp, "complete.out")]
        for k, v in h.items():
            args += ["-H", f"{k}: {v}"]
        code, t, _ = curl(url, *args, timeout=600)
        resp = open(os.path.join(c.tmp, "complete.out"), "rb").read().decode(errors="replace")
        if code != 200 or "<Error>" in resp or "CompleteMultipartUploadResult" not in resp:
            raise RuntimeError(f"complete failed: HTTP {code}: {resp[:300]}")
        head = s3.head_object(Bucket="mpu", Key=key)
        if head["ContentLength"] != 10000 * part_size:
            raise RuntimeError(f"completed object has {head['ContentLength']} bytes")
        max_bar(f"mpu_complete_10000_parts_{label}", t * 1000, "ms", 100)
        s3.delete_object(Bucket="mpu", Key=key)
    finally:
        d.stop()
        shutil.rmtree(d.data_dir, ignore_errors=True)  # 10,000 blob files: tens of seconds on a busy disk


def mpu_complete_1kib(c: Ctx) -> None:
    complete_10000(c, KiB, "1kib")


def mpu_complete_large(c: Ctx) -> None:
    if FULL:
        complete_10000(c, MiB, "1mib")
    else:
        note("BENCH_FULL unset: 10,000 parts of 64 KiB (625 MiB) instead of 1 MiB (10 GiB)")
        complete_10000(c, 64 * KiB, "64kib")


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


MAIN_STEPS = [put_1gib_presigned, put_1gib_signed, nginx_put_1gib, get_1gib, get_4kib, put_4kib_durable, put_4kib_vs_moto]
OWN_STEPS = [mpu_complete_1kib, mpu_complete_large, list_1m, rss_5gib_part]
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
    global TMP
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    signal.alarm(TIMEOUT)
    started = time.perf_counter()
    try:
        ensure_tools()
        TMP = tempfile.mkdtemp(prefix="tessera-bench-", dir=os.environ.get("BENCH_TMPDIR") or None)
        note(f"machine: {machine()}; client and server share it")
        note(f"daemon: {BIN}; temp dir {TMP}; watchdog {TIMEOUT} s{'; BENCH_FULL' if FULL else ''}")
        c = Ctx()
        c.tmp = TMP
        c.www = os.path.join(TMP, "www")
        os.makedirs(c.www)
        c.big = os.path.join(TMP, "big.bin")
        c.small = os.path.join(TMP, "small.bin")
        write_random(c.big, GiB)
        write_random(c.small, 4 * KiB)
        os.link(c.big, os.path.join(c.www, "big.bin"))
        os.link(c.small, os.path.join(c.www, "small.bin"))

        ref_md5()
        main_data = os.path.join(TMP, "data-main")
        os.makedirs(main_data)
        ref_disk(main_data)

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
