import Testing
@testable import StorageCore

/// S3's tag rules (`ObjectTag.validated`), and tags per version over both stores.
@Suite struct ObjectTagTests {
    func tags(_ n: Int, key: (Int) -> String = { "k\($0)" }, value: String = "v") -> [ObjectTag] {
        (0..<n).map { ObjectTag(key: key($0), value: value) }
    }

    func code(_ tags: [ObjectTag], _ owner: ObjectTag.Owner = .object) -> String? {
        do {
            _ = try ObjectTag.validated(tags, for: owner)
            return nil
        } catch {
            return (error as? CoreError).map { "\($0.code): \($0.message)" }
        }
    }

    @Test func limitsAreS3s() {
        #expect(code(tags(10)) == nil)
        #expect(code(tags(11)) == "BadRequest: Object tags cannot be greater than 10")
        #expect(code(tags(50), .bucket) == nil)
        #expect(code(tags(51), .bucket) == "InvalidTag: Bucket tag count cannot be greater than 50")
        let longKey = String(repeating: "k", count: 128), longValue = String(repeating: "v", count: 256)
        #expect(code([ObjectTag(key: longKey, value: longValue)]) == nil)
        #expect(code([ObjectTag(key: longKey + "k", value: "")]) == "InvalidTag: The TagKey you have provided is too long, max 128")
        #expect(code([ObjectTag(key: "k", value: longValue + "v")]) == "InvalidTag: The TagValue you have provided is too long, max 256")
        // Lengths are UTF-16 code units: a letter outside the BMP (U+10400, a Deseret letter) counts twice.
        #expect(code([ObjectTag(key: String(repeating: "\u{10400}", count: 64), value: "")]) == nil)
        #expect(code([ObjectTag(key: String(repeating: "\u{10400}", count: 64) + "a", value: "")])?.hasPrefix("InvalidTag: The TagKey you have provided is too long") == true)
        #expect(code([ObjectTag(key: String(repeating: "é", count: 128), value: "")]) == nil)
    }

    @Test func keysAndValuesAreChecked() {
        #expect(code([ObjectTag(key: "", value: "v")]) == "InvalidTag: The TagKey you have provided is invalid")
        #expect(code([ObjectTag(key: "[{k}]", value: "v")]) == "InvalidTag: The TagKey you have provided is invalid")
        #expect(code([ObjectTag(key: "k", value: "a,b")]) == "InvalidTag: The TagValue you have provided is invalid")
        #expect(code([ObjectTag(key: "Project Ö 2 _.:/=+-@", value: "Ünïcödé ２ 漢字 _.:/=+-@")]) == nil)
        #expect(code([ObjectTag(key: "aws:x", value: "v")]) == "InvalidTag: Your TagKey cannot be prefixed with aws:")
        #expect(code([ObjectTag(key: "AWS:x", value: "v")]) == "InvalidTag: Your TagKey cannot be prefixed with aws:")
        #expect(code([ObjectTag(key: "aws:x", value: "v")], .bucket) == "InvalidTag: System tags cannot be added/updated by requester")
        #expect(code([ObjectTag(key: "awsx", value: "v"), ObjectTag(key: "aws", value: "v")]) == nil)
        #expect(code([ObjectTag(key: "k", value: "1"), ObjectTag(key: "k", value: "2")]) == "InvalidTag: Cannot provide multiple Tags with the same key")
    }

    /// Keys are bytes: U+00C5 (Å) and U+212B (the Angstrom sign, canonically equivalent to it) are two
    /// keys, and the set is sorted by the keys' bytes.
    @Test func keysCompareAndSortAsBytes() throws {
        let letter = ObjectTag(key: "\u{C5}", value: "1"), angstrom = ObjectTag(key: "\u{212B}", value: "2")
        #expect(letter != ObjectTag(key: "\u{212B}", value: "1"))
        let sorted = try ObjectTag.validated([angstrom, ObjectTag(key: "b", value: ""), letter, ObjectTag(key: "Z", value: "")], for: .object)
        #expect(sorted.map { Array($0.key.utf8) } == [[0x5A], [0x62], [0xC3, 0x85], [0xE2, 0x84, 0xAB]])
    }

    static func file(_ byte: UInt8) -> [UInt8] { [UInt8](repeating: byte, count: Storage.inlineLimit + 10) }

    func tagsSetTo(_ tags: [ObjectTag]?) -> @Sendable (ObjectRecord) throws -> ObjectAttributes {
        { var a = $0.attributes; a.tags = tags; return a }
    }

    /// Tags belong to a version: a new version has its own, the old one keeps its own, and a change to
    /// a noncurrent version's tags touches nothing else.
    @Test(arguments: StoreKind.allCases) func tagsArePerVersion(_ kind: StoreKind) async throws {
        let (s, _) = try await makeStorage(kind)
        try await s.createBucket("bkt", region: "us-east-1")
        try await s.setVersioning(bucket: "bkt", .enabled)
        let first = [ObjectTag(key: "a", value: "1"), ObjectTag(key: "é", value: "x y")]
        let v1 = try await s.putObject(bucket: "bkt", key: "k", attributes: ObjectAttributes(contentType: "t/1", tags: first),
                                       plainBody: TestBody(bytes: Self.file(1)))
        let v2 = try await s.putObject(bucket: "bkt", key: "k", attributes: ObjectAttributes(tags: [ObjectTag(key: "b", value: "2")]),
                                       plainBody: TestBody(bytes: [1, 2]))
        #expect(try await s.headObject(bucket: "bkt", key: "k", version: .version(v1.version)).attributes.tags == first)
        #expect(try await s.headObject(bucket: "bkt", key: "k").attributes.tags == [ObjectTag(key: "b", value: "2")])
        // The noncurrent version's tags change alone; the current one (an inline body, cached by SQLite) keeps its own.
        _ = try await s.openObject(bucket: "bkt", key: "k")
        let changed = try await s.updateAttributes(bucket: "bkt", key: "k", version: .version(v1.version), method: "PUT",
                                                   change: tagsSetTo([ObjectTag(key: "c", value: "3")]))
        #expect(changed.version == v1.version && changed.attributes.contentType == "t/1")
        #expect(try await s.headObject(bucket: "bkt", key: "k", version: .version(v1.version)).attributes.tags == [ObjectTag(key: "c", value: "3")])
        #expect(try await s.openObject(bucket: "bkt", key: "k").record.attributes.tags == [ObjectTag(key: "b", value: "2")])
        // The current one, named by no version: its tags go, no version is made.
        let cleared = try await s.updateAttributes(bucket: "bkt", key: "k", version: nil, method: "DELETE", change: tagsSetTo(nil))
        #expect(cleared.version == v2.version && cleared.attributes.tags == nil)
        #expect(try await s.openObject(bucket: "bkt", key: "k").record.attributes.tags == nil)
        #expect(try await s.headObject(bucket: "bkt", key: "k").version == v2.version)
    }

    @Test(arguments: StoreKind.allCases) func missingVersionsAndDeleteMarkersAreS3sErrors(_ kind: StoreKind) async throws {
        let (s, _) = try await makeStorage(kind)
        try await s.createBucket("bkt", region: "us-east-1")
        try await s.setVersioning(bucket: "bkt", .enabled)
        let v1 = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), plainBody: TestBody(bytes: [1]))
        let marker = try #require(try await s.deleteObject(bucket: "bkt", key: "k"))
        func code(_ key: String, _ version: VersionSelector?, bucket: String = "bkt") async -> String? {
            do {
                _ = try await s.updateAttributes(bucket: bucket, key: key, version: version, method: "PUT", change: tagsSetTo([ObjectTag(key: "a", value: "")]))
                return nil
            } catch { return (error as? CoreError)?.code }
        }
        #expect(await code("k", nil) == "NoSuchKey")                           // the latest is a delete marker
        #expect(await code("k", .version(marker.version)) == "MethodNotAllowed")
        #expect(await code("k", .version(v1.version + 1_000_000)) == "NoSuchVersion")
        #expect(await code("nope", nil) == "NoSuchKey")
        #expect(await code("k", nil, bucket: "none") == "NoSuchBucket")
        #expect(await code("k", .version(v1.version)) == nil)                  // the noncurrent version is still taggable
        #expect(try await s.headObject(bucket: "bkt", key: "k", version: .version(v1.version)).attributes.tags == [ObjectTag(key: "a", value: "")])
    }

    /// CreateMultipartUpload's tags are kept with the upload and given to the completed object.
    @Test(arguments: StoreKind.allCases) func uploadTagsReachTheCompletedObject(_ kind: StoreKind) async throws {
        let (s, _) = try await makeStorage(kind)
        try await s.createBucket("bkt", region: "us-east-1")
        let tags = [ObjectTag(key: "project", value: "blue"), ObjectTag(key: "tier", value: "1")]
        let u = try await s.createMultipartUpload(bucket: "bkt", key: "big", attributes: ObjectAttributes(tags: tags))
        #expect(try await s.metadata.upload(id: u.uploadID)?.attributes.tags == tags)
        let p = try await s.uploadPart(bucket: "bkt", key: "big", uploadID: u.uploadID, partNumber: 1, plainBody: TestBody(bytes: [7, 7]))
        let done = try await s.completeMultipartUpload(bucket: "bkt", key: "big", uploadID: u.uploadID, parts: [(1, p.etag)])
        #expect(done.attributes.tags == tags)
        #expect(try await s.headObject(bucket: "bkt", key: "big").attributes.tags == tags)
    }
}
