#!/usr/bin/env python3
"""Writes the seed corpora in Fuzz/corpus/<target>/ from the recorded client requests
(Fixtures/wire/*.jsonl) and the documents the unit tests use. Deterministic: rerunning it
rewrites the same files. Run from the repository root: python3 Fuzz/make_corpus.py"""
import base64, glob, hashlib, hmac, json, os, re, shutil, struct

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Fuzz", "corpus")
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
AKID = "AKIAIOSFODNN7EXAMPLE"


def records():
    for path in sorted(glob.glob(os.path.join(ROOT, "Fixtures", "wire", "*.jsonl"))):
        with open(path) as f:
            for line in f:
                r = json.loads(line)
                r["_file"] = os.path.basename(path)
                yield r


def header(r, name):
    for k, v in r["headers"]:
        if k.lower() == name:
            return v
    return None


def body(r):
    b64 = r["body"].get("b64")
    return base64.b64decode(b64) if b64 else b""


def http_dechunk(data):
    out, i = b"", 0
    while True:
        j = data.find(b"\r\n", i)
        if j < 0:
            return out
        size = int(data[i:j].split(b";")[0], 16)
        if size == 0:
            return out
        out += data[j + 2:j + 2 + size]
        i = j + 2 + size + 2


def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def request_text(method, target, headers, vhost=None):
    first = f"{method} {target}" + (f" {vhost}" if vhost else "")
    return "\n".join([first] + [f"{k}: {v}" for k, v in headers]) + "\n"


def vhost_of(r):
    host = header(r, "host") or ""
    name = host.split(":")[0]
    if r.get("style") == "virtual-hosted" and name.endswith(".localhost"):
        return name[: -len(".localhost")]
    return None


def v2_string_to_sign(method, path, headers, date_line, bucket=None):
    """As Verifier.stringToSignV2 builds it (sub-resources omitted: the seeds use none)."""
    h = {k.lower(): v.strip() for k, v in reversed(headers)}
    amz = {}
    for k, v in headers:
        if k.lower().startswith("x-amz-"):
            amz.setdefault(k.lower(), []).append(v.strip())
    out = f"{method}\n{h.get('content-md5', '')}\n{h.get('content-type', '')}\n{date_line}\n"
    out += "".join(f"{k}:{','.join(amz[k])}\n" for k in sorted(amz))
    return out + (f"/{bucket}" if bucket else "") + (path or "/")


def sign_v2(sts):
    return base64.b64encode(hmac.new(SECRET.encode(), sts.encode(), hashlib.sha1).digest()).decode()


def sign_v4_policy(policy, date, region="us-east-1"):
    k = ("AWS4" + SECRET).encode()
    for part in (date, region, "s3", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return hmac.new(k, policy.encode(), hashlib.sha256).hexdigest()


def form_fields(r):
    """(fields before the file part, file part's Content-Disposition) of a multipart/form-data body."""
    boundary = re.search(r'boundary=("?)([^";]+)\1', header(r, "content-type")).group(2).encode()
    fields, disposition = [], None
    for part in body(r).split(b"--" + boundary)[1:]:
        if part.startswith(b"--"):
            break
        head, _, value = part.partition(b"\r\n\r\n")
        cd = re.search(rb"Content-Disposition: ([^\r\n]*)", head).group(1).decode()
        name = re.search(r'name="([^"]*)"', cd).group(1)
        if name == "file":
            disposition = cd
            break
        fields.append((name, value[:-2].decode()))
    return fields, disposition


def main():
    # Rewrite every seed, but keep the inputs of fixed crashes (regression-*), which no rule here makes.
    for path in glob.glob(os.path.join(OUT, "*", "*")):
        if not os.path.basename(path).startswith("regression-"):
            os.remove(path)
    recs = list(records())

    # --- xml: request bodies as recorded, and the documents of Tests/S3XMLTests.
    seen = set()
    for r in recs:
        if r["op"] == "CompleteMultipartUpload" and r["_file"].startswith(("awscli", "boto3-1.43.11_when", "rclone", "s3cmd")):
            b = body(r)
            key = (r["_file"].split("_")[0].split("-")[0], b"Checksum" in b)
            if b and key not in seen and len(b) < 4096:
                seen.add(key)
                write("xml", f"complete-{key[0]}{'-checksums' if key[1] else ''}.xml", b)
    write("xml", "delete.xml", '<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet>'
          "<Object><Key>a b</Key></Object><Object><Key>c</Key><VersionId>v1</VersionId></Object></Delete>")
    write("xml", "create-bucket.xml", '<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
          "<LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>")
    write("xml", "lifecycle.xml", """<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
<Rule><ID>abort-mpu</ID><Filter><Prefix>uploads/ </Prefix></Filter><Status>Enabled</Status>
<AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>
<Rule><Filter/><Status>Disabled</Status><Expiration><Days>30</Days></Expiration>
<Transition><Days>1</Days><StorageClass>GLACIER</StorageClass></Transition></Rule>
<Rule><ID>legacy</ID><Prefix>logs/</Prefix><Status>Enabled</Status><Expiration><Date>2030-01-01T00:00:00.000Z</Date></Expiration></Rule>
<Rule><Filter><And><Prefix>tmp/</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></And></Filter><Status>Enabled</Status>
<Expiration><Days>1</Days></Expiration></Rule>
</LifecycleConfiguration>""")
    ns = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'
    for name, doc in [("tagging", f'<Tagging {ns}><TagSet><Tag><Key>a b</Key><Value> v&amp;</Value></Tag><Tag><Key>k</Key><Value/></Tag></TagSet></Tagging>'),
                      ("object-lock", f'<ObjectLockConfiguration {ns}><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention>'
                                      '<Mode>GOVERNANCE</Mode><Days>30</Days></DefaultRetention></Rule></ObjectLockConfiguration>'),
                      ("retention", f'<Retention {ns}><Mode>COMPLIANCE</Mode><RetainUntilDate>2030-01-01T00:00:00.000Z</RetainUntilDate></Retention>'),
                      ("legal-hold", f'<LegalHold {ns}><Status>ON</Status></LegalHold>'),
                      ("public-access-block", f'<PublicAccessBlockConfiguration {ns}><BlockPublicAcls>true</BlockPublicAcls>'
                                              '<RestrictPublicBuckets>false</RestrictPublicBuckets></PublicAccessBlockConfiguration>'),
                      ("ownership", f'<OwnershipControls {ns}><Rule><ObjectOwnership>BucketOwnerEnforced</ObjectOwnership></Rule></OwnershipControls>'),
                      ("encryption", f'<ServerSideEncryptionConfiguration {ns}><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256'
                                     '</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true</BucketKeyEnabled></Rule>'
                                     '</ServerSideEncryptionConfiguration>'),
                      ("versioning", f'<VersioningConfiguration {ns}><Status>Enabled</Status><MfaDelete>Disabled</MfaDelete></VersioningConfiguration>')]:
        write("xml", f"{name}.xml", doc)
    write("xml", "hostile-doctype.xml", '<?xml version="1.0"?><!DOCTYPE Delete [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
          "<Delete><Object><Key>&e;</Key></Object></Delete>")
    write("xml", "cdata-comment-ns.xml", '<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUpload><!-- c -->'
          '<Part><PartNumber> 1 </PartNumber><ETag><![CDATA["e1"]]></ETag><x:Foo xmlns:x="urn:x"/>'
          "<ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part><?pi x?></CompleteMultipartUpload>")

    # --- sigv4: whole requests, one of each kind of authentication.
    picks = {}
    for r in recs:
        auth = header(r, "authorization") or ""
        q = r["target"].partition("?")[2]
        payload = header(r, "x-amz-content-sha256") or ""
        if auth.startswith("AWS4-"):
            kind = "v4-" + ("streaming" if payload.startswith("STREAMING") else "unsigned" if payload == "UNSIGNED-PAYLOAD" else "sha256")
            kind += "-" + r["_file"].split("-")[0] + ("-virtual" if vhost_of(r) else "")
        elif "X-Amz-Signature=" in q:
            kind = "v4-presigned" + ("-virtual" if vhost_of(r) else "")
        elif "AWSAccessKeyId=" in q:
            kind = "v2-presigned" + ("-virtual" if vhost_of(r) else "")
        elif r["op"] == "PostObject":
            kind = "post-" + ("v4" if "x-amz-signature" in body(r).decode(errors="replace") else "v2")
        else:
            continue
        picks.setdefault(kind, r)
    for kind, r in sorted(picks.items()):
        headers = [tuple(h) for h in r["headers"]]
        if kind.startswith("post-"):
            fields, _ = form_fields(r)
            headers = [(k, v) for k, v in headers if k.lower() != "content-length"] + fields
        write("sigv4", kind + ".txt", request_text(r["method"], r["target"], headers, vhost_of(r)))
    # AWS's documented signed-streaming request (Tests/SigV4Tests/ChunkedDecoderTests).
    write("sigv4", "v4-streaming-signed-aws-example.txt", request_text("PUT", "/examplebucket/chunkObject.txt", [
        ("Host", "s3.amazonaws.com"), ("x-amz-date", "20130524T000000Z"), ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
         "SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;"
         "x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"),
        ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"), ("Content-Encoding", "aws-chunked"),
        ("x-amz-decoded-content-length", "66560"), ("Content-Length", "66824")]))
    # SigV2 header auth, signed here, dated at the harness's clock (2026-11-21T16:30:00Z).
    hs = [("Host", "127.0.0.1:9000"), ("Date", "Sat, 21 Nov 2026 16:29:00 GMT"), ("Content-Type", "text/plain"),
          ("x-amz-meta-a", "1"), ("X-Amz-Meta-A", " 2 ")]
    sig = sign_v2(v2_string_to_sign("PUT", "/wire-bucket/v2.txt", hs, "Sat, 21 Nov 2026 16:29:00 GMT"))
    write("sigv4", "v2-header.txt", request_text("PUT", "/wire-bucket/v2.txt", hs + [("Authorization", f"AWS {AKID}:{sig}")]))
    hs = [("Host", "b.localhost:9000"), ("x-amz-date", "20261121T162900Z")]
    sig = sign_v2(v2_string_to_sign("GET", "/k", hs, "", bucket="b"))
    write("sigv4", "v2-header-amzdate-virtual.txt", request_text("GET", "/k", hs + [("Authorization", f"AWS {AKID}:{sig}")], "b"))

    # --- chunked: option byte, slicing seed, then a body (see Fuzz/ChunkedFuzz.swift).
    n, seen = 0, set()
    for r in recs:
        payload = header(r, "x-amz-content-sha256") or ""
        if not payload.startswith("STREAMING"):
            continue
        data = http_dechunk(body(r)) if "chunked" in r["body"]["framing"] else body(r)
        kind = (r["_file"].split("-")[0], data.count(b"\r\n"))
        if not data or len(data) > 3000 or n >= 3 or kind in seen:
            continue
        seen.add(kind)
        trailer = (header(r, "x-amz-trailer") or "").lower()
        options = 4 | (0x10 if "crc32" in trailer and "crc32c" not in trailer else 0)
        write("chunked", f"wire-{n}-{r['_file'].split('-')[0]}.bin", bytes([options, n]) + data)
        n += 1
    # Generated streams: options, seed, style, corruption, corrupt-at (2 bytes), chunks (length, data), trailer value.
    def generated(mode, trailers, style, chunks, value=b"", corrupt=0):
        out = bytes([mode | 8 | trailers, 7, style, corrupt, 0, 9])
        for c in chunks:
            out += bytes([len(c)]) + c
        return out + b"\x00" + value
    write("chunked", "gen-signed.bin", generated(2, 0, 0, [b"a" * 40, b"b" * 3]))
    write("chunked", "gen-signed-trailer.bin", generated(3, 0x10, 4, [b"hello world"], b"yglrpw=="))
    write("chunked", "gen-unsigned-trailer.bin", generated(4, 0x30 | 0x40, 2 | 8 | 16, [b"x" * 20, b"y"], b"AAAAAA=="))
    write("chunked", "gen-corrupt.bin", generated(2, 0, 1, [b"abc"], corrupt=0x20))
    write("chunked", "raw-aws-example-head.bin", bytes([2, 1]) +
          b"10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n" + b"a" * 64)

    # --- range: size selector byte, then the header (see Fuzz/RangeFuzz.swift).
    for name, size, h in [("first-ten", 100, "bytes=0-9"), ("suffix", 100, "bytes=-10"), ("open", 100, "bytes=90-"),
                          ("past-end", 100, "bytes=100-"), ("empty-object", 0, "bytes=0-0"), ("multi", 100, "bytes=0-1,3-4"),
                          ("spaces", 7, " Bytes = 1 - 2 ")]:
        write("range", name + ".bin", bytes([size]) + h.encode())
    write("range", "huge.bin", b"\xff" + struct.pack("<Q", 2**63 - 1) + b"bytes=9223372036854775806-9223372036854775807")

    # --- postpolicy: lines (see Fuzz/PostPolicyFuzz.swift) from the recorded browser uploads.
    done = set()
    for r in recs:
        if r["op"] != "PostObject":
            continue
        fields, disposition = form_fields(r)
        policy = dict((k.lower(), v) for k, v in fields).get("policy", "")
        kind = "v4" if any(k.lower() == "x-amz-signature" for k, _ in fields) else "v2"
        if kind in done:
            continue
        done.add(kind)
        policy_json = base64.b64decode(policy).decode()
        bucket = "wire-bucket"
        lines = [policy_json, policy, disposition or "", bucket, "1024"] + [f"{k}:{v}" for k, v in fields]
        write("postpolicy", f"boto3-{kind}.txt", "\n".join(lines) + "\n")
    doc = {"expiration": "2026-12-01T12:00:00.000Z", "conditions": [
        {"bucket": "b"}, ["starts-with", "$key", "user/"], ["content-length-range", 0, 1048576],
        ["eq", "$Content-Type", "text/plain"], ["starts-with", "$x-amz-meta-tag", ""]]}
    js = json.dumps(doc)
    write("postpolicy", "conditions.txt", "\n".join([
        js, base64.b64encode(js.encode()).decode(), 'form-data; name="file"; filename="C:\\dir\\a.txt"; filename*=UTF-8\'\'na%C3%AFve.txt',
        "b", "100", "key:user/${filename}", "Content-Type:text/plain", "x-amz-meta-tag:t", "X-Ignore-me:1", "policy:p"]) + "\n")
    # A V4 POST signature for the SigV4 target, too.
    pol = base64.b64encode(js.encode()).decode()
    write("sigv4", "post-v4-signed-here.txt", request_text("POST", "/b", [
        ("Host", "127.0.0.1:9000"), ("x-amz-algorithm", "AWS4-HMAC-SHA256"),
        ("x-amz-credential", f"{AKID}/20261121/us-east-1/s3/aws4_request"), ("x-amz-date", "20261121T162900Z"),
        ("policy", pol), ("x-amz-signature", sign_v4_policy(pol, "20261121"))]))


    # --- formdata: byte 0 = options (bit 0: described body), byte 1 = slicing seed, then (raw) a
    # Content-Type line and the body as sent (see Fuzz/FormDataFuzz.swift).
    done = set()
    for r in recs:
        if r["op"] != "PostObject":
            continue
        b = body(r)
        kind = "v4" if b"x-amz-signature" in b else "v2"
        if kind in done or len(b) > 4000:
            continue
        done.add(kind)
        write("formdata", f"post-boto3-{kind}.bin", bytes([0, 7]) + header(r, "content-type").encode() + b"\n" + b)
    # The task API's chunk upload as python-requests sends it (files={"chunk": ("blob", data)}).
    tb = "7d6f3f0c1e2a4b5c8d9e0f1a2b3c4d5e"
    write("formdata", "task-requests.bin", bytes([0, 3]) + f"multipart/form-data; boundary={tb}\n".encode()
          + f"--{tb}\r\nContent-Disposition: form-data; name=\"chunk\"; filename=\"blob\"\r\n\r\n".encode()
          + bytes(range(256)) + f"\r\n--{tb}--\r\n".encode())
    # A browser form: preamble-free, quoted boundary, a field after the file, an epilogue.
    wb = "----WebKitFormBoundary7MA4YWxkTrZu0gW"
    parts = [("key", None, b"user/${filename}"), ("policy", None, b"eyJjb25kaXRpb25zIjpbXX0="),
             ("file", 'C:\\dir\\a.txt', b"line 1\r\nline 2\r\n--not-the-boundary\r\n"), ("after", None, b"x")]
    text = b"".join(f"--{wb}\r\nContent-Disposition: form-data; name=\"{n}\"".encode()
                    + (f"; filename=\"{f}\"".encode() if f else b"") + b"\r\n\r\n" + v + b"\r\n" for n, f, v in parts)
    write("formdata", "browser-quoted.bin", bytes([0, 9]) + f'multipart/form-data; boundary="{wb}"\n'.encode()
          + text + f"--{wb}--\r\nepilogue".encode())
    # Described bodies: style, boundary length and bytes, then parts (kind, length, data).
    def described(style, boundary, parts):
        out = bytes([1, 5, style, len(boundary) - 1]) + boundary
        for kind, data in parts:
            out += bytes([kind, len(data)]) + data
        return out
    write("formdata", "described-task.bin", described(0, b"abc", [(2, b"k"), (0, b"chunk data \r\n-- here")]))
    write("formdata", "described-post.bin", described(2 | 4 | 8, b"x" * 40, [(2, b"user/a"), (3, b"cG9saWN5"),
                                                                             (1 | 16 | 32, b"file bytes"), (0, b"late")]))
    write("formdata", "described-quoted.bin", described(1, b"a:b=c?d", [(0 | 16, b""), (1, b"\r\n\r\n")]))
    s3request_seeds(recs)
    attributes_seeds()
    taskapi_seeds(recs)
    policy_seeds(recs)


S3REQUEST_HEADERS = ("x-amz-copy-source", "x-amz-copy-source-range", "if-match", "if-none-match", "if-modified-since",
                     "if-unmodified-since", "content-md5", "x-amz-sdk-checksum-algorithm", "content-type")


def fe(parser, name, data):
    """A seed of the frontend target (Fuzz/FrontEndFuzz.swift): its selector byte for `parser`, then the input."""
    data = data.encode() if isinstance(data, str) else data
    if parser == "attributes":
        data = bytes([6 + data[0]]) + data[1:]
    else:
        data = bytes([{"taskapi": 9, "policy": 10}[parser]]) + data
    write("frontend", f"{parser}-{name}", data)


def policy_seeds(recs):
    """policy: bucket policies for bucket "b" (Fuzz/PolicyFuzz.swift): those the clients sent, and every operator
    and key the evaluator knows."""
    for i, r in enumerate(x for x in recs if x["op"] == "PutBucketPolicy"):
        fe("policy", f"recorded-{i}.json", body(r).replace(b"wire-bucket", b"b"))
    u = "arn:aws:iam::tessera:user/alice"
    docs = {
        "public-read": {"Version": "2012-10-17", "Statement": [{"Sid": "p", "Effect": "Allow", "Principal": "*",
                        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]},
        "deny-insecure": {"Statement": {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:*",
                          "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"], "Condition": {"Bool": {"aws:SecureTransport": False}}}},
        "conditions": {"Version": "2008-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": [u], "CanonicalUser": "0" * 64},
                       "NotAction": ["s3:Delete*", "s3:Put?bject"], "NotResource": "arn:aws:s3:::b/secret/*",
                       "Condition": {"IpAddress": {"aws:SourceIp": ["192.0.2.0/24", "2001:db8::/32"]},
                                     "NotIpAddress": {"aws:SourceIp": "192.0.2.7/32"},
                                     "StringLike": {"s3:prefix": ["home/*", ""]}, "NumericLessThanEquals": {"s3:max-keys": "10"},
                                     "DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"},
                                     "StringEqualsIgnoreCase": {"s3:x-amz-acl": "Public-Read"},
                                     "StringNotEqualsIfExists": {"s3:ExistingObjectTag/Color": "red"},
                                     "ArnLike": {"aws:SourceArn": "arn:*"}, "Null": {"s3:VersionId": "true"},
                                     "NumericGreaterThan": {"aws:EpochTime": 5}}}]},
        "not-principal": {"Statement": [{"Effect": "Deny", "NotPrincipal": {"AWS": u}, "Action": "*", "Resource": "arn:aws:s3:::*"}]},
    }
    for name, doc in docs.items():
        fe("policy", f"{name}.json", json.dumps(doc))
    fe("policy", "malformed.json", b' {"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*",')


def taskapi_seeds(recs):
    """taskapi: byte 0 even a create body, odd an mpu-complete body; byte 1 the limits (Fuzz/TaskAPIFuzz.swift).
    The bodies the recorded clients sent to the Worker and task APIs, and edge cases of the chunk plan."""
    n = 0
    for r in recs:
        b = body(r)
        if r["op"].startswith(("Tasks:create", "TasksCreate")) or b'"file_size"' in b:
            fe("taskapi", f"create-recorded-{n}.bin", bytes([0, 0]) + b); n += 1
        elif b'"parts"' in b and b'"partNumber"' in b:
            fe("taskapi", f"complete-recorded-{n}.bin", bytes([1, 0]) + b); n += 1
    md5 = "0123456789abcdef0123456789abcdef"
    for name, doc in [("plain", {"hash": md5, "file_name": "a.bin", "file_size": 12 << 20}),
                      ("all", {"hash": md5.upper() * 2, "file_name": "b", "file_size": 0, "content_type": "text/plain",
                               "pool_id": "p", "bundle_id": "q", "encrypt_password": "pw", "expired_at": "2030-01-01T00:00:00Z",
                               "chunk_size": 5 << 20}),
                      ("small-chunk", {"hash": md5, "file_name": "d", "file_size": 10, "chunk_size": 3})]:
        fe("taskapi", f"create-{name}.bin", bytes([0, 1 if name == "all" else 0]) + json.dumps(doc).encode())
    fe("taskapi", "complete-parts.bin", bytes([1, 0]) + b'{"parts":[{"partNumber":1,"etag":"\\"e1\\""},{"partNumber":2,"etag":"e2"}]}')
    fe("taskapi", "complete-r2.bin", bytes([1, 3]) + b'{"parts":[{"partNumber":1,"etag":"e1"},{"partNumber":3,"etag":"e3"},{"partNumber":5,"etag":"e5"}]}')
    fe("taskapi", "complete-order.bin", bytes([1, 0]) + b'{"parts":[{"partNumber":2,"etag":"e2"},{"partNumber":2,"etag":"e2"}]}')


def attributes_seeds():
    """attributes: byte 0 picks the column (Fuzz/AttributesFuzz.swift): described records, stored texts."""
    def lp(b):
        b = b.encode() if isinstance(b, str) else b
        return bytes([len(b)]) + b
    plain = b"".join([b"\x01" + lp("text/plain"), b"\x00", b"\x00", b"\x00", b"\x01" + lp("max-age=60"), b"\x00",
                      b"\x01" + lp("STANDARD"), b"\x02" + lp("color") + lp("blue") + lp("\u00e4\"\\") + lp("\u2028\x00"),
                      b"\x01" + lp("CRC32") + lp("yZRlqg=="), b"\x01" + lp("FULL_OBJECT"), b"\x00"])
    fe("attributes", "record-plain.bin", b"\x00" + plain)
    fe("attributes", "record-rare.bin", b"\x00" + plain[:-1] + b"\x3f" + lp("alice") + b"\x01" + lp("k") + lp("v") +
          b"\x01" + b"\x00\x10\x00\x00\x01" + b"\x01" + lp("0" * 64) + b"\x02" + lp("wrapped") + lp("master-1"))
    fe("attributes", "column-plain.bin", b"\x01" + b'{"contentType":"text/plain","userMetadata":{"a":"b"},"checksums":{}}')
    fe("attributes", "column-escapes.bin", b"\x01" + b'{"contentType":"a\\u00e4\\"","userMetadata":{},"checksums":{"CRC32":"AAAAAA=="},'
          b'"tags":[{"key":"k","value":"v"}],"legalHold":true}')
    fe("attributes", "column-damaged.bin", b"\x01" + b'{"contentType":1,"userMetadata":{}}')
    fe("attributes", "checksums.bin", b"\x02" + b'{"c":{"CRC64NVME":"ftW+pkq+STY="}}')
    fe("attributes", "checksums-dup.bin", b"\x02" + b'{"c":{"A":"1","A":"2"}}')
    fe("attributes", "checksums-escaped.bin", b"\x02" + b'{"c": {"\\u0041":"\\/x"}}')
    fe("attributes", "map.bin", b"\x02" + b'{"a":"b","c":"\\ud83d\\ude00"}')


def s3request_seeds(recs):
    """s3request: byte 0 picks the parser (Fuzz/S3RequestFuzz.swift). Every distinct request head the
    clients sent (per operation and client), their copy sources, dates, checksums and list markers."""
    seen = set()
    for r in recs:
        client = r["_file"].split("_")[0]
        key = (r["op"], client, r.get("style"))
        if key in seen:
            continue
        seen.add(key)
        host = header(r, "host") or ""
        kept = [(k, v) for k, v in r["headers"] if k.lower() in S3REQUEST_HEADERS or k.lower().startswith("x-amz-checksum-")]
        name = re.sub(r"[^A-Za-z0-9.-]", "_", f"{r['op']}-{client}-{r.get('style')}")
        vhost = r.get("style") == "virtual"
        text = "\n".join([r["method"], r["target"], host] + [f"{k}: {v}" for k, v in kept]) + "\n"
        write("frontend", f"request-endpoint-{name}.bin", bytes([1, 1 if vhost else 0]) + text.encode())
        write("frontend", f"request-path-{name}.bin", bytes([0]) + r["target"].encode())
        if header(r, "x-amz-copy-source"):
            write("frontend", f"request-copy-{name}.bin", bytes([2, 200]) + (header(r, "x-amz-copy-source") + "\n" +
                  (header(r, "x-amz-copy-source-range") or "bytes=0-99")).encode())
        for k, v in kept:
            if k.lower() == "content-md5" or k.lower().startswith("x-amz-checksum-"):
                write("frontend", f"request-checksum-{name}-{k.lower()}.bin", bytes([4]) + v.encode())
    for i, (name, value) in enumerate([("token", "a2V5LzE="), ("token-url", "w6Qvyg-_"), ("version", "null"),
                                       ("version-id", "000000000000002a"), ("key", "photos/2006/Jan/\u00e4.jpg")]):
        write("frontend", f"request-marker-{name}.bin", bytes([5]) + value.encode())
    for name, lines in [("imf", ['"0123456789abcdef0123456789abcdef"', "*", "Sun, 06 Nov 1994 08:49:37 GMT",
                                 "Sunday, 06-Nov-94 08:49:37 GMT"]),
                        ("asctime", ["", "", "Sun Nov  6 08:49:37 1994", "Wed, 12 Oct 2009 17:50:00 +0000"]),
                        ("lists", ['"a", "b",*', "W/\"x\"", "sunday, 6 nov 1994 8:49:37 utc", "Thu, 01 Jan 1970 00:00:00 EST"])]:
        write("frontend", f"request-conditional-{name}.bin", bytes([3]) + struct.pack("<Q", 784111777) + "\n".join(lines).encode())
    write("frontend", "request-copy-version.bin", bytes([2, 255]) + b"/b/a%2Fb%20c?versionId=000000000000002a\nbytes=0-254")
    write("frontend", "request-query-repeated.bin", bytes([0]) + b"/b/k%E2%82%AC?a=1&a=2&b&=c&d=%zz&e=+%2B")


if __name__ == "__main__":
    main()
