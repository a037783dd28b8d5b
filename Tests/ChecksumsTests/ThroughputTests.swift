import Checksums
import Dispatch
import Testing
import WireFormats
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Prints MiB/s for each algorithm over 64 MiB; informational only, never fails.
/// Opt in (it is slow in debug builds):
/// `CHECKSUM_BENCH=1 swift test -c release --filter Throughput`
@Suite struct ThroughputTests {
    @Test(.enabled(if: getenv("CHECKSUM_BENCH") != nil))
    func throughput() {
        let size = 64 << 20
        // 1 MiB of noise repeated: cheap to build; table-driven CRCs cost the same on any bytes.
        let block = StreamingTests.pseudoRandomBytes(1 << 20, seed: 3)
        let data = Array((0..<64).map { _ in block }.joined())
        for algorithm in ChecksumAlgorithm.allCases {
            var hasher = algorithm.makeHasher()
            let start = DispatchTime.now().uptimeNanoseconds
            data.withUnsafeBytes { hasher.update($0) }
            let digest = hasher.finalize()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            print("throughput \(algorithm.rawValue): \(Int(Double(size) / 1_048_576 / seconds)) MiB/s (\(Hex.encode(digest)))")
        }
    }
}
