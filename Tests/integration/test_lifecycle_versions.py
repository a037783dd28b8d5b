"""Lifecycle expiry through real clients: Expiration (Days), ExpiredObjectDeleteMarker and
NoncurrentVersionExpiration (NoncurrentDays, NewerNoncurrentVersions) enforced by the sweeper, on a versioned
bucket with boto3 (over SQLite and over PostgreSQL) and on an unversioned one with the aws CLI; tag and size
filters (And with Prefix, Tags and ObjectSize bounds); refused filters.

Days pass by the test-only setting TESSERA_TEST_SWEEPER_CLOCK_SHIFT_DAYS, which moves the sweeper's clock
forward: a daemon is restarted on the same data with it, instead of the test waiting days."""

from __future__ import annotations

import contextlib
import json
import re
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from conftest import Server
from daemon import ACCESS_KEY, SECRET_KEY, client, free_port, own_daemon
from gateway import Gateway
from pgserver import postgres, psql_rows  # noqa: F401  (postgres: a fixture)

pytestmark = pytest.mark.core

SHIFT = "TESSERA_TEST_SWEEPER_CLOCK_SHIFT_DAYS"
BIG = 40 * 1024  # above the inline limit: each version is a blob file, so freed blobs show


def body(tag: str) -> bytes:
    return (tag.encode() * (BIG // len(tag) + 1))[:BIG]


def versions(s3, bucket: str) -> dict[str, list[tuple[str, bool, bool]]]:
    """Per key, newest first: (version ID, is a delete marker, is latest)."""
    listed = s3.list_object_versions(Bucket=bucket)
    out: dict[str, list] = {}
    for v in listed.get("Versions", []):
        out.setdefault(v["Key"], []).append((v["VersionId"], False, v["IsLatest"]))
    for m in listed.get("DeleteMarkers", []):
        out.setdefault(m["Key"], []).append((m["VersionId"], True, m["IsLatest"]))
    for key in out:
        out[key].sort(key=lambda e: e[0], reverse=True)   # our IDs grow with time: newest first
    return out


def wait_until(check, what: str, timeout: float = 15):
    deadline = time.time() + timeout
    while True:
        got = check()
        if got or time.time() > deadline:
            assert got, f"timed out waiting for {what}"
            return got
        time.sleep(0.2)


def blob_files(data: Path) -> int:
    return sum(1 for p in (data / "blobs").rglob("*") if p.is_file())


RULES = [
    {"ID": "logs", "Status": "Enabled", "Filter": {"Prefix": "logs/"},
     "Expiration": {"Days": 3},
     "NoncurrentVersionExpiration": {"NoncurrentDays": 2, "NewerNoncurrentVersions": 1}},
    {"ID": "markers", "Status": "Enabled", "Filter": {},
     "Expiration": {"ExpiredObjectDeleteMarker": True}},
    {"ID": "off", "Status": "Disabled", "Prefix": "keep/", "Expiration": {"Days": 1}},
]


def fill(s3, bucket: str) -> dict[str, list[str]]:
    """logs/a: three versions; keep/b: two; keep/m: a version under a delete marker; logs/gone: only a delete
    marker (its version removed by ID). Returns the version IDs made, oldest first."""
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    made: dict[str, list[str]] = {}
    for key, n in [("logs/a", 3), ("keep/b", 2), ("keep/m", 1), ("logs/gone", 1)]:
        made[key] = [s3.put_object(Bucket=bucket, Key=key, Body=body(f"{key}{i}"))["VersionId"] for i in range(n)]
    made["keep/m"].append(s3.delete_object(Bucket=bucket, Key="keep/m")["VersionId"])
    marker = s3.delete_object(Bucket=bucket, Key="logs/gone")["VersionId"]
    s3.delete_object(Bucket=bucket, Key="logs/gone", VersionId=made["logs/gone"][0])
    made["logs/gone"] = [marker]
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": RULES})
    return made


def check_sweeps(start, data: Path, log_text) -> None:
    """`start(shift_days)` starts a gateway (a context manager yielding a boto3 client) on the same metadata
    and blobs, its sweeper running every 0.2 s with its clock `shift_days` ahead."""
    with start(None) as s3:
        made = fill(s3, "life")
        # No day has passed: only the lone delete marker (ExpiredObjectDeleteMarker needs no age) goes.
        wait_until(lambda: "logs/gone" not in versions(s3, "life"), "the expired object delete marker to go")
        time.sleep(1)   # several more passes: nothing else is old enough
        now = versions(s3, "life")
        assert {k: [v for v, _, _ in e] for k, e in now.items()} == {
            "logs/a": made["logs/a"][::-1], "keep/b": made["keep/b"][::-1], "keep/m": made["keep/m"][::-1]}
        assert blob_files(data) == 6
    with start("5") as s3:
        # Five days later: logs/a's current version expires (a delete marker on top); of its noncurrent
        # versions, older than 2 days as noncurrent, the newest one stays (NewerNoncurrentVersions 1).
        def settled():
            v = versions(s3, "life")
            a = v.get("logs/a", [])
            return v if len(a) == 2 and a[0][1] and not a[1][1] else None
        v = wait_until(settled, "logs/a to keep its marker and one noncurrent version")
        marker, kept = v["logs/a"]
        assert marker[2] is True and kept == (made["logs/a"][2], False, False)
        # keep/ is outside the enabled rules (its own rule is Disabled); keep/m's marker has a version under it.
        assert [e[0] for e in v["keep/b"]] == made["keep/b"][::-1]
        assert [e[0] for e in v["keep/m"]] == made["keep/m"][::-1]
        with pytest.raises(ClientError) as e:
            s3.get_object(Bucket="life", Key="logs/a")
        assert e.value.response["Error"]["Code"] == "NoSuchKey"
        assert s3.get_object(Bucket="life", Key="logs/a", VersionId=kept[0])["Body"].read() == body("logs/a2")
        # The two removed versions' blobs went through the garbage path.
        wait_until(lambda: blob_files(data) == 4, "the removed versions' blobs to be freed")
        time.sleep(1)
        assert versions(s3, "life") == v   # settled: later passes change nothing
    # What was removed is logged (logfmt): the lone marker at first, then one expired object and two noncurrent versions.
    lines = [line for line in log_text().splitlines() if "expired object versions" in line]
    assert all("bucket=life" in line for line in lines) and lines, log_text()[-3000:]
    total = lambda field: sum(int(n) for line in lines for n in re.findall(rf"\b{field}=(\d+)", line))
    assert (total("expired_objects"), total("noncurrent_versions"), total("delete_markers")) == (1, 2, 1), lines
    assert "upload sweeper failed" not in log_text() and "lifecycle configuration refused" not in log_text()


def test_versioned_expiry_with_boto3_over_sqlite(tmp_path):
    logs: list[str] = []

    @contextlib.contextmanager
    def start(shift):
        try:
            with own_daemon(tmp_path, "--sweep-interval", "0.2", env={SHIFT: shift} if shift else None) as port:
                yield client(port)
        finally:
            logs.append((tmp_path / "daemon.stderr").read_text())
    check_sweeps(start, tmp_path / "data", lambda: "".join(logs))


def test_versioned_expiry_with_boto3_over_postgres(postgres, tmp_path):  # noqa: F811
    database = "lifecycle_" + uuid.uuid4().hex[:8]
    psql_rows(postgres, f"CREATE DATABASE {database}")
    url = postgres.rsplit("/", 1)[0] + "/" + database
    shared = tmp_path / "shared"
    outputs: list[str] = []
    count = [0]

    @contextlib.contextmanager
    def start(shift):
        count[0] += 1
        g = Gateway(tmp_path, f"gw{count[0]}", url, shared, "--sweep-interval", "0.2", env={SHIFT: shift} if shift else None)
        try:
            yield g.s3
        finally:
            g.stop()
            outputs.append(g.output())
    check_sweeps(start, shared, lambda: "".join(outputs))


def metric(admin_port: int, name: str, labels: str) -> float:
    text = urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/metrics", timeout=10).read().decode()
    values = [float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
              if line.startswith(name + "{") and all(part in line for part in labels.split(","))]
    return sum(values)


def test_unversioned_expiry_with_the_aws_cli(tmp_path):
    """An unversioned bucket: expired objects are deleted outright (no marker); the sweeper counts them in
    /metrics and logs them; a Days rule is refused or accepted as S3 would."""
    config = tmp_path / "lifecycle.json"
    config.write_text(json.dumps({"Rules": [{"ID": "tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"},
                                             "Expiration": {"Days": 1}}]}))
    files = tmp_path / "f"
    files.write_bytes(b"x" * 100)

    def cli(port):
        return Server(endpoint=f"http://127.0.0.1:{port}", access_key=ACCESS_KEY, secret_key=SECRET_KEY,
                      region="us-east-1", data_dir=tmp_path / "data", domain=None, root=tmp_path)
    with own_daemon(tmp_path, "--sweep-interval", "0.2") as port:
        aws = cli(port)
        aws.aws("s3api", "create-bucket", "--bucket", "plain")
        for key in ["tmp/x", "tmp/y", "tmpfile", "other/z"]:
            aws.aws("s3api", "put-object", "--bucket", "plain", "--key", key, "--body", str(files))
        aws.aws("s3api", "put-bucket-lifecycle-configuration", "--bucket", "plain", "--lifecycle-configuration", f"file://{config}")
        got = aws.aws_json("s3api", "get-bucket-lifecycle-configuration", "--bucket", "plain")
        assert got["Rules"][0]["Expiration"] == {"Days": 1}
        # A filter S3 refuses (a tag key twice in And): S3's code, and the stored configuration stays.
        tagged = tmp_path / "tagged.json"
        tagged.write_text(json.dumps({"Rules": [{"ID": "t", "Status": "Enabled", "Filter": {"And": {"Prefix": "tmp/", "Tags": [
            {"Key": "k", "Value": "v"}, {"Key": "k", "Value": "w"}]}}, "Expiration": {"Days": 1}}]}))
        r = aws.aws("s3api", "put-bucket-lifecycle-configuration", "--bucket", "plain",
                    "--lifecycle-configuration", f"file://{tagged}", check=False)
        assert r.returncode != 0 and "InvalidRequest" in r.stderr and "Duplicate Tag Keys" in r.stderr, r.stderr
        assert aws.aws_json("s3api", "get-bucket-lifecycle-configuration", "--bucket", "plain")["Rules"][0]["ID"] == "tmp"
        time.sleep(1)   # sweeps at today's clock: nothing is a day old
        listed = aws.aws_json("s3api", "list-object-versions", "--bucket", "plain")
        assert sorted(v["Key"] for v in listed["Versions"]) == ["other/z", "tmp/x", "tmp/y", "tmpfile"]
    admin = free_port()
    with own_daemon(tmp_path, "--sweep-interval", "0.2", "--admin-listen", f"127.0.0.1:{admin}", env={SHIFT: "3"}) as port:
        aws = cli(port)

        def gone():
            listed = aws.aws_json("s3api", "list-object-versions", "--bucket", "plain")
            return listed if sorted(v["Key"] for v in listed.get("Versions", [])) == ["other/z", "tmpfile"] else None
        listed = wait_until(gone, "tmp/ to expire")
        assert "DeleteMarkers" not in listed   # unversioned: deleted, no marker
        assert [v["VersionId"] for v in listed["Versions"]] == ["null", "null"]
        assert metric(admin, "tessera_sweeper_removed_total", 'sweeper="uploads",what="expired_objects"') == 2
    log = (tmp_path / "daemon.stderr").read_text()
    assert re.search(r"expired object versions.*bucket=plain.*expired_objects=2", log), log[-2000:]


# Tag and size filters: each version is matched by its own tags and size.
FILTERED_RULES = [
    {"ID": "tagged-small", "Status": "Enabled",
     "Filter": {"And": {"Prefix": "t/", "Tags": [{"Key": "expire", "Value": "yes"}, {"Key": "team", "Value": "\ud55c"}],
                        "ObjectSizeLessThan": 1000}},
     "Expiration": {"Days": 1}},
    {"ID": "huge", "Status": "Enabled", "Filter": {"ObjectSizeGreaterThan": 100_000}, "Expiration": {"Days": 1}},
    {"ID": "old-tagged", "Status": "Enabled", "Filter": {"Tag": {"Key": "scratch", "Value": ""}},
     "NoncurrentVersionExpiration": {"NoncurrentDays": 1}},
]


def check_filtered_sweeps(start) -> None:
    """`start(shift_days)` as in `check_sweeps`."""
    tags = "expire=yes&team=%ED%95%9C"   # team=한 (U+D55C, precomposed Hangul)
    with start(None) as s3:
        s3.create_bucket(Bucket="filt")
        s3.put_bucket_versioning(Bucket="filt", VersioningConfiguration={"Status": "Enabled"})
        put = lambda key, size, tagging=None: s3.put_object(Bucket="filt", Key=key, Body=b"x" * size,
                                                            **({"Tagging": tagging} if tagging else {}))["VersionId"]
        made = {
            "t/small": put("t/small", 10, tags),                       # expires: both tags, under 1000 bytes
            "t/large": put("t/large", 5000, tags),                     # too large for the rule
            "t/edge": put("t/edge", 1000, tags),                       # 1000 is not less than 1000
            "t/untagged": put("t/untagged", 10),
            "t/one-tag": put("t/one-tag", 10, "expire=yes"),           # one of the two tags
            "t/other-value": put("t/other-value", 10, "expire=no&team=%ED%95%9C"),
            "t/nfd": put("t/nfd", 10, "expire=yes&team=%E1%84%92%E1%85%A1%E1%86%AB"),  # 한 as jamo: equal as text, other bytes
            "u/small": put("u/small", 10, tags),                       # outside the prefix
            "t/later": put("t/later", 10),                             # tagged after it was written
            "s/huge": put("s/huge", 100_001),
            "s/limit": put("s/limit", 100_000),
        }
        s3.put_object_tagging(Bucket="filt", Key="t/later", Tagging={"TagSet": [
            {"Key": "team", "Value": "\ud55c"}, {"Key": "expire", "Value": "yes"}]})
        # n/: the old version tagged scratch (empty value) goes once noncurrent; the other old one stays.
        old_scratch = put("n/a", 10, "scratch=")
        put("n/a", 10)
        old_plain = put("n/b", 10)
        put("n/b", 10, "scratch=")
        s3.put_bucket_lifecycle_configuration(Bucket="filt", LifecycleConfiguration={"Rules": FILTERED_RULES})
        got = s3.get_bucket_lifecycle_configuration(Bucket="filt")["Rules"]
        assert got[0]["Filter"]["And"]["ObjectSizeLessThan"] == 1000 and got[2]["Filter"]["Tag"] == {"Key": "scratch", "Value": ""}
        time.sleep(1)   # sweeps at today's clock: nothing is old enough
        assert all(len(e) == 1 for k, e in versions(s3, "filt").items() if k != "n/a" and k != "n/b")
    with start("3") as s3:
        expired = {"t/small", "t/later", "s/huge"}

        def settled():
            v = versions(s3, "filt")
            return v if all(v[k][0][1] for k in expired) and len(v["n/a"]) == 1 else None
        v = wait_until(settled, "the matching versions to expire")
        time.sleep(1)
        v = versions(s3, "filt")
        for key, version in made.items():
            if key in expired:   # a delete marker on top of the version
                assert [(e[1], e[2]) for e in v[key]] == [(True, True), (False, False)] and v[key][1][0] == version, (key, v[key])
            else:
                assert v[key] == [(version, False, True)], (key, v[key])
        assert [e[0] for e in v["n/a"]] != [old_scratch] and old_scratch not in [e[0] for e in v["n/a"]] and len(v["n/a"]) == 1
        assert old_plain in [e[0] for e in v["n/b"]] and len(v["n/b"]) == 2
        # Refused filters: S3's codes; the stored configuration stays.
        for rules, code in [
            ([{"ID": "x", "Status": "Enabled", "Filter": {"And": {"Prefix": "t/"}}, "Expiration": {"Days": 1}}], "MalformedXML"),
            ([{"ID": "x", "Status": "Enabled", "Filter": {"Tag": {"Key": "k", "Value": "v"}},
               "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}], "InvalidRequest"),
            ([{"ID": "x", "Status": "Enabled", "Filter": {"ObjectSizeGreaterThan": 9},
               "Expiration": {"ExpiredObjectDeleteMarker": True}}], "InvalidRequest"),
            ([{"ID": "x", "Status": "Enabled", "Filter": {"And": {"ObjectSizeGreaterThan": 9, "ObjectSizeLessThan": 5}},
               "Expiration": {"Days": 1}}], "InvalidArgument"),
        ]:
            with pytest.raises(ClientError) as e:
                s3.put_bucket_lifecycle_configuration(Bucket="filt", LifecycleConfiguration={"Rules": rules})
            assert e.value.response["Error"]["Code"] == code, (rules, e.value.response)
            assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert [r["ID"] for r in s3.get_bucket_lifecycle_configuration(Bucket="filt")["Rules"]] == ["tagged-small", "huge", "old-tagged"]


def test_tag_and_size_filters_over_sqlite(tmp_path):
    @contextlib.contextmanager
    def start(shift):
        with own_daemon(tmp_path, "--sweep-interval", "0.2", env={SHIFT: shift} if shift else None) as port:
            yield client(port)
    check_filtered_sweeps(start)


def test_tag_and_size_filters_over_postgres(postgres, tmp_path):  # noqa: F811
    database = "lifecycle_" + uuid.uuid4().hex[:8]
    psql_rows(postgres, f"CREATE DATABASE {database}")
    url = postgres.rsplit("/", 1)[0] + "/" + database
    count = [0]

    @contextlib.contextmanager
    def start(shift):
        count[0] += 1
        g = Gateway(tmp_path, f"gw{count[0]}", url, tmp_path / "shared", "--sweep-interval", "0.2", env={SHIFT: shift} if shift else None)
        try:
            yield g.s3
        finally:
            g.stop()
    check_filtered_sweeps(start)
