"""AWS CLI v1 (`aws s3 ...`, `aws s3api ...`) against the daemon."""

import json

import pytest

from itutil import KiB, MiB, ODD_KEY, SIMPLE_ETAG_RE, make_file, md5_hex, random_bytes, sha256_file

pytestmark = pytest.mark.core


def _ls_entries(stdout: str) -> dict:
    """Parse `aws s3 ls s3://b/prefix` object lines: 'DATE TIME SIZE KEY' -> {key: size}."""
    out = {}
    for line in stdout.splitlines():
        parts = line.split(None, 3)
        if len(parts) == 4 and parts[0] != "PRE":
            out[parts[3]] = int(parts[2])
    return out


def test_s3_mb_then_ls_lists_bucket(server, bucket_name):
    server.aws("s3", "mb", f"s3://{bucket_name}")
    listing = server.aws("s3", "ls").stdout
    assert bucket_name in listing.split()


@pytest.mark.parametrize("size", [1 * KiB, 3 * MiB], ids=["1KiB", "3MiB"])
def test_s3_cp_roundtrip_ls_rm(server, bucket, tmp_path, size):
    src = tmp_path / "src.bin"
    digest = make_file(src, size)
    key = f"cli/{size}.bin"
    server.aws("s3", "cp", str(src), f"s3://{bucket}/{key}")

    entries = _ls_entries(server.aws("s3", "ls", f"s3://{bucket}/cli/").stdout)
    assert entries == {f"{size}.bin": size}

    dst = tmp_path / "dst.bin"
    server.aws("s3", "cp", f"s3://{bucket}/{key}", str(dst))
    assert sha256_file(dst) == digest

    server.aws("s3", "rm", f"s3://{bucket}/{key}")
    assert _ls_entries(server.aws("s3", "ls", f"s3://{bucket}/cli/", check=False).stdout) == {}
    head = server.aws("s3api", "head-object", "--bucket", bucket, "--key", key, check=False)
    assert head.returncode != 0 and "404" in head.stderr


def test_s3_cp_odd_key(server, bucket, tmp_path):
    src = tmp_path / "odd.txt"
    digest = make_file(src, 1 * KiB)
    server.aws("s3", "cp", str(src), f"s3://{bucket}/{ODD_KEY}")
    listing = server.aws_json("s3api", "list-objects-v2", "--bucket", bucket)
    assert [o["Key"] for o in listing["Contents"]] == [ODD_KEY]
    dst = tmp_path / "back.txt"
    server.aws("s3", "cp", f"s3://{bucket}/{ODD_KEY}", str(dst))
    assert sha256_file(dst) == digest


def test_s3api_put_object_headers_and_head_object(server, bucket, tmp_path):
    body = tmp_path / "page.html"
    body.write_bytes(b"<html>hello</html>")
    put = server.aws_json("s3api", "put-object", "--bucket", bucket, "--key", "site/index.html",
                          "--body", str(body), "--content-type", "text/html; charset=utf-8",
                          "--metadata", "color=blue,owner=it-suite",
                          "--cache-control", "max-age=300, public")
    assert put["ETag"] == '"%s"' % md5_hex(b"<html>hello</html>")

    head = server.aws_json("s3api", "head-object", "--bucket", bucket, "--key", "site/index.html")
    assert head["ContentType"] == "text/html; charset=utf-8"
    assert head["Metadata"] == {"color": "blue", "owner": "it-suite"}
    assert head["CacheControl"] == "max-age=300, public"
    assert head["ContentLength"] == len(b"<html>hello</html>")
    assert head["ETag"] == put["ETag"]


def test_s3api_list_objects_v2_prefix_delimiter(server, bucket, tmp_path):
    f = tmp_path / "x"
    f.write_bytes(b"x")
    for key in ["photos/2024/a.jpg", "photos/2024/b.jpg", "photos/2025/c.jpg",
                "photos/top.jpg", "docs/readme.txt"]:
        server.aws("s3api", "put-object", "--bucket", bucket, "--key", key, "--body", str(f))
    out = server.aws_json("s3api", "list-objects-v2", "--bucket", bucket,
                          "--prefix", "photos/", "--delimiter", "/")
    assert [p["Prefix"] for p in out["CommonPrefixes"]] == ["photos/2024/", "photos/2025/"]
    assert [o["Key"] for o in out["Contents"]] == ["photos/top.jpg"]
    assert out["Contents"][0]["Size"] == 1


def test_s3api_get_object_range(server, bucket, tmp_path):
    data = random_bytes(100)
    src = tmp_path / "src"
    src.write_bytes(data)
    server.aws("s3api", "put-object", "--bucket", bucket, "--key", "r.bin", "--body", str(src))
    out = tmp_path / "range.out"
    resp = server.aws_json("s3api", "get-object", "--bucket", bucket, "--key", "r.bin",
                           "--range", "bytes=10-19", str(out))
    assert out.read_bytes() == data[10:20]
    assert resp["ContentLength"] == 10
    assert resp["ContentRange"] == "bytes 10-19/100"


def test_s3api_copy_object(server, bucket, tmp_path):
    src = tmp_path / "src"
    digest = make_file(src, 2 * KiB)
    server.aws("s3api", "put-object", "--bucket", bucket, "--key", "orig.bin", "--body", str(src),
               "--metadata", "k=v")
    resp = server.aws_json("s3api", "copy-object", "--bucket", bucket, "--key", "copy.bin",
                           "--copy-source", f"{bucket}/orig.bin")
    assert SIMPLE_ETAG_RE.match(resp["CopyObjectResult"]["ETag"])
    out = tmp_path / "copy.out"
    got = server.aws_json("s3api", "get-object", "--bucket", bucket, "--key", "copy.bin", str(out))
    assert sha256_file(out) == digest
    assert got["Metadata"] == {"k": "v"}  # default MetadataDirective is COPY
    assert got["ETag"] == resp["CopyObjectResult"]["ETag"]


def test_s3api_delete_objects(server, bucket, tmp_path):
    f = tmp_path / "x"
    f.write_bytes(b"data")
    keys = ["del/a", "del/b", "del/c", "keep"]
    for k in keys:
        server.aws("s3api", "put-object", "--bucket", bucket, "--key", k, "--body", str(f))
    spec = {"Objects": [{"Key": "del/a"}, {"Key": "del/b"}, {"Key": "del/c"},
                        {"Key": "del/never-existed"}]}
    resp = server.aws_json("s3api", "delete-objects", "--bucket", bucket,
                           "--delete", json.dumps(spec))
    assert sorted(d["Key"] for d in resp["Deleted"]) == ["del/a", "del/b", "del/c", "del/never-existed"]
    assert not resp.get("Errors")
    left = server.aws_json("s3api", "list-objects-v2", "--bucket", bucket)
    assert [o["Key"] for o in left["Contents"]] == ["keep"]


def test_s3api_head_missing_key_is_404(server, bucket):
    r = server.aws("s3api", "head-object", "--bucket", bucket, "--key", "nope", check=False)
    assert r.returncode != 0
    assert "(404)" in r.stderr, r.stderr


def test_s3api_get_missing_key_is_nosuchkey(server, bucket, tmp_path):
    r = server.aws("s3api", "get-object", "--bucket", bucket, "--key", "nope",
                   str(tmp_path / "out"), check=False)
    assert r.returncode != 0
    assert "NoSuchKey" in r.stderr, r.stderr


def test_s3_rb(server, bucket_name):
    server.aws("s3", "mb", f"s3://{bucket_name}")
    server.aws("s3", "rb", f"s3://{bucket_name}")
    assert bucket_name not in server.aws("s3", "ls").stdout.split()
