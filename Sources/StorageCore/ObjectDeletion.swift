/// What a delete did: `version` is the delete marker it made (DeleteObject in a versioned bucket), or the
/// version or marker it removed (a delete by version ID); nil when neither. `releasedBlobs`: blob files
/// became garbage.
public struct ObjectDeletion: Sendable, Equatable {
    public var version: ObjectRecord?
    public var releasedBlobs: Bool
    public init(version: ObjectRecord?, releasedBlobs: Bool) { self.version = version; self.releasedBlobs = releasedBlobs }
}
