#!/usr/bin/env bash
# Makes sure a machine has what `make run` (build) or `make test` (test) needs beyond the image:
# each missing package is installed when this runs as root; otherwise the exact install commands are
# printed and it exits 1. Test clients are pinned to the versions the recorded client requests
# (../shared/fixtures/wire, Tests/integration/test_wire_replay.py) were made with.
#
#   scripts/ensure-packages.sh build    the C libraries the Swift build links
#   scripts/ensure-packages.sh test     build's, plus the clients and servers the tests drive
#   scripts/ensure-packages.sh bench    test's, plus wrk (make bench: the same clients, nginx and PostgreSQL)
set -euo pipefail

BUILD_APT=(libsqlite3-dev libxml2-dev zlib1g-dev pkg-config)
# postgresql-15: the server the PostgreSQL tests start (Tests/postgres/throwaway-postgres.sh);
# rsync, sqlite3: the backup scripts of docs/operator-guide.md, which the tests run; nginx: the load
# balancer example; curl, openssl: presigned URLs and test certificates; python3-pyfuse3, fuse3: the
# power-cut harness's file system (Tests/crash/lossyfs.py, run with the system python3); chromium,
# chromium-driver: the upload page's browser tests (Tests/integration/test_upload_page.py; not pinned:
# Debian's security updates replace chromium's version in the archive, and the driver must match the browser).
TEST_APT=(rclone=1.60.1+dfsg-2+b5 s3cmd=2.3.0-1 postgresql-15 rsync sqlite3 nginx curl openssl python3-pyfuse3 fuse3 chromium chromium-driver)
# awscrt: botocore computes CRC32C and CRC64NVME checksums only with the AWS CRT bindings.
# moto[server]: a foreign S3 endpoint for `tessera cp` (Tests/integration/test_cp.py).
# selenium: drives headless Chromium in the browser tests (4.40.0: later releases need a newer certifi).
# wrk: the load generator of make bench (bench/run.py).
BENCH_APT=(wrk)
TEST_PIP=(boto3==1.43.11 awscli==1.45.11 awscrt==0.32.2 pytest "moto[server]==5.2.1" selenium==4.40.0)

case "${1:-}" in
build) apt_wanted=("${BUILD_APT[@]}"); pip_wanted=() ;;
test) apt_wanted=("${BUILD_APT[@]}" "${TEST_APT[@]}"); pip_wanted=("${TEST_PIP[@]}") ;;
bench) apt_wanted=("${BUILD_APT[@]}" "${TEST_APT[@]}" "${BENCH_APT[@]}"); pip_wanted=("${TEST_PIP[@]}") ;;
*) echo "usage: $0 build|test|bench" >&2; exit 2 ;;
esac

apt_missing=()
for spec in "${apt_wanted[@]}"; do
    pkg=${spec%%=*}
    have=$(dpkg-query -W -f='${db:Status-Status} ${Version}' "$pkg" 2>/dev/null || true)
    case "$spec" in
    *=*) [ "$have" = "installed ${spec#*=}" ] || apt_missing+=("$spec") ;;
    *) case "$have" in installed*) ;; *) apt_missing+=("$spec") ;; esac ;;
    esac
done

pip_missing=()
for spec in ${pip_wanted[@]+"${pip_wanted[@]}"}; do
    name=${spec%%==*}
    name=${name%%\[*}
    have=$(python3 -c "import importlib.metadata as m; print(m.version('$name'))" 2>/dev/null || true)
    case "$spec" in
    *==*) [ "$have" = "${spec#*==}" ] || pip_missing+=("$spec") ;;
    *) [ -n "$have" ] || pip_missing+=("$spec") ;;
    esac
done

[ ${#apt_missing[@]} -eq 0 ] && [ ${#pip_missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "missing for 'make ${1/build/run}': install these, then run it again:" >&2
    [ ${#apt_missing[@]} -gt 0 ] && echo "  sudo apt-get install -y ${apt_missing[*]}" >&2
    [ ${#pip_missing[@]} -gt 0 ] && echo "  python3 -m pip install ${pip_missing[*]}" >&2
    exit 1
fi
if [ ${#apt_missing[@]} -gt 0 ]; then
    echo "installing: ${apt_missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --allow-downgrades "${apt_missing[@]}" >/dev/null
fi
if [ ${#pip_missing[@]} -gt 0 ]; then
    echo "installing: ${pip_missing[*]}" >&2
    python3 -m pip install -q "${pip_missing[@]}"
fi
