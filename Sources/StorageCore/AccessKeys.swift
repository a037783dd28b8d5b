import Foundation

/// An access key beside the daemon's own: optionally scoped to some buckets.
public struct AccessKeyRecord: Codable, Sendable, Equatable {
    public var accessKey: String
    public var secretKey: String
    /// nil: every bucket. Otherwise only these (and ListBuckets shows only these).
    public var buckets: [String]?
    public var created: Date
    public init(accessKey: String, secretKey: String, buckets: [String]?, created: Date) {
        self.accessKey = accessKey; self.secretKey = secretKey; self.buckets = buckets; self.created = created
    }

    public func allows(bucket: String) -> Bool { buckets?.contains(bucket) ?? true }

    /// A fresh random pair (20-character ID, 40-character secret), as AWS shapes them.
    public static func generate(buckets: [String]?) -> AccessKeyRecord {
        var g = SystemRandomNumberGenerator()
        let alnum = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        let b64 = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        let id = "TK" + String((0..<18).map { _ in alnum[Int(g.next() % UInt64(alnum.count))] })
        let secret = String((0..<40).map { _ in b64[Int(g.next() % UInt64(b64.count))] })
        return AccessKeyRecord(accessKey: id, secretKey: secret, buckets: buckets, created: Date())
    }
}

/// Durable access keys (created with `tessera keys`, read by the daemon on each request).
public protocol AccessKeyStore: Sendable {
    func putKey(_ key: AccessKeyRecord) throws
    func key(id: String) throws -> AccessKeyRecord?
    func keys() throws -> [AccessKeyRecord]
    /// false when there was no such key.
    func deleteKey(id: String) throws -> Bool
}
