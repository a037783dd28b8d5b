"""Requests shaped as real S3 clients send them, signed afresh at the rate a load generator needs.

botocore signs a few thousand requests a second; the bench needs hundreds of thousands, each with a
signature of its own. So this module takes the shape of each request from the client itself, once: it
points boto3 (default configuration, http endpoint) and curl at `Recorder`, a loopback endpoint that keeps
the request heads byte for byte. `HeaderTemplate` keeps that head's header names, order and constant values
(User-Agent, amz-sdk-request, ...) and signs new requests with hmac/hashlib: SigV4 with the same signed
headers, in the same wire form. `PresignV4` and `PresignV2` do the same for query-signed URLs, in the
parameter order of botocore's `generate_presigned_url`.

`cross_check` then signs the recorded requests again with this code, with the date, invocation id and
checksums the client used, and requires the same bytes as botocore's (the whole request head, or the whole
URL): the bench refuses to run a shape that differs from the client's.

Only loopback addresses are used (the bench's rule).
"""
from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import hmac
import os
import re
import socket
import subprocess
import threading
import time
from urllib.parse import quote, urlsplit, parse_qsl

HOST = "127.0.0.1"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


_DATES: dict[int, str] = {}


def amz_date(t: int) -> str:
    d = _DATES.get(t)
    if d is None:
        d = _DATES[t] = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(t))
    return d


class _Random:
    """os.urandom in 64 KiB reads (one read per 16 bytes is most of the cost of a UUID)."""
    buf, pos = b"", 0


def after_fork() -> None:
    """In a forked worker: no random bytes shared with the parent or a sibling."""
    _Random.buf, _Random.pos = b"", 0


def uuid4() -> str:
    """str(uuid.uuid4()) as botocore makes amz-sdk-invocation-id (122 random bits, version 4, variant 10)."""
    r = _Random
    if r.pos + 16 > len(r.buf):
        r.buf, r.pos = os.urandom(65536), 0
    h = r.buf[r.pos:r.pos + 16].hex()
    r.pos += 16
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}"


@functools.lru_cache(maxsize=100_000)
def uri_path(path: str) -> str:
    """botocore's S3 path encoding (no double encoding, '/' and '~' kept)."""
    return quote(path, safe="/~")


@functools.lru_cache(maxsize=100_000)
def uri_value(v: str) -> str:
    return quote(v, safe="-_.~")


class SigningKeys:
    """SigV4 signing keys per day (the HMAC chain is the slow part of a signature; it changes daily)."""

    def __init__(self, secret: str, region: str, service: str = "s3"):
        self.secret, self.region, self.service = secret, region, service
        self._keys: dict[str, bytes] = {}

    def key(self, day: str) -> bytes:
        k = self._keys.get(day)
        if k is None:
            k = ("AWS4" + self.secret).encode()
            for part in (day, self.region, self.service, "aws4_request"):
                k = hmac.new(k, part.encode(), hashlib.sha256).digest()
            self._keys[day] = k
        return k

    def sign(self, date: str, canonical_request: str) -> str:
        day = date[:8]
        sts = (f"AWS4-HMAC-SHA256\n{date}\n{day}/{self.region}/{self.service}/aws4_request\n"
               f"{hashlib.sha256(canonical_request.encode()).hexdigest()}")
        return hmac.digest(self.key(day), sts.encode(), "sha256").hex()


# ---------------------------------------------------------------------------------------------
# Recording what clients send

class Recorder:
    """An HTTP/1.1 endpoint on 127.0.0.1 that keeps each request's head and body and answers 200 (after
    `100 Continue` when the client asks for it). GET responses carry a 4-byte body."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind((HOST, 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.requests: list[tuple[bytes, bytes]] = []
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.port}"

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        buf = b""
        with conn:
            conn.settimeout(30)
            while True:
                while b"\r\n\r\n" not in buf:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                head, buf = buf.split(b"\r\n\r\n", 1)
                head += b"\r\n\r\n"
                fields = parse_head(head)[2]
                lower = {k.lower(): v for k, v in fields}
                if lower.get("expect", "").lower() == "100-continue":
                    conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                length = int(lower.get("content-length", "0"))
                while len(buf) < length:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                body, buf = buf[:length], buf[length:]
                self.requests.append((head, body))
                if head.startswith(b"GET "):
                    conn.sendall(b'HTTP/1.1 200 OK\r\nETag: "0"\r\nContent-Length: 4\r\n\r\nabcd')
                else:
                    conn.sendall(b'HTTP/1.1 200 OK\r\nETag: "0"\r\nContent-Length: 0\r\n\r\n')

    def take(self) -> tuple[bytes, bytes]:
        """The one request recorded since the last take (waits briefly for the server thread)."""
        deadline = time.monotonic() + 10
        while not self.requests and time.monotonic() < deadline:
            time.sleep(0.01)
        if len(self.requests) != 1:
            raise RuntimeError(f"recorder: expected one request, have {len(self.requests)}")
        return self.requests.pop()

    def close(self) -> None:
        self._closed = True
        self.sock.close()


def parse_head(head: bytes) -> tuple[str, str, list[tuple[str, str]]]:
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    fields = []
    for line in lines[1:]:
        if line:
            name, value = line.split(":", 1)
            fields.append((name, value.strip()))
    return method, target, fields


# ---------------------------------------------------------------------------------------------
# Header-signed requests

# Header values that differ per request (lower-case name -> field name); all others are the client's constants.
VARIABLE = {"host": "host", "x-amz-date": "date", "x-amz-content-sha256": "sha", "authorization": "auth",
            "amz-sdk-invocation-id": "inv", "content-length": "clen", "x-amz-checksum-crc32": "crc32",
            "x-amz-checksum-crc64nvme": "crc64nvme"}
AUTH_RE = re.compile(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
                     r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$")


class HeaderTemplate:
    """The head of one SigV4 header-signed request as a client sent it, made into a signer of new ones."""

    def __init__(self, head: bytes, access_key: str, keys: SigningKeys, drop: tuple[str, ...] = ()):
        self.method, target, fields = parse_head(head)
        self.recorded_target = target
        lower = {k.lower(): v for k, v in fields}
        m = AUTH_RE.match(lower["authorization"])
        if not m:
            raise RuntimeError(f"unexpected Authorization: {lower['authorization']}")
        self.access_key, self.keys = access_key, keys
        self.signed = m.group(5)
        signed = self.signed.split(";")
        self.header_names = [k for k, _ in fields if k.lower() not in drop]
        self.dropped = [k for k, _ in fields if k.lower() in drop]

        def esc(s: str) -> str:
            return s.replace("{", "{{").replace("}", "}}")

        wire = []
        for name, value in fields:
            if name.lower() in drop:
                continue
            var = VARIABLE.get(name.lower())
            wire.append(f"{esc(name)}: {{{var}}}" if var else f"{esc(name)}: {esc(value)}")
        self._wire = "{method} {target} HTTP/1.1\r\n" + "".join(w + "\r\n" for w in wire) + "\r\n"
        canon = []
        for name in signed:
            var = VARIABLE.get(name)
            if var in ("auth", "inv"):
                raise RuntimeError(f"{name} is signed?")
            canon.append(f"{name}:{{{var}}}" if var else f"{name}:{esc(' '.join(lower[name].split()))}")
        self._canon = ("{method}\n{path}\n{cquery}\n" + "".join(c + "\n" for c in canon) + "\n"
                       + self.signed + "\n{sha}")
        self._scope_tail = f"/{keys.region}/{keys.service}/aws4_request"

    def build(self, host: str, path: str, query: list[tuple[str, str]], date: str, inv: str,
              sha: str = EMPTY_SHA256, **values: str) -> tuple[bytes, str]:
        """(request head, signature) for `path` (unencoded) and `query` (in wire order)."""
        epath = uri_path(path)
        if query:
            enc = [(uri_value(k), uri_value(v)) for k, v in query]
            target = epath + "?" + "&".join(f"{k}={v}" for k, v in enc)
            cquery = "&".join(f"{k}={v}" for k, v in sorted(enc))
        else:
            target, cquery = epath, ""
        f = dict(values, method=self.method, path=epath, cquery=cquery, host=host, date=date, sha=sha, inv=inv,
                 target=target)
        sig = self.keys.sign(date, self._canon.format_map(f))
        f["auth"] = (f"AWS4-HMAC-SHA256 Credential={self.access_key}/{date[:8]}{self._scope_tail}, "
                     f"SignedHeaders={self.signed}, Signature={sig}")
        return self._wire.format_map(f).encode("latin-1"), sig


class PresignV4:
    """Query-signed SigV4 GET URLs in botocore's parameter order (taken from a URL it made)."""

    def __init__(self, sample_url: str, access_key: str, keys: SigningKeys):
        self.order = [k for k, _ in parse_qsl(urlsplit(sample_url).query, keep_blank_values=True)]
        if set(self.order) != {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
                               "X-Amz-SignedHeaders", "X-Amz-Signature"}:
            raise RuntimeError(f"unexpected presigned V4 URL: {sample_url}")
        self.access_key, self.keys = access_key, keys

    def url(self, host: str, path: str, date: str, expires: int) -> tuple[str, str]:
        """(path?query, signature)."""
        epath = uri_path(path)
        # Every value but the credential is made of unreserved characters: only it needs encoding.
        enc = {"X-Amz-Algorithm": "AWS4-HMAC-SHA256",
               "X-Amz-Credential": uri_value(f"{self.access_key}/{date[:8]}/{self.keys.region}/{self.keys.service}/aws4_request"),
               "X-Amz-Date": date, "X-Amz-Expires": str(expires), "X-Amz-SignedHeaders": "host"}
        cquery = "&".join(f"{k}={enc[k]}" for k in sorted(enc))
        sig = self.keys.sign(date, f"GET\n{epath}\n{cquery}\nhost:{host}\n\nhost\nUNSIGNED-PAYLOAD")
        enc["X-Amz-Signature"] = sig
        return epath + "?" + "&".join(f"{k}={enc[k]}" for k in self.order), sig


class PresignV2:
    """boto3's default presigned GET URL (SigV2 query auth: AWSAccessKeyId, Signature, Expires)."""

    def __init__(self, sample_url: str, access_key: str, secret: str):
        self.order = [k for k, _ in parse_qsl(urlsplit(sample_url).query, keep_blank_values=True)]
        if set(self.order) != {"AWSAccessKeyId", "Signature", "Expires"}:
            raise RuntimeError(f"unexpected presigned V2 URL: {sample_url}")
        self.access_key = access_key
        self.mac = hmac.new(secret.encode(), digestmod=hashlib.sha1)

    def url(self, path: str, expires: int) -> tuple[str, str]:
        epath = uri_path(path)
        m = self.mac.copy()
        m.update(f"GET\n\n\n{expires}\n{epath}".encode())
        sig = base64.b64encode(m.digest()).decode()
        p = {"AWSAccessKeyId": uri_value(self.access_key), "Signature": quote(sig, safe=""), "Expires": str(expires)}
        return epath + "?" + "&".join(f"{k}={p[k]}" for k in self.order), sig


class PlainTemplate:
    """An unsigned client's header set (curl, a browser), for GETs of presigned URLs and the nginx references:
    the head as recorded, with the request target, Host and Content-Length filled in."""

    def __init__(self, fields: list[tuple[str, str]]):
        self.fields = fields
        self.header_names = [k for k, _ in fields]

    def build(self, method: str, target: str, host: str, content_length: int | None = None) -> bytes:
        lines = [f"{method} {target} HTTP/1.1"]
        for k, v in self.fields:
            if k.lower() == "host":
                v = host
            lines.append(f"{k}: {v}")
        if content_length is not None:
            lines.append(f"Content-Length: {content_length}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


# A cross-origin fetch() of a presigned URL from a page at http://localhost:5173, as Debian's Chromium 156
# sent it over HTTP/1.1 when recorded (2026-12-06, `chromium --headless=new`, a page whose script calls
# fetch(url)): the header set, order and values, with the headless User-Agent's "HeadlessChrome" written
# "Chrome" as a browser window sends it.
CHROMIUM_FETCH = [
    ("Host", ""),
    ("Connection", "keep-alive"),
    ("sec-ch-ua-platform", '"Linux"'),
    ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"),
    ("sec-ch-ua", '"Not:A-Brand";v="8", "Chromium";v="156"'),
    ("sec-ch-ua-mobile", "?0"),
    ("Accept", "*/*"),
    ("Origin", "http://localhost:5173"),
    ("Sec-Fetch-Site", "cross-site"),
    ("Sec-Fetch-Mode", "cors"),
    ("Sec-Fetch-Dest", "empty"),
    ("Referer", "http://localhost:5173/"),
    ("Accept-Encoding", "gzip, deflate, br, zstd"),
    ("Accept-Language", "en-US,en;q=0.9"),
]


# ---------------------------------------------------------------------------------------------
# Taking the shapes from the clients, and checking this signer against them

class Shapes:
    """Every request shape the bench sends, taken from boto3 and curl as installed, checked byte for byte."""

    def __init__(self, access_key: str, secret: str, region: str, log=print):
        import boto3
        import botocore

        self.keys = SigningKeys(secret, region)
        self.access_key, self.secret = access_key, secret
        self.versions = f"boto3 {boto3.__version__}, botocore {botocore.__version__}"
        try:
            import awscrt  # noqa: F401  botocore signs with awscrt when it is installed
            self.versions += ", awscrt installed (botocore signs with it)"
        except ImportError:
            self.versions += ", no awscrt"
        rec = Recorder()
        try:
            self._capture(rec, boto3, log)
        finally:
            rec.close()

    def _capture(self, rec: Recorder, boto3, log) -> None:
        ak, sk = self.access_key, self.secret
        host = f"{HOST}:{rec.port}"
        # boto3 as a user makes it: default configuration (s3v4, checksums when supported), path style.
        c = boto3.client("s3", endpoint_url=rec.endpoint, aws_access_key_id=ak, aws_secret_access_key=sk,
                         region_name=self.keys.region)
        checked = []

        def check_header(tpl: HeaderTemplate, head: bytes, body: bytes, path: str, query, **values):
            f = {k.lower(): v for k, v in parse_head(head)[2]}
            vals = {VARIABLE[k]: f[k] for k in ("x-amz-checksum-crc32", "x-amz-checksum-crc64nvme", "content-length")
                    if k in f}
            if f["x-amz-content-sha256"] != hashlib.sha256(body).hexdigest():
                raise RuntimeError("botocore's x-amz-content-sha256 is not the body's SHA-256")
            mine, _ = tpl.build(host, path, query, f["x-amz-date"], f["amz-sdk-invocation-id"],
                                f["x-amz-content-sha256"], **vals)
            if tpl.dropped:  # compare with the dropped headers put back where botocore had them
                mine = HeaderTemplate(head, ak, self.keys).build(host, path, query, f["x-amz-date"],
                                                                  f["amz-sdk-invocation-id"], f["x-amz-content-sha256"],
                                                                  **vals)[0]
            if mine != head:
                raise RuntimeError(f"the bench's signer differs from botocore:\n{head!r}\n{mine!r}")
            checked.append(tpl.method)

        # get_object: two keys, to check more than one signature.
        for key in ("get4k/0000", "get4k/0001"):
            c.get_object(Bucket="bench", Key=key)["Body"].read()
            head, body = rec.take()
            if key.endswith("0000"):
                self.get_object = HeaderTemplate(head, ak, self.keys)
            check_header(self.get_object, head, body, f"/bench/{key}", [])
        # put_object: bytes of 4 KiB, as an application passes them. botocore sends Expect: 100-continue
        # and waits for the interim answer before the body; wrk cannot (it takes the `100 Continue` for
        # the response), so the wrk shape leaves that one header out (see run.py).
        for n in range(2):
            data = os.urandom(4096)
            c.put_object(Bucket="bench", Key=f"put4k/{n:04d}", Body=data)
            head, body = rec.take()
            if body != data:
                raise RuntimeError("recorded put_object body differs")
            if n == 0:
                self.put_object_recorded = head
                self.put_object = HeaderTemplate(head, ak, self.keys, drop=("expect",))
                self.put_object_expect = HeaderTemplate(head, ak, self.keys)
            check_header(self.put_object, head, body, f"/bench/put4k/{n:04d}", [])
        # upload_part with a CRC64NVME checksum (the upload created with x-amz-checksum-algorithm CRC64NVME).
        for n in (1, 2):
            data = os.urandom(1000 + n)
            c.upload_part(Bucket="mpu", Key="mpu-check", UploadId="Up+load/Id=", PartNumber=n, Body=data,
                          ChecksumAlgorithm="CRC64NVME")
            head, body = rec.take()
            if n == 1:
                self.upload_part = HeaderTemplate(head, ak, self.keys)
            check_header(self.upload_part, head, body, "/mpu/mpu-check",
                         [("uploadId", "Up+load/Id="), ("partNumber", str(n))])
        # complete_multipart_upload with part CRC64NVMEs and the full-object checksum.
        parts = [{"PartNumber": n, "ETag": f'"{n:032x}"', "ChecksumCRC64NVME": "AAAAAAAAAAA="} for n in (1, 2)]
        c.complete_multipart_upload(Bucket="mpu", Key="mpu-check", UploadId="Up+load/Id=",
                                    MultipartUpload={"Parts": parts}, ChecksumCRC64NVME="AAAAAAAAAAA=",
                                    ChecksumType="FULL_OBJECT")
        head, body = rec.take()
        self.complete = HeaderTemplate(head, ak, self.keys)
        self.complete_body_prefix = body[:body.index(b"<Part>")]
        if complete_xml([(1, parts[0]["ETag"], "AAAAAAAAAAA="), (2, parts[1]["ETag"], "AAAAAAAAAAA=")],
                        self.complete_body_prefix) != body:
            raise RuntimeError(f"complete_multipart_upload body differs: {body!r}")
        check_header(self.complete, head, body, "/mpu/mpu-check", [("uploadId", "Up+load/Id=")])

        # Presigned GET URLs: SigV4 with this client's signature_version s3v4; SigV2 from a default client.
        from botocore.config import Config
        c4 = boto3.client("s3", endpoint_url=rec.endpoint, aws_access_key_id=ak, aws_secret_access_key=sk,
                          region_name=self.keys.region, config=Config(signature_version="s3v4"))
        for key in ("get4k/0000", "get4k/0001"):
            url = c4.generate_presigned_url("get_object", Params={"Bucket": "bench", "Key": key}, ExpiresIn=3600)
            self.presign_v4 = PresignV4(url, ak, self.keys)
            q = dict(parse_qsl(urlsplit(url).query))
            mine = f"http://{host}" + self.presign_v4.url(host, f"/bench/{key}", q["X-Amz-Date"], int(q["X-Amz-Expires"]))[0]
            if mine != url:
                raise RuntimeError(f"presigned V4 URL differs from botocore's:\n{url}\n{mine}")
            self.presign_v4_sample = url
            url = c.generate_presigned_url("get_object", Params={"Bucket": "bench", "Key": key}, ExpiresIn=3600)
            self.presign_v2 = PresignV2(url, ak, self.secret)
            q = dict(parse_qsl(urlsplit(url).query))
            mine = f"http://{host}" + self.presign_v2.url(f"/bench/{key}", int(q["Expires"]))[0]
            if mine != url:
                raise RuntimeError(f"presigned V2 URL differs from botocore's:\n{url}\n{mine}")
            self.presign_v2_sample = url
            checked += ["presign-v4", "presign-v2"]

        # curl's own header set for a GET (the presigned shapes, and the nginx references).
        r = subprocess.run(["curl", "-sS", "-o", "/dev/null", f"{rec.endpoint}/bench/get4k/0000"], capture_output=True,
                           timeout=30, stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            raise RuntimeError(f"curl: {r.stderr.decode(errors='replace')}")
        head, _ = rec.take()
        self.curl_get = PlainTemplate(parse_head(head)[2])
        if self.curl_get.build("GET", "/bench/get4k/0000", host) != head:
            raise RuntimeError(f"curl head not reproduced: {head!r}")
        self.browser_get = PlainTemplate(CHROMIUM_FETCH)
        self.checked = len(checked)
        log(f"request shapes from {self.versions}, {self.curl_user_agent}: {self.checked} requests and URLs "
            "signed by botocore and by the bench's signer, byte for byte equal")

    @property
    def curl_user_agent(self) -> str:
        return dict(self.curl_get.fields).get("User-Agent", "curl")

    def describe(self) -> dict[str, list[str]]:
        return {"get_object": self.get_object.header_names, "put_object": self.put_object.header_names,
                "put_object (as botocore sends it)": [k for k, _ in parse_head(self.put_object_recorded)[2]],
                "upload_part": self.upload_part.header_names,
                "complete_multipart_upload": self.complete.header_names,
                "curl GET": self.curl_get.header_names, "Chromium fetch": self.browser_get.header_names}


def complete_xml(parts: list[tuple[int, str, str]], prefix: bytes) -> bytes:
    """CompleteMultipartUpload's body as botocore writes it: (part number, ETag, CRC64NVME) per part."""
    return prefix + "".join(
        f"<Part><PartNumber>{n}</PartNumber><ETag>{e}</ETag>"
        f"<ChecksumCRC64NVME>{c}</ChecksumCRC64NVME></Part>" for n, e, c in parts).encode() + b"</CompleteMultipartUpload>"


# ---------------------------------------------------------------------------------------------
# Sending many prepared requests (setup work: uploads whose time is not a figure)

def send_all(port: int, n: int, make, conns: int = 16, timeout: float = 900) -> list[tuple[int, dict[str, str], bytes]]:
    """Sends requests make(0) .. make(n-1) (whole requests as bytes) over `conns` keep-alive connections to
    127.0.0.1:port; returns (status, lower-case headers, body) per request, in order. An interim
    `100 Continue` is read past. Raises on the first status other than 200."""

    async def main():
        results: list = [None] * n
        it = iter(range(n))

        async def worker():
            reader, writer = await asyncio.open_connection(HOST, port, limit=1 << 20)
            try:
                for i in it:
                    writer.write(make(i))
                    await writer.drain()
                    while True:
                        head = await reader.readuntil(b"\r\n\r\n")
                        lines = head.decode("latin-1").split("\r\n")
                        status = int(lines[0].split(" ", 2)[1])
                        h = {}
                        for line in lines[1:]:
                            if line:
                                k, v = line.split(":", 1)
                                h[k.strip().lower()] = v.strip()
                        if status == 100:
                            continue
                        body = await reader.readexactly(int(h.get("content-length", "0")))
                        break
                    if status != 200:
                        raise RuntimeError(f"request {i}: HTTP {status}: {body[:300].decode(errors='replace')}")
                    results[i] = (status, h, body)
            finally:
                writer.close()

        await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(min(conns, n)))), timeout)
        return results

    return asyncio.run(main())
