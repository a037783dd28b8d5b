/// Finds TESSERA_* environment variables that are not a setting: a misspelt `TESSERA_DATA_DIRR` would otherwise be
/// ignored, and the daemon would start on the default data directory (an empty store) without a word.
///
/// A name within two edits of a known one is an error (it is a typo of that name, and the setting it meant is
/// not applied); any other unknown TESSERA_ name is a warning naming the nearest known one (it may belong to a
/// newer or older version, or to a script around the daemon). Names are compared as bytes, case-insensitively
/// for the TESSERA_ prefix only.
public enum EnvironmentSpelling {
    /// TESSERA_ variables that are not settings: what each is for is in docs/operator-guide.md and
    /// Tests/integration/README.md.
    public static let otherNames: [String] = [
        "TESSERA_CONFIG",                          // the config file (as --config)
        "TESSERA_NIO_EXECUTOR",                    // 0: Swift tasks off NIO's event loops (serve)
        "TESSERA_TEST_SWEEPER_CLOCK_SHIFT_DAYS",   // tests only: the upload sweeper's clock moved forward
        "TESSERA_MIGRATE_PAUSE_AFTER_BATCHES",     // tests only: `tessera migrate` stops after N batches
        // The integration tests' and tools' own variables, inherited by the daemons they start.
        "TESSERA_BIN", "TESSERA_ENDPOINT", "TESSERA_CLIENT_TIMEOUT", "TESSERA_CLIENT_MAX_ATTEMPTS",
        "TESSERA_KEEP_DATA", "TESSERA_ARTIFACTS", "TESSERA_SERVE_ARGS", "TESSERA_TEST_POSTGRES_URL", "TESSERA_FLOOR_BIN",
    ]

    public struct Report: Equatable, Sendable {
        /// Near misses of a known name: each refuses the configuration.
        public var errors: [String] = []
        /// Other unknown TESSERA_ names: printed, the daemon starts.
        public var warnings: [String] = []
    }

    public static var knownNames: [String] {
        ServeOptions.CodingKeys.allCases.map(\.environmentName) + otherNames
    }

    public static func check(_ environment: [String: String]) -> Report {
        let known = knownNames
        let knownBytes = known.map { Array($0.utf8) }
        var report = Report()
        for name in environment.keys.sorted() {
            let bytes = Array(name.utf8)
            guard bytes.count >= 8, Array(bytes[..<8]).map(upper) == Array("TESSERA_".utf8) else { continue }
            if knownBytes.contains(bytes) { continue }
            let distances = knownBytes.map { editDistance(bytes.map(upper), $0) }
            let best = distances.indices.min { distances[$0] < distances[$1] }!
            if distances[best] <= 2 {
                report.errors.append("environment variable \(name) is not a setting: did you mean \(known[best])? "
                                     + "(unset it or correct its name)")
            } else {
                report.warnings.append("environment variable \(name) is not a setting and is ignored (the nearest is \(known[best]))")
            }
        }
        return report
    }

    private static func upper(_ b: UInt8) -> UInt8 { (b >= 0x61 && b <= 0x7A) ? b - 0x20 : b }

    /// Levenshtein distance between two byte strings.
    static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = Array(repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
