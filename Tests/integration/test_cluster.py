"""Several gateways over one PostgreSQL and one blob directory (issue 15, first slice).

A throwaway PostgreSQL (Tests/postgres/throwaway-postgres.sh, owned by this pytest process) and three
``tessera serve --metadata-url … --data-dir <shared>`` processes on loopback ports, for the whole module;
boto3 and the aws CLI as clients. What one gateway acknowledges, every other one sees; two gateways
racing on one upload leave one object and no orphan blob; a gateway starting on the shared directory
leaves the others' writes in flight alone; the URL's password appears in no log.

PostgreSQL's server binaries are required: without them these tests fail (they never skip).
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import http.client
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from daemon import ACCESS_KEY, BIN, REPO, SECRET_KEY, client, free_port, wait_listening
from itutil import KiB, MiB, random_bytes
from gateway import Gateway, fsck
from pgserver import PASSWORD, postgres, psql_rows  # noqa: F401 (postgres: the module's throwaway server, a fixture)

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="module")
def cluster(postgres, tmp_path_factory):
    root = tmp_path_factory.mktemp("cluster")
    shared = root / "shared"
    gateways: list[Gateway] = []
    try:
        for i in range(3):
            extra = ("--admin-listen", f"127.0.0.1:{free_port()}") if i == 0 else ()
            gateways.append(Gateway(root, f"gw{i + 1}", postgres, shared, *extra))
        yield root, shared, postgres, gateways
    finally:
        for g in gateways:
            g.stop()


def new_bucket(g: Gateway) -> str:
    name = "cluster-" + uuid.uuid4().hex[:12]
    g.s3.create_bucket(Bucket=name)
    return name


def error_code(call) -> str:
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response["Error"]["Code"]


def test_bucket_made_on_one_gateway_is_listed_by_another(cluster):
    _, _, _, (g1, _, g3) = cluster
    name = "cluster-" + uuid.uuid4().hex[:12]
    g1.cli.aws("s3", "mb", f"s3://{name}")
    assert name in [b["Name"] for b in g3.s3.list_buckets()["Buckets"]]
    assert name in [b["Name"] for b in g3.cli.aws_json("s3api", "list-buckets")["Buckets"]]


def test_multipart_across_gateways(cluster):
    _, _, _, (g1, g2, g3) = cluster
    bucket = new_bucket(g1)
    upload = g1.s3.create_multipart_upload(Bucket=bucket, Key="big")["UploadId"]
    parts = [random_bytes(5 * MiB), random_bytes(5 * MiB), random_bytes(5 * MiB), random_bytes(1 * MiB + 17)]

    def send(n: int):
        g = (g1, g2)[n % 2]
        return n, g.s3.upload_part(Bucket=bucket, Key="big", UploadId=upload, PartNumber=n, Body=parts[n - 1])["ETag"]

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        etags = dict(pool.map(send, range(1, len(parts) + 1)))
    done = g3.s3.complete_multipart_upload(
        Bucket=bucket, Key="big", UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": etags[n]} for n in sorted(etags)]})
    digests = b"".join(hashlib.md5(p).digest() for p in parts)
    expected_etag = f'"{hashlib.md5(digests).hexdigest()}-{len(parts)}"'
    assert done["ETag"] == expected_etag
    got = g1.s3.get_object(Bucket=bucket, Key="big")
    assert got["ETag"] == expected_etag
    assert hashlib.sha256(got["Body"].read()).hexdigest() == hashlib.sha256(b"".join(parts)).hexdigest()


@pytest.mark.parametrize("size", [100, 20 * KiB, 1 * MiB], ids=["100B", "20KiB-inline", "1MiB"])
def test_overwrite_is_seen_at_once_by_another_gateway(cluster, size):
    _, _, _, (g1, g2, _) = cluster
    bucket = new_bucket(g2)
    base = bytearray(random_bytes(size))
    for i in range(200):
        base[:8] = i.to_bytes(8, "big")  # every round a different body
        body = bytes(base)
        g2.s3.put_object(Bucket=bucket, Key="k", Body=body)
        got = g1.s3.get_object(Bucket=bucket, Key="k")
        assert got["ETag"] == f'"{hashlib.md5(body).hexdigest()}"', f"round {i}: a stale ETag"
        assert got["Body"].read() == body, f"round {i}: stale bytes"


def test_delete_on_one_gateway_is_404_on_another(cluster, tmp_path):
    _, _, _, (g1, _, g3) = cluster
    bucket = new_bucket(g1)
    for key, size in (("small", 10), ("large", 100 * KiB)):
        g1.s3.put_object(Bucket=bucket, Key=key, Body=random_bytes(size))
        g1.s3.head_object(Bucket=bucket, Key=key)
        g3.cli.aws("s3", "rm", f"s3://{bucket}/{key}")
        assert error_code(lambda: g1.s3.head_object(Bucket=bucket, Key=key)) == "404"
        assert error_code(lambda: g1.s3.get_object(Bucket=bucket, Key=key)) == "NoSuchKey"


def test_key_created_with_the_cli_works_on_every_gateway(cluster):
    _, shared, _, gateways = cluster
    bucket = new_bucket(gateways[0])
    for round in range(2):  # a second key, made while the gateways hold the first in their caches
        out = subprocess.run([BIN, "keys", "create", "--bucket", bucket, "--data-dir", str(shared)],
                             capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out.stderr
        ak = re.search(r"access key: (\S+)", out.stdout).group(1)
        sk = re.search(r"secret key: (\S+)", out.stdout).group(1)
        for i, g in enumerate(gateways):
            scoped = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{g.port}", region_name="us-east-1",
                                  aws_access_key_id=ak, aws_secret_access_key=sk, config=Config(retries={"total_max_attempts": 1}))
            scoped.put_object(Bucket=bucket, Key=f"by-{round}-{i}", Body=b"x" * i)
            assert scoped.get_object(Bucket=bucket, Key=f"by-{round}-{i}")["Body"].read() == b"x" * i
        other = new_bucket(gateways[0])
        assert error_code(lambda: scoped.put_object(Bucket=other, Key="no", Body=b"")) == "AccessDenied"


def test_list_multipart_uploads_agrees_on_every_node(cluster):
    _, _, _, gateways = cluster
    bucket = new_bucket(gateways[0])
    made = {(f"key-{i}", g.s3.create_multipart_upload(Bucket=bucket, Key=f"key-{i}")["UploadId"])
            for i, g in enumerate(gateways)}
    for g in gateways:
        listed = g.cli.aws_json("s3api", "list-multipart-uploads", "--bucket", bucket)
        assert {(u["Key"], u["UploadId"]) for u in listed.get("Uploads", [])} == made
    for key, upload in made:
        gateways[0].s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload)
    for g in gateways:
        assert g.s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_racing_completions_one_wins_both_answer_and_nothing_is_orphaned(cluster):
    _, shared, url, (g1, g2, g3) = cluster
    bucket = new_bucket(g1)
    for round in range(5):
        key = f"raced-{round}"
        upload = g1.s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
        parts = [random_bytes(5 * MiB), random_bytes(100 * KiB)]
        etags = [g1.s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=n + 1, Body=p)["ETag"]
                 for n, p in enumerate(parts)]
        spec = {"Parts": [{"PartNumber": n + 1, "ETag": e} for n, e in enumerate(etags)]}

        def complete(g):
            try:
                return g.s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload, MultipartUpload=spec)["ETag"]
            except ClientError as e:
                return e.response["Error"]["Code"]

        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            outcomes = list(pool.map(complete, (g2, g3)))
        # The store locks the upload row: one completes it, the other finds it gone and, asking for the same
        # part list, gets the winner's recorded answer (a retried completion, as S3 answers it): one object.
        assert outcomes[0] == outcomes[1] and outcomes[0].endswith('-2"'), outcomes
        assert g1.s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"".join(parts)
    r = fsck(shared, url)
    assert r.returncode == 0 and "fsck: no problems" in r.stdout, r.stdout + r.stderr
    assert "orphan(s)" in r.stdout and " 0 orphan(s)" in r.stdout, r.stdout


def signed_put(port: int, bucket: str, key: str, body: bytes) -> tuple[http.client.HTTPConnection, dict]:
    """The headers of a SigV4-signed PUT of `body` (its sha256 signed), to send by hand."""
    url = f"http://127.0.0.1:{port}/{bucket}/{key}"
    req = AWSRequest(method="PUT", url=url, data=body, headers={"Content-Length": str(len(body))})
    S3SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", "us-east-1").add_auth(req)
    return http.client.HTTPConnection("127.0.0.1", port, timeout=60), dict(req.headers.items())


def test_starting_gateway_leaves_another_gateways_write_in_flight_alone(cluster):
    root, shared, url, (g1, _, _) = cluster
    bucket = new_bucket(g1)
    body = random_bytes(4 * MiB)
    conn, headers = signed_put(g1.port, bucket, "slow", body)
    conn.putrequest("PUT", f"/{bucket}/slow", skip_accept_encoding=True)
    for k, v in headers.items():
        conn.putheader(k, v)
    conn.endheaders()
    half = len(body) // 2
    for i in range(0, half, 64 * KiB):
        conn.send(body[i:i + 64 * KiB])
    deadline = time.time() + 10
    while not list((shared / "tmp").glob("*.tmp")):
        assert time.time() < deadline, "gateway 1 wrote no temporary"
        time.sleep(0.05)
    g4 = Gateway(root, "gw4", url, shared)  # its start-up sweep has run once it listens
    try:
        assert list((shared / "tmp").glob("*.tmp")), "gateway 4's start-up sweep removed gateway 1's temporary"
        for i in range(half, len(body), 64 * KiB):
            conn.send(body[i:i + 64 * KiB])
        response = conn.getresponse()
        assert response.status == 200, response.read()
        assert response.getheader("ETag") == f'"{hashlib.md5(body).hexdigest()}"'
        assert g4.s3.get_object(Bucket=bucket, Key="slow")["Body"].read() == body
        assert re.search(r"start-up sweep.*temporaries=0", g4.log.read_text()), g4.log.read_text()
    finally:
        conn.close()
        g4.stop()


def test_bad_or_unreachable_database_fails_without_the_password(tmp_path):
    for bad in (f"postgres://u:{PASSWORD}@127.0.0.1:{free_port()}/db",   # nothing listens there
                f"postgres://u:{PASSWORD}@127.0.0.1:5432/db?sslmode=maybe",
                f"mysql://u:{PASSWORD}@127.0.0.1/db"):
        r = subprocess.run([BIN, "serve", "--listen", f"127.0.0.1:{free_port()}", "--data-dir", str(tmp_path / "d"),
                            "--metadata-url", bad, "--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY],
                           capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert r.returncode != 0, bad
        assert r.stderr.strip(), bad
        assert PASSWORD not in r.stderr + r.stdout, r.stderr
        r = subprocess.run([BIN, "fsck", "--data-dir", str(tmp_path), "--metadata-url", bad], capture_output=True, text=True, timeout=60)
        assert r.returncode != 0 and "PostgreSQL" in r.stderr, r.stderr
        assert PASSWORD not in r.stderr + r.stdout, r.stderr


def test_password_appears_in_no_log_nor_metrics(cluster):
    _, _, _, gateways = cluster
    g1 = gateways[0]
    admin_port = g1.proc.args[g1.proc.args.index("--admin-listen") + 1].rsplit(":", 1)[1]
    metrics = urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/metrics", timeout=10).read().decode()
    assert PASSWORD not in metrics
    for g in gateways:
        out = g.output()
        assert "metadata in PostgreSQL" in out and "postgres:***@" in out, out[-2000:]
        assert PASSWORD not in out


def blob_files(shared: Path) -> dict[str, Path]:
    """The blob files under <shared>/blobs (blobs/ab/cd/<id>), by name."""
    return {p.name: p for p in (shared / "blobs").rglob("*") if p.is_file()}


def test_large_get_reads_old_bytes_while_another_gateway_overwrites_and_deletes(cluster):
    """A GET of 64 MiB streams slowly from gateway 1 while gateway 2 overwrites, then deletes, the key: the
    reader gets the old bytes whole; the old blob file stays while it reads (gateway 1's read lease in
    PostgreSQL keeps gateway 2's collector away) and is freed once the read is over and a collector runs."""
    _, shared, url, (g1, g2, g3) = cluster
    bucket = new_bucket(g1)
    old = random_bytes(64 * MiB)
    before = set(blob_files(shared))
    g1.s3.put_object(Bucket=bucket, Key="big", Body=old)
    old_blobs = set(blob_files(shared)) - before
    assert old_blobs, "the 64 MiB object made no blob file"
    assert sum(blob_files(shared)[b].stat().st_size for b in old_blobs) == len(old)

    reader = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{g1.port}", region_name="us-east-1",
                          aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                          config=Config(retries={"total_max_attempts": 1}, read_timeout=120))
    body = reader.get_object(Bucket=bucket, Key="big")["Body"]
    digest, read = hashlib.sha256(), 0
    while read < 8 * MiB:  # far less than the whole: the rest is still on gateway 1's side of the socket
        chunk = body.read(1 * MiB)
        digest.update(chunk)
        read += len(chunk)
        time.sleep(0.02)
    new = random_bytes(1 * MiB)
    g2.s3.put_object(Bucket=bucket, Key="big", Body=new)       # frees the old blob: its collector runs
    assert g3.s3.get_object(Bucket=bucket, Key="big")["Body"].read() == new
    g2.s3.delete_object(Bucket=bucket, Key="big")               # frees the new one: it runs again
    assert error_code(lambda: g3.s3.head_object(Bucket=bucket, Key="big")) == "404"
    time.sleep(1)
    # The old blob is garbage (the overwrite freed it) that the collectors' passes since have left alone.
    assert old_blobs <= {b for (b,) in psql_rows(url, "SELECT blob FROM garbage")}
    assert old_blobs <= set(blob_files(shared)), "gateway 2's collector deleted a blob gateway 1 is still sending"
    while chunk := body.read(1 * MiB):
        digest.update(chunk)
        read += len(chunk)
        time.sleep(0.02)
    assert read == len(old)
    assert digest.hexdigest() == hashlib.sha256(old).hexdigest(), "the reader did not get the old bytes whole"

    # Gateway 1 drops its lease row once the response ends; the garbage then waits for any collector pass,
    # which any write that frees a blob starts (docs/architecture.md): one on gateway 3 here.
    deadline = time.time() + 30
    while old_blobs & set(blob_files(shared)):
        assert time.time() < deadline, f"the old blob was not freed after the read: {old_blobs & set(blob_files(shared))}"
        g3.s3.put_object(Bucket=bucket, Key="nudge", Body=random_bytes(64 * KiB))
        g3.s3.delete_object(Bucket=bucket, Key="nudge")
        time.sleep(0.2)


def test_sweepers_on_every_gateway_at_once(postgres, tmp_path):
    """Three gateways on their own database, each running the upload sweeper every 0.2 s and its garbage
    collector: uploads made old by moving their initiation back (one UPDATE, so every sweeper finds them at
    once) are aborted by a bucket's lifecycle rule (1 day, prefix old/) or by the server-wide age (7 days);
    each is aborted once (the counts the gateways log add up to them), their parts' blobs are freed,
    nothing else is touched, no gateway logs an error, and fsck is clean."""
    database = "sweepers_" + uuid.uuid4().hex[:8]
    psql_rows(postgres, f"CREATE DATABASE {database}")
    url = postgres.rsplit("/", 1)[0] + "/" + database
    shared = tmp_path / "shared"
    gateways = [Gateway(tmp_path, f"gw{i + 1}", url, shared, "--sweep-interval", "0.2") for i in range(3)]
    try:
        s3 = gateways[0].s3
        s3.create_bucket(Bucket="sweep")
        s3.put_bucket_lifecycle_configuration(Bucket="sweep", LifecycleConfiguration={"Rules": [
            {"ID": "old", "Status": "Enabled", "Filter": {"Prefix": "old/"},
             "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}]})
        objects = {f"old/object-{i}": random_bytes(40 * KiB + i) for i in range(4)}  # past the inline limit: blobs
        for key, body in objects.items():
            s3.put_object(Bucket="sweep", Key=key, Body=body)

        def make(key: str, i: int) -> tuple[str, str]:
            g = gateways[i % 3].s3
            upload = g.create_multipart_upload(Bucket="sweep", Key=key)["UploadId"]
            g.upload_part(Bucket="sweep", Key=key, UploadId=upload, PartNumber=1, Body=random_bytes(40 * KiB))
            g.upload_part(Bucket="sweep", Key=key, UploadId=upload, PartNumber=2, Body=random_bytes(100))
            return key, upload

        by_rule = [make(f"old/stale-{i}", i) for i in range(15)]        # 2 days old, under the rule: aborted
        by_age = [make(f"keep/ancient-{i}", i) for i in range(6)]       # 8 days old: the server-wide age
        young = [make(f"old/fresh-{i}", i) for i in range(4)]           # under the rule, but new
        not_ruled = [make(f"keep/stale-{i}", i) for i in range(4)]      # 2 days old, outside the rule
        kept = young + not_ruled
        kept_parts = {u: s3.list_parts(Bucket="sweep", Key=k, UploadId=u)["Parts"] for k, u in kept}
        rows = psql_rows(url, "SELECT upload_id, blob FROM parts")
        doomed = {u for _, u in by_rule + by_age}
        doomed_blobs = {b for u, b in rows if u in doomed}
        assert len(doomed_blobs) == 2 * len(doomed)
        files_before = set(blob_files(shared))
        assert doomed_blobs <= files_before

        ids = lambda pairs: ",".join(f"'{u}'" for _, u in pairs)  # noqa: E731  (upload ids are hex)
        psql_rows(url, f"""UPDATE uploads SET initiated = initiated - CASE
                        WHEN upload_id IN ({ids(by_age)}) THEN 8 * 86400 ELSE 2 * 86400 END
                      WHERE upload_id IN ({ids(by_rule + by_age + not_ruled)})""")
        deadline = time.time() + 30
        while True:
            listed = {(u["Key"], u["UploadId"]) for u in s3.list_multipart_uploads(Bucket="sweep").get("Uploads", [])}
            if listed == set(kept):
                break
            assert time.time() < deadline, f"after 30 s: {sorted(listed - set(kept))} left, {sorted(set(kept) - listed)} gone"
            time.sleep(0.2)
        while set(blob_files(shared)) != files_before - doomed_blobs:
            assert time.time() < deadline, (f"blob files: {sorted(set(blob_files(shared)) - (files_before - doomed_blobs))} extra, "
                                            f"{sorted((files_before - doomed_blobs) - set(blob_files(shared)))} missing")
            time.sleep(0.2)
        for key, upload in kept:
            assert gateways[1].s3.list_parts(Bucket="sweep", Key=key, UploadId=upload)["Parts"] == kept_parts[upload]
        for key, body in objects.items():
            assert gateways[2].s3.get_object(Bucket="sweep", Key=key)["Body"].read() == body
        assert psql_rows(url, "SELECT count(*) FROM garbage") == [["0"]]
        time.sleep(1)  # a few more rounds of every sweeper: still nothing more to do
        assert {(u["Key"], u["UploadId"]) for u in s3.list_multipart_uploads(Bucket="sweep")["Uploads"]} == set(kept)
    finally:
        for g in gateways:
            g.stop()
    logs = [g.output() for g in gateways]
    aborted = [sum(int(n) for n in re.findall(r"aborted incomplete uploads.*?count=(\d+)", log)) for log in logs]
    assert sum(aborted) == len(doomed), f"aborts logged per gateway {aborted}, for {len(doomed)} uploads"
    for g, log in zip(gateways, logs):
        errors = [line for line in log.splitlines() if "level=error" in line or "level=critical" in line]
        assert not errors, f"{g.root.name}: {errors[:5]}"
    r = fsck(shared, url)
    assert r.returncode == 0 and "fsck: no problems" in r.stdout and " 0 orphan(s)" in r.stdout, r.stdout + r.stderr


NGINX_EXAMPLE = REPO / "docs" / "examples" / "nginx-tessera-cluster.conf"


def nginx_site(listen: str, gateways: list[str]) -> str:
    """docs/examples/nginx-tessera-cluster.conf with its placeholders filled: one `server` line per gateway."""
    lines = []
    for line in NGINX_EXAMPLE.read_text().splitlines():
        if line.strip().startswith("server GATEWAY_"):
            if "GATEWAY_1" in line:
                lines += [line.replace("GATEWAY_1", g) for g in gateways]
            continue
        lines.append(line.replace("LISTEN_ADDRESS", listen))
    site = "\n".join(lines) + "\n"
    assert not [l for l in site.splitlines() if re.search(r"LISTEN_ADDRESS|GATEWAY_\d", l) and not l.lstrip().startswith("#")]
    return site


def test_nginx_example_in_front_of_two_gateways(cluster, tmp_path):
    """The operator guide's nginx example, as it is, in front of gateways 1 and 2: boto3 through it (a
    streamed 48 MiB PUT, a multipart upload, a Range GET, metadata with an underscore in its name) and curl
    with a presigned URL; both gateways answer some of the requests."""
    _, _, _, (g1, g2, _) = cluster
    d = tmp_path / "nginx"
    d.mkdir()
    port = free_port()
    (d / "tessera.conf").write_text(nginx_site(f"127.0.0.1:{port}", [f"127.0.0.1:{g1.port}", f"127.0.0.1:{g2.port}"]))
    user = "user root root;\n" if os.geteuid() == 0 else ""  # pytest's directories are 0700
    (d / "nginx.conf").write_text(f"""{user}daemon off;
worker_processes 2;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {d}/access.log;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    include {d}/tessera.conf;
}}
""")
    nginx = subprocess.Popen([shutil.which("nginx") or "/usr/sbin/nginx", "-p", str(d), "-c", str(d / "nginx.conf"),
                              "-e", str(d / "error.log")], stdout=subprocess.DEVNULL, stderr=open(d / "stderr.log", "wb"))
    try:
        wait_listening(port, nginx, lambda: (d / "stderr.log").read_text() + (d / "error.log").read_text())
        served = lambda g: g.log.read_text().count("msg=access")  # noqa: E731
        before = (served(g1), served(g2))
        s3 = client(port)
        bucket = "nginx-" + uuid.uuid4().hex[:12]
        s3.create_bucket(Bucket=bucket)

        big = random_bytes(48 * MiB)
        source = tmp_path / "big.bin"
        source.write_bytes(big)
        with open(source, "rb") as f:  # boto3 streams a file body: nginx must pass it on as it arrives
            put = s3.put_object(Bucket=bucket, Key="dir//big file", Body=f, Metadata={"my_field": "kept"})
        assert put["ETag"] == f'"{hashlib.md5(big).hexdigest()}"'
        head = s3.head_object(Bucket=bucket, Key="dir//big file")
        assert head["ContentLength"] == len(big) and head["Metadata"] == {"my_field": "kept"}
        got = s3.get_object(Bucket=bucket, Key="dir//big file", Range="bytes=1000-2999")
        assert got["ContentRange"] == f"bytes 1000-2999/{len(big)}"
        assert got["Body"].read() == big[1000:3000]

        parts = [random_bytes(5 * MiB), random_bytes(5 * MiB), random_bytes(1 * MiB + 3)]
        upload = s3.create_multipart_upload(Bucket=bucket, Key="mpu")["UploadId"]
        etags = [s3.upload_part(Bucket=bucket, Key="mpu", UploadId=upload, PartNumber=n + 1, Body=p)["ETag"]
                 for n, p in enumerate(parts)]
        s3.complete_multipart_upload(Bucket=bucket, Key="mpu", UploadId=upload, MultipartUpload={
            "Parts": [{"PartNumber": n + 1, "ETag": e} for n, e in enumerate(etags)]})
        url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "mpu"}, ExpiresIn=600)
        assert url.startswith(f"http://127.0.0.1:{port}/")
        out = tmp_path / "mpu.out"
        r = subprocess.run(["curl", "-sS", "-f", "-o", str(out), url], capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        assert hashlib.sha256(out.read_bytes()).hexdigest() == hashlib.sha256(b"".join(parts)).hexdigest()
        after = (served(g1), served(g2))
        assert after[0] > before[0] and after[1] > before[1], f"access lines before {before}, after {after}: one gateway idle"
    finally:
        nginx.send_signal(signal.SIGTERM)
        nginx.wait(timeout=30)
    errors = (d / "error.log").read_text()
    assert "[error]" not in errors and "[crit]" not in errors, errors[-2000:]


def test_owners_and_acls_hold_across_gateways(cluster):
    """A user made on the shared keys file is the same user on every gateway (same canonical ID); a bucket's
    owner and its ACL, set through one gateway, decide on the others (a changed bucket ACL within its
    one-second cache); object ACLs, kept with the object, at once."""
    root, shared, _, gateways = cluster
    out = subprocess.run([BIN, "keys", "create", "--user", "carol", "--data-dir", str(shared)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    ak = re.search(r"access key: (\S+)", out.stdout).group(1)
    sk = re.search(r"secret key: (\S+)", out.stdout).group(1)
    carol = [boto3.client("s3", endpoint_url=f"http://127.0.0.1:{g.port}", region_name="us-east-1", aws_access_key_id=ak,
                          aws_secret_access_key=sk, config=Config(retries={"total_max_attempts": 1})) for g in gateways]
    name = "carols-" + uuid.uuid4().hex[:8]
    carol[0].create_bucket(Bucket=name)
    carol[0].put_object(Bucket=name, Key="k", Body=b"carol's")
    ids = {c.list_buckets()["Owner"]["ID"] for c in carol}
    assert len(ids) == 1
    assert all(name in [b["Name"] for b in c.list_buckets()["Buckets"]] for c in carol)
    assert name not in [b["Name"] for b in gateways[1].s3.list_buckets()["Buckets"]]      # the default user's view
    with pytest.raises(ClientError) as e:
        gateways[2].s3.get_object(Bucket=name, Key="k")
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(ClientError) as e:
        gateways[2].s3.create_bucket(Bucket=name)
    assert e.value.response["Error"]["Code"] == "BucketAlreadyExists"
    # An object ACL set on gateway 1 opens the object on gateway 3 at once.
    url = f"http://127.0.0.1:{gateways[2].port}/{name}"
    carol[0].put_object_acl(Bucket=name, Key="k", ACL="public-read")
    with urllib.request.urlopen(url + "/k") as r:
        assert r.read() == b"carol's"

    def anonymous_list_status() -> int:
        try:
            with urllib.request.urlopen(url + "?list-type=2") as r:
                return r.status
        except urllib.error.HTTPError as err:
            return err.code

    assert anonymous_list_status() == 403
    # A bucket ACL set on gateway 1 reaches gateway 3 within its cache's second (and back again).
    carol[0].put_bucket_acl(Bucket=name, ACL="public-read")
    deadline = time.monotonic() + 3
    while anonymous_list_status() != 200:
        assert time.monotonic() < deadline, "gateway 3 still refuses the listing 3 s after the ACL changed"
        time.sleep(0.1)
    carol[1].put_bucket_acl(Bucket=name, ACL="private")
    deadline = time.monotonic() + 3
    while anonymous_list_status() != 403:
        assert time.monotonic() < deadline, "gateway 3 still lists 3 s after the ACL was taken back"
        time.sleep(0.1)


def test_cors_rules_set_on_one_gateway_apply_on_another_within_a_second(cluster):
    """A bucket's CORS rules are read with its ACL and policy (one read a second per bucket and gateway): rules put
    through gateway 1 answer a preflight and a cross-origin GET on gateway 2 within that second, and so does
    their deletion; on gateway 1 itself both apply at once."""
    _, _, _, gateways = cluster
    name = new_bucket(gateways[0])
    gateways[0].s3.put_object(Bucket=name, Key="k", Body=b"shared")
    origin = "https://app.example"
    url = gateways[1].s3.generate_presigned_url("get_object", Params={"Bucket": name, "Key": "k"})

    def allow_origin(port: int, method: str) -> str | None:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        if method == "OPTIONS":
            c.request("OPTIONS", f"/{name}/k", headers={"Origin": origin, "Access-Control-Request-Method": "GET"})
        else:
            c.request("GET", url.split(str(port), 1)[1], headers={"Origin": origin})
        r = c.getresponse()
        r.read()
        c.close()
        return r.getheader("Access-Control-Allow-Origin")

    def until(expected: str | None, what: str) -> None:
        deadline = time.monotonic() + 3
        while (allow_origin(gateways[1].port, "OPTIONS"), allow_origin(gateways[1].port, "GET")) != (expected, expected):
            assert time.monotonic() < deadline, f"gateway 2, 3 s after {what}: still not {expected!r}"
            time.sleep(0.1)

    until(None, "the bucket was made")   # caches gateway 2's view of the bucket: no rules
    gateways[0].s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": [
        {"AllowedOrigins": [origin], "AllowedMethods": ["GET"]}]})
    assert allow_origin(gateways[0].port, "OPTIONS") == origin   # the gateway that stored them: at once
    until(origin, "the rules were put")
    gateways[0].s3.delete_bucket_cors(Bucket=name)
    assert allow_origin(gateways[0].port, "OPTIONS") is None
    until(None, "the rules were deleted")
