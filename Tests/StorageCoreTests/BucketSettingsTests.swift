import Foundation
import Testing
@testable import StorageCore

/// `bucketSettings`, in both stores: the bucket's row and exactly the asked-for documents it has, by their
/// exact names, in one read; nil for a bucket that does not exist; a damaged owner refused as `bucket` does.
@Suite struct BucketSettingsTests {
    @Test(arguments: StoreKind.allCases) func theBucketAndTheDocumentsAskedFor(_ kind: StoreKind) async throws {
        let (s, _) = try await makeStorage(kind)
        try await s.createBucket("settings", region: "eu-west-1", owner: User(name: "alice"))
        try await s.createBucket("other", region: "us-east-1")
        try await s.metadata.setBucketConfig(bucket: "settings", name: "acl", value: "{\"grants\":[]}")
        try await s.metadata.setBucketConfig(bucket: "settings", name: "cors", value: "<CORSConfiguration/>\t\n")
        try await s.metadata.setBucketConfig(bucket: "settings", name: "lifecycle", value: "not asked for")
        try await s.metadata.setBucketConfig(bucket: "other", name: "policy", value: "another bucket's")

        let read = try await s.bucketSettings("settings", configs: ["acl", "policy", "cors", "ACL", "cors\u{301}"])
        #expect(read.record == (try await s.bucket("settings")))
        #expect(read.record.region == "eu-west-1" && read.record.owner == User(name: "alice"))
        // Only what it has of what was asked, byte for byte: not its lifecycle, not another bucket's policy,
        // no case-folded or otherwise similar name.
        #expect(read.configs == ["acl": "{\"grants\":[]}", "cors": "<CORSConfiguration/>\t\n"])
        #expect(try await s.bucketSettings("settings", configs: []).configs.isEmpty)
        #expect(try await s.bucketSettings("other", configs: ["acl", "policy"]).configs == ["policy": "another bucket's"])

        await #expect { _ = try await s.bucketSettings("missing", configs: ["acl"]) } throws: { ($0 as? CoreError)?.code == "NoSuchBucket" }
        #expect(try await s.metadata.bucketSettings(named: "missing", configs: []) == nil)
    }

    @Test(arguments: StoreKind.allCases) func theObjectLockDocumentIsParsedAndADamagedOneRefused(_ kind: StoreKind) async throws {
        let (s, _) = try await makeStorage(kind)
        try await s.createBucket("locked", region: "us-east-1")
        #expect(try await s.bucketSettings("locked", configs: [BucketObjectLock.configName]).objectLock() == nil)
        try await s.metadata.setBucketConfig(bucket: "locked", name: BucketObjectLock.configName, value: "{not a lock")
        let damaged = try await s.bucketSettings("locked", configs: [BucketObjectLock.configName])
        #expect(throws: (any Error).self) { _ = try damaged.objectLock() }
    }

    @Test(arguments: StoreKind.allCases) func aDamagedOwnerIsRefused(_ kind: StoreKind) async throws {
        let (s, execute) = try await makeStoreWithSQL(kind)
        _ = try await s.createBucket(BucketRecord(name: "old", created: Date(), region: "r"))
        #expect(try await s.bucketSettings(named: "old", configs: [])?.record.owner == .default)
        try await execute("UPDATE buckets SET owner = 'not a user'")
        await #expect(throws: CoreError.self) { _ = try await s.bucketSettings(named: "old", configs: []) }
    }
}
