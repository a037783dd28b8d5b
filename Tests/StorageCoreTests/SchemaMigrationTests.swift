import Foundation
@testable import SQLiteMetadata
import StorageCore
import Testing

/// Databases written by earlier versions open unchanged in meaning.
@Suite struct SchemaMigrationTests {
    func indexSQL(_ path: String) throws -> String {
        let c = try SQLiteConnection(path: path, readOnly: true)
        var sql = ""
        try c.query("SELECT sql FROM sqlite_master WHERE type='index' AND name='segments_by_blob'") { sql = $0.text(0) }
        return sql
    }

    @Test func theFullBlobIndexBecomesPartialAndBlobsStillCount() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mig-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/metadata.sqlite"
        do {
            _ = try await SQLiteMetadataStore.open(path: path, durable: false, pool: testPool)
            // As a database from before the change had it.
            let c = try SQLiteConnection(path: path, readOnly: false)
            try c.exec("DROP INDEX segments_by_blob; CREATE INDEX segments_by_blob ON segments(blob)")
            try c.exec("INSERT INTO segments(version, offset, size, blob) VALUES(7, 0, 10, 'blob-a'), (8, 0, 10, '')")
        }
        #expect(try !indexSQL(path).contains("WHERE"))
        let store = try await SQLiteMetadataStore.open(path: path, durable: false, pool: testPool)
        #expect(try indexSQL(path).contains("WHERE blob != ''"))
        #expect(try await store.references(blob: "blob-a"))
        #expect(try await !store.references(blob: "blob-b"))
        // Reopening leaves the new index alone.
        _ = try await SQLiteMetadataStore.open(path: path, durable: false, pool: testPool)
        #expect(try indexSQL(path).contains("WHERE blob != ''"))
    }
}
