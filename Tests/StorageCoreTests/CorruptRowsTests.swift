import Foundation
import Testing
@testable import PostgresMetadata
import SQLiteMetadata
@testable import StorageCore

/// A metadata row that is not what a store writes is refused (InternalError), never read as empty
/// attributes, no checksums or a short body: the same for SQLite and PostgreSQL.
@Suite struct CorruptRowsTests {
    @Test(arguments: StoreKind.allCases) func damagedRowsAreRefused(_ kind: StoreKind) async throws {
        let (s, execute) = try await makeStoreWithSQL(kind)
        _ = try await s.createBucket(BucketRecord(name: "bkt", created: Date(), region: "r"))
        let v = try await s.nextVersion()
        _ = try await s.putObject(ObjectRecord(bucket: "bkt", key: "k", version: v, size: 3, etag: "e", lastModified: Date(),
                                               attributes: ObjectAttributes(contentType: "x/y"), partsCount: nil),
                                  segments: [Segment(blob: "", size: 3, offset: 0, inline: [1, 2, 3])])
        #expect(try await s.object(bucket: "bkt", key: "k")?.attributes.contentType == "x/y")

        try await execute("UPDATE objects SET attrs = 'not json'")
        await #expect(throws: CoreError.self) { _ = try await s.object(bucket: "bkt", key: "k") }
        await #expect(throws: CoreError.self) { _ = try await s.objectWithSegments(bucket: "bkt", key: "k") }
        try await execute("UPDATE objects SET attrs = '{\"userMetadata\":{},\"checksums\":{}}'")
        #expect(try await s.object(bucket: "bkt", key: "k") != nil)

        let twoBytes = kind == .sqlite ? "X'0102'" : "'\\x0102'::bytea"
        try await execute("UPDATE segments SET data = \(twoBytes)")   // 2 bytes for a size of 3
        await #expect(throws: CoreError.self) { _ = try await s.segments(version: v) }
        await #expect(throws: CoreError.self) { _ = try await s.objectWithSegments(bucket: "bkt", key: "k") }

        try await s.createUpload(UploadRecord(uploadID: "u", bucket: "bkt", key: "k", initiated: Date(), attributes: .init(),
                                              checksumAlgorithm: nil))
        try await s.putPart(uploadID: "u", part: PartRecord(partNumber: 1, blob: "p", size: 1, etag: "e", lastModified: Date(),
                                                            checksums: ["CRC32": "AAAAAA=="]))
        #expect(try await s.parts(uploadID: "u", afterPartNumber: 0, limit: 10).first?.checksums == ["CRC32": "AAAAAA=="])
        try await execute("UPDATE parts SET checksums = '[1,2]'")
        await #expect(throws: CoreError.self) { _ = try await s.parts(uploadID: "u", afterPartNumber: 0, limit: 10) }
        try await execute("UPDATE uploads SET attrs = '{'")
        await #expect(throws: CoreError.self) { _ = try await s.upload(id: "u") }
    }
}
