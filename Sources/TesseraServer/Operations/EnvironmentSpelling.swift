import GatewayHTTP

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
            guard bytes.count >= 8, Array(bytes[..<8]).map(ASCIICase.upper) == Array("TESSERA_".utf8) else { continue }
            if knownBytes.contains(bytes) { continue }
            let best = NearestName.nearest(to: bytes.map(ASCIICase.upper), among: known)!
            if best.distance <= 2 {
                report.errors.append("environment variable \(name) is not a setting: did you mean \(best.name)? "
                                     + "(unset it or correct its name)")
            } else {
                report.warnings.append("environment variable \(name) is not a setting and is ignored (the nearest is \(best.name))")
            }
        }
        return report
    }
}
