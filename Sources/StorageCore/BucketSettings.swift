/// A bucket and some of its sub-resource documents (its configuration: ACL, policy, Object Lock, default
/// encryption, …), read together in one round trip to the store (`MetadataStore.bucketSettings`).
public struct BucketSettings: Sendable {
    public var record: BucketRecord
    /// The documents asked for that the bucket has, by name; a name it has none for is absent.
    public var configs: [String: String]

    public init(record: BucketRecord, configs: [String: String]) {
        self.record = record
        self.configs = configs
    }

    /// Its Object Lock configuration; nil without one. A stored document that does not parse throws.
    public func objectLock() throws -> BucketObjectLock? {
        try BucketObjectLock(stored: configs[BucketObjectLock.configName])
    }
}
