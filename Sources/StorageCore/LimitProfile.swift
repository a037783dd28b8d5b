/// Multipart limits as a named profile, so an operator can match another provider's rules.
public struct LimitProfile: Sendable, Equatable {
    public var name: String
    public var maxParts: Int
    /// Every part but the last must be at least this large (checked at Complete, as S3 does).
    public var minPartSize: Int64
    public var maxPartSize: Int64
    public var maxObjectSize: Int64
    /// Largest single PutObject body.
    public var maxPutSize: Int64
    /// R2: every part but the last must have the same size.
    public var equalPartSizes: Bool

    public static let MiB: Int64 = 1 << 20
    public static let GiB: Int64 = 1 << 30
    public static let TiB: Int64 = 1 << 40

    public static let aws = LimitProfile(name: "aws", maxParts: 10_000, minPartSize: 5 * MiB, maxPartSize: 5 * GiB,
                                         maxObjectSize: 5 * TiB, maxPutSize: 5 * GiB, equalPartSizes: false)
    public static let r2: LimitProfile = {
        var p = LimitProfile.aws
        p.name = "r2"
        p.equalPartSizes = true
        return p
    }()

    public static func named(_ name: String) -> LimitProfile? {
        switch name.lowercased() {
        case "aws": return .aws
        case "r2": return .r2
        default: return nil
        }
    }
}
