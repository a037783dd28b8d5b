/// A bucket's versioning state. A bucket starts unversioned; once Enabled it can only be Suspended
/// again, never unversioned (S3's rule). Stored as the bucket config "versioning" (absent: unversioned).
public enum BucketVersioning: String, Sendable, Equatable {
    case unversioned = ""
    case enabled = "Enabled"
    case suspended = "Suspended"

    /// The name of the bucket config document that holds the state.
    public static let configName = "versioning"

    /// The state from its stored config value (nil: none stored). A value this gateway does not write is
    /// refused (a damaged row), never read as unversioned.
    public init(stored value: String?) throws {
        guard let value else { self = .unversioned; return }
        guard let state = BucketVersioning(rawValue: value), state != .unversioned else {
            throw CoreError.internalError("corrupt metadata row: bucket versioning state \"\(value)\"")
        }
        self = state
    }
}
