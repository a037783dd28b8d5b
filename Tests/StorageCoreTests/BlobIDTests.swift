@testable import FileBlobs
import Foundation
import Testing
@testable import StorageCore

/// Blob IDs (`FileBlobStore.newID`): a cluster's IDs sort together and by time, and keep the shape
/// (32 lowercase hex) and the directory fan-out of the random IDs before them.
@Suite struct BlobIDTests {
    let store: FileBlobStore

    init() async throws {
        let dir = NSTemporaryDirectory() + "tessera-blobid-" + UUID().uuidString
        store = try await FileBlobStore.open(root: dir, durable: false, pool: testPool)
    }

    @Test func anUploadsPartsShareAPrefixAndSortByTime() {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let ids = (0..<1000).map { FileBlobStore.newID(cluster: "upload-A", now: start.addingTimeInterval(Double($0) * 0.002)) }
        #expect(ids.allSatisfy(store.isValidID))
        #expect(Set(ids).count == ids.count)
        #expect(Set(ids.map { $0.prefix(4) }).count == 1)   // one cluster: one directory, one stretch of an index
        let inOrder = zip(ids, ids.dropFirst()).allSatisfy { $0.prefix(16) < $1.prefix(16) }
        #expect(inOrder)                                     // each two milliseconds later: in order
        #expect(Set(ids.map(store.directory(of:))).count == 1)
        // The cluster is FNV-1a of the name, folded to 16 bits: the same in every gateway and every build.
        // Pinned against Python (hashlib has no FNV; the 64-bit loop by hand): 0x839d and 0x8048.
        #expect(ids[0].hasPrefix("839d"))
        #expect(FileBlobStore.newID(cluster: "upload-B", now: start).hasPrefix("8048"))
    }

    /// Within one millisecond the random bits keep IDs distinct.
    @Test func idsOfOneMillisecondDiffer() {
        let now = Date()
        let ids = (0..<10_000).map { _ in FileBlobStore.newID(cluster: "u", now: now) }
        #expect(Set(ids).count == ids.count)
    }

    /// Without a cluster the prefix, and so the directory, is random: 2,000 IDs made in the same
    /// millisecond spread over many of the 65,536 directories.
    @Test func unclusteredIDsSpreadOverDirectories() {
        let now = Date()
        let ids = (0..<2000).map { _ in FileBlobStore.newID(now: now) }
        #expect(ids.allSatisfy(store.isValidID))
        #expect(Set(ids.map(store.directory(of:))).count > 1900)
    }

    /// Through Storage: every part of one upload is in the upload's cluster.
    @Test func uploadedPartsAreOneCluster() async throws {
        let (s, _) = try await makeStorage(limits: MultipartTests.small)
        try await s.createBucket("bkt", region: "us-east-1")
        let u = try await s.createMultipartUpload(bucket: "bkt", key: "k", attributes: ObjectAttributes())
        var blobs: [BlobID] = []
        for n in 1...5 {
            blobs.append(try await s.uploadPart(bucket: "bkt", key: "k", uploadID: u.uploadID, partNumber: n,
                                                plainBody: TestBody(bytes: randomBytes(200))).blob)
        }
        #expect(Set(blobs.map { $0.prefix(4) }) == [Substring(FileBlobStore.newID(cluster: u.uploadID).prefix(4))])
    }
}
