import CSQLite
import Foundation
@testable import SQLiteMetadata
import StorageCore
import Testing

/// parts.checksums is read and written by hand; it must stay the JSON every earlier version wrote.
@Suite struct PartChecksumsColumnTests {
    struct Wrapper: Codable, Equatable { var c: [String: String] }

    static let samples: [[String: String]] = [
        [:],
        ["CRC64NVME": "ftW+pkq+STY="],
        ["CRC32": "twtMJg==", "CRC64NVME": "iI2NLxjQFEc=", "SHA256": "VpV+bZXi3/SlFx3FoTqfY2WEXv6H6ljOPYQVOx/d1tE="],
        ["SHA1": "8igLgT6hJP6f7rUkZX630FJyQgo=", "CRC32C": "/////w=="],
        // Values nobody stores, but the column must carry any string.
        ["a\"b": "c\\d", "tab\t": "nl\n\u{1}", "é": "ünï/cödé", "": ""],
    ]

    func decode(_ text: String) -> [String: String]? {
        Array(text.utf8).withUnsafeBytes { PartChecksumsColumn.decode($0) }
    }

    @Test(arguments: samples)
    func readsWhatJSONEncoderWrote(_ checksums: [String: String]) throws {
        let plain = try String(decoding: JSONEncoder().encode(Wrapper(c: checksums)), as: UTF8.self)
        #expect(decode(plain) == checksums)
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        #expect(decode(try String(decoding: e.encode(Wrapper(c: checksums)), as: UTF8.self)) == checksums)
    }

    @Test(arguments: samples)
    func writesWhatJSONDecoderReads(_ checksums: [String: String]) throws {
        guard let text = PartChecksumsColumn.encode(checksums) else {
            #expect(checksums.isEmpty)
            return
        }
        #expect(try JSONDecoder().decode(Wrapper.self, from: Data(text.utf8)).c == checksums)
        #expect(decode(text) == checksums)
    }

    @Test func otherShapesReadAsJSONDecoderReadsThem() {
        #expect(decode(#"{"c":{"CRC32":"AAAAAA=="}}"#) == ["CRC32": "AAAAAA=="])
        #expect(decode(#" { "c" : { "CRC32" : "AAAAAA==" } } "#) == ["CRC32": "AAAAAA=="])
        #expect(decode(#"{"x":1,"c":{"CRC32":"\u0041AAAAA=="}}"#) == ["CRC32": "AAAAAA=="])
        #expect(decode(#"{"c":{}}"#) == [:])
        for bad in ["", "{}", "null", #"{"c":{"CRC32":1}}"#, #"{"c":{"CRC32":"A"}"#, #"{"c":{"CRC32":"A"}}x"#, #"{"c":{"CRC32""#] {
            #expect(decode(bad) == nil, "\(bad)")
        }
    }

    /// Rows as earlier versions wrote them (JSONEncoder escapes "/" as "\/") read back through the store.
    @Test func storeReadsOldRows() async throws {
        let dir = NSTemporaryDirectory() + "tessera-pcc-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/metadata.sqlite"
        let store = try await SQLiteMetadataStore.open(path: path, durable: false, pool: testPool)
        _ = try await store.createBucket(BucketRecord(name: "bkt", created: Date(), region: "us-east-1"))
        try await store.createUpload(UploadRecord(uploadID: "u1", bucket: "bkt", key: "k", initiated: Date(), attributes: ObjectAttributes(),
                                                  checksumAlgorithm: nil))
        let old = [
            1: #"{"c":{"SHA256":"VpV+bZXi3\/SlFx3FoTqfY2WEXv6H6ljOPYQVOx\/d1tE="}}"#,
            2: "{\n  \"c\" : {\n    \"CRC32\" : \"/////w==\"\n  }\n}",
        ]
        var db: OpaquePointer?
        #expect(sqlite3_open(path, &db) == SQLITE_OK)
        for (n, text) in old {
            let sql = "INSERT INTO parts(upload_id, part_number, blob, size, etag, mtime, checksums) VALUES('u1', \(n), 'b\(n)', 1, 'e', 0, '\(text)')"
            #expect(sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK)
        }
        sqlite3_close(db)
        try await store.putPart(uploadID: "u1", part: PartRecord(partNumber: 3, blob: "b3", size: 1, etag: "e", lastModified: Date(),
                                                                 checksums: ["CRC64NVME": "ftW+pkq+STY="]))
        try await store.putPart(uploadID: "u1", part: PartRecord(partNumber: 4, blob: "b4", size: 1, etag: "e", lastModified: Date()))
        let parts = try await store.parts(uploadID: "u1", afterPartNumber: 0, limit: 10)
        #expect(parts.map(\.checksums) == [["SHA256": "VpV+bZXi3/SlFx3FoTqfY2WEXv6H6ljOPYQVOx/d1tE="], ["CRC32": "/////w=="],
                                          ["CRC64NVME": "ftW+pkq+STY="], [:]])
        try? FileManager.default.removeItem(atPath: dir)
    }
}
