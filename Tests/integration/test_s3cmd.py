"""s3cmd 2.3.0 (SigV4, path style, generated config)."""

import pytest

from itutil import KiB, MiB, ODD_KEY, make_file, sha256_file

pytestmark = pytest.mark.core


def _ls(stdout):
    """`s3cmd ls s3://b/p` object lines: 'DATE TIME SIZE s3://b/key' -> {uri: size}."""
    out = {}
    for line in stdout.splitlines():
        parts = line.split(None, 3)
        if len(parts) == 4 and parts[3].startswith("s3://") and parts[2] != "DIR":
            out[parts[3]] = int(parts[2])
    return out


def test_s3cmd_mb_put_ls_get_del(server, s3, bucket_name, tmp_path):
    server.s3cmd("mb", f"s3://{bucket_name}")
    assert s3.head_bucket(Bucket=bucket_name)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert f"s3://{bucket_name}" in server.s3cmd("ls").stdout

    files = {"s3cmd/small.txt": 1 * KiB, "s3cmd/big.bin": 2 * MiB, f"s3cmd/{ODD_KEY}": 3 * KiB}
    digests = {}
    for i, (key, size) in enumerate(files.items()):
        local = tmp_path / "up" / f"f{i}"
        digests[key] = make_file(local, size)
        server.s3cmd("put", str(local), f"s3://{bucket_name}/{key}")

    listing = _ls(server.s3cmd("ls", "--recursive", f"s3://{bucket_name}/s3cmd/").stdout)
    assert listing == {f"s3://{bucket_name}/{k}": v for k, v in files.items()}

    for i, key in enumerate(files):
        out = tmp_path / "down" / f"f{i}"
        out.parent.mkdir(exist_ok=True)
        server.s3cmd("get", f"s3://{bucket_name}/{key}", str(out))
        assert sha256_file(out) == digests[key], key

    server.s3cmd("del", f"s3://{bucket_name}/s3cmd/small.txt")
    remaining = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket_name)["Contents"])
    assert remaining == sorted(k for k in files if k != "s3cmd/small.txt")


def test_s3cmd_ls_directories(server, s3, bucket, tmp_path):
    for key in ["top.txt", "sub/a.txt", "sub/b.txt"]:
        s3.put_object(Bucket=bucket, Key=key, Body=b"abc")
    out = server.s3cmd("ls", f"s3://{bucket}/").stdout
    dirs = [line.split()[1] for line in out.splitlines() if line.split()[:1] == ["DIR"]]
    assert dirs == [f"s3://{bucket}/sub/"]
    assert _ls(out) == {f"s3://{bucket}/top.txt": 3}


def test_s3cmd_get_missing_fails(server, bucket, tmp_path):
    r = server.s3cmd("get", f"s3://{bucket}/missing.txt", str(tmp_path / "x"), check=False)
    assert r.returncode != 0
    # s3cmd HEADs first and words a 404 as "does not exist"
    assert "does not exist" in r.stderr or "404" in r.stderr, r.stderr
    assert not (tmp_path / "x").exists() or (tmp_path / "x").stat().st_size == 0
