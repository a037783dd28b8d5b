#!/usr/bin/env bash
# Builds and runs Tessera's libFuzzer targets (see docs/reliability.md, "Fuzzing").
#
#   Fuzz/fuzz.sh build [TARGET...]                 build the fuzzers
#   Fuzz/fuzz.sh run RUNS SECONDS [TARGET...]      build, then run each target one after another for
#                                                  RUNS executions (0 = no limit) or SECONDS, whichever
#                                                  comes first, and print each run's last status line;
#                                                  exits non-zero if any run crashed or failed
#
# Targets: range xml postpolicy formdata sigv4 chunked frontend (default: all, in that order). Needs only the Swift
# toolchain (swiftc with -sanitize=fuzzer,address; libFuzzer ships with it), pkg-config + libxml2-dev (as
# the package does), and the objects of the package's own build for what the targets link but do not
# fuzz: swift-crypto (sigv4, chunked) and SwiftNIO's NIOCore (formdata), which this script makes with
# `swift build [-c CONFIG] --target SigV4` / `--target StorageCore` (no-ops when up to date). Sources/WireFormats
# (no dependencies; imported by SigV4 and PostPolicy) is compiled here, instrumented like the code under test.
# Environment:
#   FUZZ_SANITIZE   address (default: -sanitize=fuzzer,address; binaries in .build-fuzz/bin, logs
#                   .build-fuzz/logs/TARGET.log) or none (-sanitize=fuzzer only, for long runs: about 4x
#                   faster; Swift's own bounds and overflow checks stay on; .build-fuzz/bin-noasan,
#                   logs/TARGET-noasan.log)
#   FUZZ_CONFIG     debug (default) or release: which package build supplies swift-crypto and NIOCore
#                   (release makes sigv4/chunked about 2x faster; the code under test is always -O)
#   FUZZ_PACKAGE_BIN  use this package bin directory (e.g. .build/release) as it is, without swift build
#   SWIFT (swift), SWIFTC (swiftc), NICE (nice -n 10), FUZZ_JOBS_DIR (.build-fuzz), FUZZ_ARGS (extra
#   libFuzzer flags).
set -uo pipefail

cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
SWIFTC=${SWIFTC:-swiftc}
NICE=${NICE:-nice -n 10}
OUT=${FUZZ_JOBS_DIR:-.build-fuzz}
ALL_TARGETS=(range xml postpolicy formdata sigv4 chunked frontend)
FUZZ_SANITIZE=${FUZZ_SANITIZE:-address}
FUZZ_CONFIG=${FUZZ_CONFIG:-debug}
case $FUZZ_SANITIZE in
address) SANITIZE=fuzzer,address; BIN=$OUT/bin; SUFFIX= ;;
none) SANITIZE=fuzzer; BIN=$OUT/bin-noasan; SUFFIX=-noasan ;;
*) echo "fuzz.sh: FUZZ_SANITIZE must be address or none" >&2; exit 2 ;;
esac

FLAGS=(-sanitize=$SANITIZE -parse-as-library -O -wmo -g)
# lld (shipped with the toolchain) links the sanitizer runtimes without gold's export warnings.
if command -v ld.lld >/dev/null 2>&1 || [ -x "$(dirname "$(command -v "$SWIFTC")")/ld.lld" ]; then
    FLAGS+=(-use-ld=lld)
fi

max_len() {
    case $1 in xml) echo 8192 ;; sigv4) echo 4096 ;; chunked) echo 4096 ;; range) echo 256 ;; postpolicy) echo 4096 ;;
    formdata) echo 4096 ;; frontend) echo 4096 ;; esac
}

# The package's bin directory (after building TARGET there unless FUZZ_PACKAGE_BIN names one).
package_bin() {
    if [ -n "${FUZZ_PACKAGE_BIN:-}" ]; then
        (cd "$FUZZ_PACKAGE_BIN" && pwd); return
    fi
    $SWIFT build -c "$FUZZ_CONFIG" --target "$1" >&2 || return 1
    $SWIFT build -c "$FUZZ_CONFIG" --show-bin-path
}

# Every object of the package build's targets named, appended to the array named by $1.
package_objects() {
    local -n into=$1
    local bin=$2 dir
    shift 2
    for dir in "$@"; do
        [ -d "$bin/$dir.build" ] || { echo "fuzz.sh: $bin/$dir.build missing" >&2; return 1; }
        while IFS= read -r o; do into+=("$o"); done < <(find "$bin/$dir.build" -name '*.o' | sort)
    done
}

crypto_flags() {
    # The swift-crypto module and objects from the package's build (Sources/SigV4 imports Crypto).
    local bin
    bin=$(package_bin SigV4) || return 1
    [ -f "$bin/Modules/Crypto.swiftmodule" ] || [ -f "$bin/Crypto.swiftmodule" ] || {
        echo "fuzz.sh: no Crypto.swiftmodule under $bin" >&2; return 1; }
    CRYPTO=(-I "$bin/Modules" -I "$bin")
    package_objects CRYPTO "$bin" Crypto CryptoBoringWrapper CCryptoBoringSSLShims CCryptoBoringSSL || return 1
    CRYPTO+=(-lstdc++)
}

nio_flags() {
    # NIOCore (the form readers hand on ByteBuffers) and what it needs, from the package's build of StorageCore.
    local bin checkouts m
    bin=$(package_bin StorageCore) || return 1
    checkouts=$(cd -P "$bin/../.." && pwd)/checkouts
    [ -d "$checkouts/swift-nio" ] || checkouts=$(pwd)/.build/checkouts
    NIO=(-I "$bin/Modules")
    for m in "$checkouts/swift-atomics/Sources/_AtomicsShims/include/module.modulemap" \
        "$checkouts/swift-nio/Sources/CNIOWindows/include/module.modulemap" \
        "$bin/CNIOLinux.build/module.modulemap" "$bin/CNIODarwin.build/module.modulemap" \
        "$bin/CNIOWASI.build/module.modulemap" "$bin/CNIOAtomics.build/module.modulemap"; do
        [ -f "$m" ] || { echo "fuzz.sh: $m missing" >&2; return 1; }
        NIO+=(-Xcc "-fmodule-map-file=$m")
    done
    for m in CNIOLinux CNIODarwin CNIOWASI CNIOAtomics CNIOWindows; do
        NIO+=(-Xcc -I -Xcc "$checkouts/swift-nio/Sources/$m/include")
    done
    NIO_OBJECTS=()
    package_objects NIO_OBJECTS "$bin" NIOCore NIOConcurrencyHelpers _NIODataStructures _NIOBase64 CNIOLinux \
        CNIODarwin CNIOWindows CNIOWASI CNIOAtomics || return 1
    # NIOCore uses DequeModule and Atomics, which use other modules of their packages depending on the
    # version resolved and the configuration (e.g. ContainersPreview in a debug build): take every module
    # of swift-collections and swift-atomics that the package's build made (the unused ones cost nothing).
    local package dir
    for package in swift-collections swift-atomics; do
        for dir in "$checkouts/$package/Sources"/*/; do
            dir=$(basename "$dir")
            [ -d "$bin/$dir.build" ] && { package_objects NIO_OBJECTS "$bin" "$dir" || return 1; }
        done
    done
}

wireformats_flags() {
    # Sources/WireFormats as a module of its own (SigV4 and PostPolicy import it), instrumented like the rest.
    local dir=$OUT/modules$SUFFIX
    mkdir -p "$dir"
    $SWIFTC "${FLAGS[@]}" -swift-version 6 -module-name WireFormats -emit-module -emit-module-path \
        "$dir/WireFormats.swiftmodule" -c Sources/WireFormats/*.swift -o "$dir/WireFormats.o" || return 1
    WIRE=(-I "$dir" "$dir/WireFormats.o")
}

# The frontend target's parsers sit in modules that link SwiftNIO and Hummingbird (S3API, GatewayHTTP, StorageCore,
# SQLiteMetadata, TasksAPI, WorkerAPI); the files they are in do not use them. Those files are compiled into the fuzzer as one module,
# and the modules they import are empty stand-ins (first on the search path), so each `import StorageCore`
# finds nothing and every type comes from the files compiled here. swift-http-types (the header fields) and
# swift-crypto (ETags, canonical user IDs) come from the package's build of GatewayHTTP.
stub_flags() {
    local dir=$OUT/stubs$SUFFIX m bin
    mkdir -p "$dir"
    for m in StorageCore GatewayHTTP AccessKeys; do
        [ -f "$dir/$m.swiftmodule" ] && continue
        : >"$dir/$m.swift"
        $SWIFTC -parse-as-library -swift-version 6 -module-name "$m" -emit-module -emit-module-path "$dir/$m.swiftmodule" \
            "$dir/$m.swift" || return 1
    done
    bin=$(package_bin GatewayHTTP) || return 1
    STUBS=(-I "$dir" -I "$bin/Modules" -I "$bin")
    package_objects STUBS "$bin" HTTPTypes Crypto CryptoBoringWrapper CCryptoBoringSSLShims CCryptoBoringSSL || return 1
    STUBS+=(-lstdc++)
}

# Files of the frontend target's parsers and what they need (records, errors, ETags, users): the request head
# (Sources/S3API, GatewayHTTP, AccessKeys), the metadata columns (SQLiteMetadata), the Worker and task APIs'
# bodies, bucket policies; Base64 from Sources/Checksums.
FRONTEND_SOURCES=(
    Sources/StorageCore/{CoreError,VersionSelector,PartValidator,WriteCondition,User,UploadTicket,Records,LimitProfile}.swift
    Sources/StorageCore/{AccessControlList,ObjectTag,ObjectRetention,ObjectEncryption,BlockCipher}.swift
    Sources/GatewayHTTP/{ASCIICase,PercentDecoding,QueryParameters,RequestTarget,S3Time}.swift
    Sources/AccessKeys/AccessKind.swift
    Sources/S3API/{S3Endpoint,S3Request,VersionID,AccessRequirement,CopySource,Conditionals,WriteConditionHeaders}.swift
    Sources/S3API/{ContinuationToken,ContentMD5,ListingQuery}.swift Sources/S3API/Multipart/CopySourceRange.swift
    Sources/S3API/{PolicyDocument,PolicyCondition,PolicyRequest,Wildcard,CIDR}.swift
    Sources/SQLiteMetadata/{AttributesColumn,PartChecksumsColumn}.swift
    Sources/TasksAPI/{TaskCreateRequest,TaskPlan,TaskRefusal}.swift Sources/WorkerAPI/WorkerCompleteBody.swift
    Sources/Checksums/Base64.swift
)
FRONTEND_HARNESS=(Fuzz/{FrontEndFuzz,S3RequestFuzz,AttributesFuzz,TaskAPIFuzz,PolicyFuzz}.swift)

build() {
    local t=$1
    mkdir -p "$BIN" "$OUT/src"
    echo "== build $t ($FUZZ_SANITIZE sanitizer)" >&2
    case $t in
    xml)
        [ ${#WIRE[@]} -gt 0 ] || wireformats_flags || return 1   # lifecycle <Date>s are ISO 8601
        # shellcheck disable=SC2046
        $SWIFTC "${FLAGS[@]}" -swift-version 6 -module-name S3XML -I Sources/CLibXML2 \
            $(pkg-config --cflags-only-I libxml-2.0 | sed 's/-I/-Xcc -I/g') $(pkg-config --libs libxml-2.0) \
            Sources/S3XML/*.swift Fuzz/Support.swift Fuzz/XMLFuzz.swift "${WIRE[@]}" -o "$BIN/xml-fuzz" ;;
    sigv4 | chunked)
        [ ${#CRYPTO[@]} -gt 0 ] || crypto_flags || return 1
        [ ${#WIRE[@]} -gt 0 ] || wireformats_flags || return 1
        local harness=Fuzz/SigV4Fuzz.swift
        [ "$t" = chunked ] && harness=Fuzz/ChunkedFuzz.swift
        $SWIFTC "${FLAGS[@]}" -swift-version 6 -module-name SigV4 Sources/SigV4/*.swift Fuzz/Support.swift "$harness" \
            "${WIRE[@]}" "${CRYPTO[@]}" -o "$BIN/$t-fuzz" ;;
    range)
        # `enum ByteRange` has a file of its own (Foundation only; declared `package`, hence -package-name).
        $SWIFTC "${FLAGS[@]}" -swift-version 6 -module-name ByteRangeFuzz -package-name tessera Sources/GatewayHTTP/ByteRange.swift \
            Fuzz/Support.swift Fuzz/RangeFuzz.swift -o "$BIN/range-fuzz" ;;
    postpolicy)
        [ ${#WIRE[@]} -gt 0 ] || wireformats_flags || return 1
        $SWIFTC "${FLAGS[@]}" -swift-version 6 -module-name PostPolicy Sources/PostPolicy/*.swift Fuzz/Support.swift \
            Fuzz/PostPolicyFuzz.swift "${WIRE[@]}" -o "$BIN/postpolicy-fuzz" ;;
    formdata)
        # The multipart/form-data parser (Sources/FormData, no dependencies) and the readers over it of
        # the task API's chunk endpoint (FormFieldStream) and of PostObject (PostFormReader), extracted
        # afresh from their sources (they sit in files that import Hummingbird; Fuzz/FormDataFuzz.swift
        # stands in for RequestBody and CoreError). NIOCore: the readers hand on ByteBuffers.
        [ ${#NIO[@]} -gt 0 ] || nio_flags || return 1
        [ ${#WIRE[@]} -gt 0 ] || wireformats_flags || return 1
        extract FormFieldStream 'final class FormFieldStream' Sources/TasksAPI/FormFieldStream.swift \
            'static func boundary' 'NIOCore' || return 1
        extract PostFormReader 'final class PostFormReader' Sources/S3API/PostObject.swift \
            'func nextFileChunk' 'NIOCore' || return 1
        $SWIFTC "${FLAGS[@]}" -swift-version 6 -module-name FormDataFuzz "${NIO[@]}" Sources/PostPolicy/*.swift \
            Sources/FormData/*.swift "$OUT/src/FormFieldStream.swift" \
            "$OUT/src/PostFormReader.swift" Fuzz/Support.swift Fuzz/FormDataFuzz.swift "${WIRE[@]}" "${NIO_OBJECTS[@]}" \
            -o "$BIN/formdata-fuzz" ;;
    frontend)
        [ ${#STUBS[@]} -gt 0 ] || stub_flags || return 1
        [ ${#WIRE[@]} -gt 0 ] || wireformats_flags || return 1
        $SWIFTC "${FLAGS[@]}" -swift-version 6 -module-name FrontEndFuzz -package-name tessera "${FRONTEND_SOURCES[@]}" \
            Fuzz/Support.swift "${FRONTEND_HARNESS[@]}" "${WIRE[@]}" "${STUBS[@]}" -o "$BIN/frontend-fuzz" ;;
    *)
        echo "fuzz.sh: unknown target $t (targets: ${ALL_TARGETS[*]})" >&2; return 2 ;;
    esac
}

# extract NAME 'DECLARATION START' FILE 'MUST CONTAIN' 'MODULES': copies one top-level declaration (from
# the line that starts with DECLARATION START to the first line that is just "}") into $OUT/src/NAME.swift,
# importing Foundation and MODULES.
extract() {
    local start=$2 file=$3 check=$4 out=$OUT/src/$1.swift m
    {
        echo "// Extracted from $file by Fuzz/fuzz.sh; do not edit."
        echo "import Foundation"
        for m in $5; do echo "import $m"; done
        awk -v s="$start" 'index($0, s) == 1 && substr($0, length(s) + 1, 1) ~ /[ :{]/ { p = 1 } p { print } p && /^}/ { exit }' "$file"
    } >"$out"
    grep -q "$check" "$out" || { echo "fuzz.sh: could not extract $start from $file" >&2; return 1; }
}

run() {
    local t=$1 runs=$2 seconds=$3
    local log="$OUT/logs/$t$SUFFIX.log"
    mkdir -p "$OUT/corpus/$t" "$OUT/artifacts" "$OUT/logs"
    local limit=()
    [ "$runs" != 0 ] && limit+=("-runs=$runs")
    # New inputs go to $OUT/corpus/<target> (kept between runs); Fuzz/corpus/<target> holds the seeds.
    # SWIFT_BACKTRACE=enable=no: the runtime's backtracer would outlive a crashing run.
    # malloc_context_size=0: recording allocation stacks costs ~20% of the speed; replay a crash input
    # (.build-fuzz/bin/<target>-fuzz <file>) without ASAN_OPTIONS to see them.
    # shellcheck disable=SC2086
    $NICE env SWIFT_BACKTRACE=enable=no ASAN_OPTIONS="${ASAN_OPTIONS:-malloc_context_size=0}" \
        "$BIN/$t-fuzz" "$OUT/corpus/$t" "Fuzz/corpus/$t" -dict="Fuzz/dict/$t.dict" \
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

CRYPTO=()
NIO=()
WIRE=()
STUBS=()
cmd=${1:-}
shift || true
case $cmd in
build)
    targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=("${ALL_TARGETS[@]}")
    for t in "${targets[@]}"; do build "$t" || exit 1; done ;;
run)
    runs=${1:?RUNS}; seconds=${2:?SECONDS}; shift 2
    targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=("${ALL_TARGETS[@]}")
    for t in "${targets[@]}"; do build "$t" || exit 1; done
    failed=0
    for t in "${targets[@]}"; do run "$t" "$runs" "$seconds" || failed=1; done
    exit $failed ;;
*)
    sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'
    exit 2 ;;
esac
