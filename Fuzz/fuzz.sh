#!/usr/bin/env bash
# Builds and runs Tessera's libFuzzer targets (see docs/reliability.md, "Fuzzing").
#
#   Fuzz/fuzz.sh build [TARGET...]                 build the fuzzers into .build-fuzz/bin
#   Fuzz/fuzz.sh run RUNS SECONDS [TARGET...]      build, then run each target one after another for
#                                                  RUNS executions (0 = no limit) or SECONDS, whichever
#                                                  comes first, and print each run's last status line
#
# Targets: range xml postpolicy sigv4 chunked (default: all, in that order). Needs only the Swift toolchain (swiftc with
# -sanitize=fuzzer,address; libFuzzer ships with it), pkg-config + libxml2-dev (as the package does), and
# for sigv4/chunked the swift-crypto objects of the package's own debug build, which this script makes
# with `swift build --target SigV4` (a no-op when up to date).
# Environment: SWIFT (swift), SWIFTC (swiftc), NICE (nice -n 10), FUZZ_JOBS_DIR (.build-fuzz),
# FUZZ_ARGS (extra libFuzzer flags).
set -uo pipefail

cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
SWIFTC=${SWIFTC:-swiftc}
NICE=${NICE:-nice -n 10}
OUT=${FUZZ_JOBS_DIR:-.build-fuzz}
ALL_TARGETS=(range xml postpolicy sigv4 chunked)

FLAGS=(-swift-version 6 -sanitize=fuzzer,address -parse-as-library -O -wmo -g)
# lld (shipped with the toolchain) links the sanitizer runtimes without gold's export warnings.
if command -v ld.lld >/dev/null 2>&1 || [ -x "$(dirname "$(command -v "$SWIFTC")")/ld.lld" ]; then
    FLAGS+=(-use-ld=lld)
fi

max_len() {
    case $1 in xml) echo 8192 ;; sigv4) echo 4096 ;; chunked) echo 4096 ;; range) echo 256 ;; postpolicy) echo 4096 ;; esac
}

crypto_flags() {
    # The swift-crypto module and objects from the package's debug build (Sources/SigV4 imports Crypto).
    $SWIFT build --target SigV4 >&2 || return 1
    local bin
    bin=$($SWIFT build --show-bin-path) || return 1
    [ -f "$bin/Modules/Crypto.swiftmodule" ] || [ -f "$bin/Crypto.swiftmodule" ] || {
        echo "fuzz.sh: no Crypto.swiftmodule under $bin" >&2; return 1; }
    CRYPTO=(-I "$bin/Modules" -I "$bin")
    local dir
    for dir in Crypto CryptoBoringWrapper CCryptoBoringSSLShims CCryptoBoringSSL; do
        [ -d "$bin/$dir.build" ] || { echo "fuzz.sh: $bin/$dir.build missing" >&2; return 1; }
        while IFS= read -r o; do CRYPTO+=("$o"); done < <(find "$bin/$dir.build" -name '*.o' | sort)
    done
    CRYPTO+=(-lstdc++)
}

build() {
    local t=$1
    mkdir -p "$OUT/bin" "$OUT/src"
    echo "== build $t" >&2
    case $t in
    xml)
        # shellcheck disable=SC2046
        $SWIFTC "${FLAGS[@]}" -module-name S3XML -I Sources/CLibXML2 \
            $(pkg-config --cflags-only-I libxml-2.0 | sed 's/-I/-Xcc -I/g') $(pkg-config --libs libxml-2.0) \
            Sources/S3XML/*.swift Fuzz/Support.swift Fuzz/XMLFuzz.swift -o "$OUT/bin/xml-fuzz" ;;
    sigv4 | chunked)
        [ ${#CRYPTO[@]} -gt 0 ] || crypto_flags || return 1
        local harness=Fuzz/SigV4Fuzz.swift
        [ "$t" = chunked ] && harness=Fuzz/ChunkedFuzz.swift
        $SWIFTC "${FLAGS[@]}" -module-name SigV4 Sources/SigV4/*.swift Fuzz/Support.swift "$harness" \
            "${CRYPTO[@]}" -o "$OUT/bin/$t-fuzz" ;;
    range)
        # GetObject.swift imports Hummingbird: compile only its pure `enum ByteRange`, extracted afresh
        # from the current source on every build (nothing is copied into the repository).
        {
            echo "// Extracted from Sources/TesseraServer/S3/GetObject.swift by Fuzz/fuzz.sh; do not edit."
            echo "import Foundation"
            awk '/^enum ByteRange[ :{]/ { p = 1 } p { print } p && /^}/ { exit }' Sources/TesseraServer/S3/GetObject.swift
        } >"$OUT/src/ByteRange.swift"
        grep -q 'static func parse' "$OUT/src/ByteRange.swift" || {
            echo "fuzz.sh: could not extract enum ByteRange from GetObject.swift" >&2; return 1; }
        $SWIFTC "${FLAGS[@]}" -module-name ByteRangeFuzz "$OUT/src/ByteRange.swift" Fuzz/Support.swift \
            Fuzz/RangeFuzz.swift -o "$OUT/bin/range-fuzz" ;;
    postpolicy)
        $SWIFTC "${FLAGS[@]}" -module-name PostPolicy Sources/PostPolicy/*.swift Fuzz/Support.swift \
            Fuzz/PostPolicyFuzz.swift -o "$OUT/bin/postpolicy-fuzz" ;;
    *)
        echo "fuzz.sh: unknown target $t (targets: ${ALL_TARGETS[*]})" >&2; return 2 ;;
    esac
}

run() {
    local t=$1 runs=$2 seconds=$3
    local log="$OUT/logs/$t.log"
    mkdir -p "$OUT/corpus/$t" "$OUT/artifacts" "$OUT/logs"
    local limit=()
    [ "$runs" != 0 ] && limit+=("-runs=$runs")
    # New inputs go to $OUT/corpus/<target> (kept between runs); Fuzz/corpus/<target> holds the seeds.
    # SWIFT_BACKTRACE=enable=no: the runtime's backtracer would outlive a crashing run.
    # malloc_context_size=0: recording allocation stacks costs ~20% of the speed; replay a crash input
    # (.build-fuzz/bin/<target>-fuzz <file>) without ASAN_OPTIONS to see them.
    # shellcheck disable=SC2086
    $NICE env SWIFT_BACKTRACE=enable=no ASAN_OPTIONS="${ASAN_OPTIONS:-malloc_context_size=0}" \
        "$OUT/bin/$t-fuzz" "$OUT/corpus/$t" "Fuzz/corpus/$t" -dict="Fuzz/dict/$t.dict" \
        -max_len="$(max_len "$t")" "${limit[@]}" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2560 \
        -print_final_stats=1 -artifact_prefix="$OUT/artifacts/$t-" ${FUZZ_ARGS:-} >"$log" 2>&1
    local rc=$?
    local status execs secs
    status=$(grep -E '^#[0-9]+' "$log" | grep -E 'cov: ' | tail -n 1)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
    echo "== $t: ${execs:-?} execs in ${secs:-?} s (exit $rc)"
    echo "   ${status:-no status line}"
    if [ $rc -ne 0 ]; then
        grep -E 'ERROR: |Fatal error|invariant violated|SUMMARY|Test unit written' "$log" | head -n 8 | sed 's/^/   /'
        echo "   log: $log"
    else
        echo "   crashes: none"
    fi
    return $rc
}

cmd=${1:-}
shift || true
case $cmd in
build)
    CRYPTO=()
    targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=("${ALL_TARGETS[@]}")
    for t in "${targets[@]}"; do build "$t" || exit 1; done ;;
run)
    runs=${1:?RUNS}; seconds=${2:?SECONDS}; shift 2
    CRYPTO=()
    targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=("${ALL_TARGETS[@]}")
    for t in "${targets[@]}"; do build "$t" || exit 1; done
    failed=0
    for t in "${targets[@]}"; do run "$t" "$runs" "$seconds" || failed=1; done
    exit $failed ;;
*)
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
    exit 2 ;;
esac
