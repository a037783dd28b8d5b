/// What `tessera --version` prints: the release number, set here by hand when a release is cut, and the commit the
/// binary was built from (`buildCommit`, generated at build time by the BuildInfo plugin).
enum TesseraVersion {
    static let number = "0.9.0"
    static var line: String { "tessera \(number) (commit \(buildCommit))" }
}
