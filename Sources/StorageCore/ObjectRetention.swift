import Foundation

/// An object version's retention (S3 Object Lock): until `retainUntil` the version cannot be deleted,
/// in GOVERNANCE mode unless the bucket's owner bypasses it, in COMPLIANCE mode by no one.
public struct ObjectRetention: Sendable, Equatable, Codable {
    public enum Mode: String, Sendable, Equatable, Codable {
        case governance = "GOVERNANCE"
        case compliance = "COMPLIANCE"
    }

    public var mode: Mode
    /// Whole milliseconds, as S3 keeps and answers them.
    public var retainUntil: Date

    public init(mode: Mode, retainUntil: Date) {
        self.mode = mode
        self.retainUntil = Date(timeIntervalSince1970: (retainUntil.timeIntervalSince1970 * 1000).rounded(.down) / 1000)
    }

    /// Whether the retention still protects its version at `now`.
    public func isActive(at now: Date) -> Bool { retainUntil > now }
}
