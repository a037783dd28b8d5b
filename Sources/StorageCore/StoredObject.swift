/// What a write made: the stored record (`versioned` as the bucket's state made it) and whether blob
/// files became garbage (a replaced version's: a collection pass is due).
public struct StoredObject: Sendable, Equatable {
    public var record: ObjectRecord
    public var releasedBlobs: Bool
    public init(record: ObjectRecord, releasedBlobs: Bool) { self.record = record; self.releasedBlobs = releasedBlobs }
}
