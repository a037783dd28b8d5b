import Foundation
import Testing
@testable import StorageCore

/// Buckets belong to the user who created them, in both stores: a name taken by another user is
/// BucketAlreadyExists, by the same user BucketAlreadyOwnedByYou; buckets from before owners (no owner in
/// their row) are the default user's; an owner that is not a user name is a damaged row, refused.
@Suite struct BucketOwnerTests {
    @Test(arguments: StoreKind.allCases) func bucketsKeepTheirCreator(_ kind: StoreKind) async throws {
        let (s, _) = try await makeStorage(kind)
        try await s.createBucket("alices", region: "us-east-1", owner: User(name: "alice"))
        #expect(try await s.bucket("alices").owner == User(name: "alice"))
        await #expect { try await s.createBucket("alices", region: "us-east-1", owner: User(name: "alice")) } throws: {
            ($0 as? CoreError)?.code == "BucketAlreadyOwnedByYou"
        }
        await #expect { try await s.createBucket("alices", region: "us-east-1", owner: User(name: "bob")) } throws: {
            ($0 as? CoreError)?.code == "BucketAlreadyExists"
        }
        #expect(try await s.bucket("alices").owner == User(name: "alice"))   // unchanged by either
        try await s.createBucket("plain", region: "us-east-1")
        #expect(try await s.listBuckets().map(\.owner.name) == ["alice", User.defaultName])
    }

    @Test(arguments: StoreKind.allCases) func ownersFromBeforeAndDamagedOnes(_ kind: StoreKind) async throws {
        let (s, execute) = try await makeStoreWithSQL(kind)
        _ = try await s.createBucket(BucketRecord(name: "old", created: Date(), region: "r"))
        #expect(try await s.bucket(named: "old")?.ownerName == nil)
        #expect(try await s.bucket(named: "old")?.owner == .default)
        try await execute("UPDATE buckets SET owner = 'not a user'")
        await #expect(throws: CoreError.self) { _ = try await s.bucket(named: "old") }
        await #expect(throws: CoreError.self) { _ = try await s.listBuckets() }
    }
}
