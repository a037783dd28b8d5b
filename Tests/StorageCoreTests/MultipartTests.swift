import Crypto
import Foundation
import Testing
import WireFormats
@testable import StorageCore

@Suite struct MultipartTests {
    static var small: LimitProfile { var p = LimitProfile.aws; p.minPartSize = 100; return p }

    func setup(_ kind: StoreKind, _ limits: LimitProfile = small) async throws -> (Storage, String, UploadRecord) {
        let (s, dir) = try await makeStorage(kind, limits: limits)
        try await s.createBucket("bkt", region: "us-east-1")
        let u = try await s.createMultipartUpload(bucket: "bkt", key: "big", attributes: ObjectAttributes(contentType: "a/b"))
        return (s, dir, u)
    }

    @Test(arguments: StoreKind.allCases) func completeIsAManifestAndETagIsMD5OfMD5s(_ kind: StoreKind) async throws {
        let (s, dir, u) = try await setup(kind)
        let parts = [randomBytes(150), randomBytes(150), randomBytes(40)]
        // Upload out of order, and part 2 twice (last writer wins).
        var etags: [Int: String] = [:]
        for n in [3, 1, 2, 2] {
            let p = try await s.uploadPart(bucket: "bkt", key: "big", uploadID: u.uploadID, partNumber: n, plainBody: TestBody(bytes: parts[n - 1], chunk: 13))
            etags[n] = p.etag
        }
        let blobsBefore = blobFileCount(dir)
        let rec = try await s.completeMultipartUpload(bucket: "bkt", key: "big", uploadID: u.uploadID,
                                                      parts: [(1, "\"\(etags[1]!)\""), (2, etags[2]!), (3, etags[3]!)])
        var md5 = Insecure.MD5()
        for p in parts { md5.update(data: Data(Insecure.MD5.hash(data: p))) }
        #expect(rec.etag == Hex.encode(md5.finalize()) + "-3")
        #expect(rec.partsCount == 3)
        #expect(rec.attributes.contentType == "a/b")
        try await s.collectGarbageNow()
        #expect(blobFileCount(dir) <= blobsBefore)  // nothing copied
        let o = try await s.openObject(bucket: "bkt", key: "big")
        let all = parts.flatMap { $0 }
        #expect(try await readAll(o) == all)
        #expect(try await readAll(o, range: 140...310, chunkSize: 17) == Array(all[140...310]))  // spans parts
        #expect(o.partRange(2) == 150...299)
        await #expect(throws: CoreError.self) { _ = try await s.listParts(bucket: "bkt", key: "big", uploadID: u.uploadID, after: 0, maxParts: 10) }
    }

    /// S3 accepts an empty part (as the last part, or the only one); it is stored as an empty blob.
    /// The collector asks about a version's lease once per page, for all its blobs: a read multipart
    /// object keeps every part's blob, while the blobs of another version in the same pass go.
    @Test(arguments: StoreKind.allCases) func aReadMultipartVersionKeepsAllItsBlobsWhileAnotherGoes(_ kind: StoreKind) async throws {
        let (s, dir, u) = try await setup(kind)
        var parts: [(Int, String)] = []
        for n in 1...3 {
            let p = try await s.uploadPart(bucket: "bkt", key: "big", uploadID: u.uploadID, partNumber: n,
                                           plainBody: TestBody(bytes: randomBytes(Storage.inlineLimit + 100 + n)))
            parts.append((n, p.etag))
        }
        _ = try await s.completeMultipartUpload(bucket: "bkt", key: "big", uploadID: u.uploadID, parts: parts)
        _ = try await s.putObject(bucket: "bkt", key: "other", attributes: .init(), plainBody: TestBody(bytes: randomBytes(Storage.inlineLimit + 7)))
        #expect(blobFileCount(dir) == 4)
        var reader: OpenObject? = try await s.openObject(bucket: "bkt", key: "big")
        try await s.deleteObject(bucket: "bkt", key: "other")
        try await s.deleteObject(bucket: "bkt", key: "big")
        try await s.collectGarbageNow()
        #expect(blobFileCount(dir) == 3)   // the other object's blob went; the read one's three stay
        #expect(try await readAll(reader!).count == 3 * (Storage.inlineLimit + 100) + 6)
        reader = nil                        // the last release starts a pass by itself
        let deadline = ContinuousClock.now + .seconds(10)
        while blobFileCount(dir) != 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(blobFileCount(dir) == 0)
    }

    @Test(arguments: StoreKind.allCases) func anEmptyPartIsStoredAndCompletes(_ kind: StoreKind) async throws {
        let (s, _, u) = try await setup(kind)
        let first = randomBytes(150)
        let p1 = try await s.uploadPart(bucket: "bkt", key: "big", uploadID: u.uploadID, partNumber: 1, plainBody: TestBody(bytes: first))
        let p2 = try await s.uploadPart(bucket: "bkt", key: "big", uploadID: u.uploadID, partNumber: 2, plainBody: TestBody(bytes: []))
        #expect(p2.etag == "d41d8cd98f00b204e9800998ecf8427e" && p2.size == 0)
        let rec = try await s.completeMultipartUpload(bucket: "bkt", key: "big", uploadID: u.uploadID,
                                                      parts: [(1, p1.etag), (2, p2.etag)])
        #expect(rec.size == 150 && rec.partsCount == 2)
        #expect(try await readAll(try await s.openObject(bucket: "bkt", key: "big")) == first)
    }

    @Test(arguments: StoreKind.allCases) func validatorErrors(_ kind: StoreKind) async throws {
        let (s, _, u) = try await setup(kind)
        let a = try await s.uploadPart(bucket: "bkt", key: "big", uploadID: u.uploadID, partNumber: 1, plainBody: TestBody(bytes: randomBytes(50)))
        let b = try await s.uploadPart(bucket: "bkt", key: "big", uploadID: u.uploadID, partNumber: 2, plainBody: TestBody(bytes: randomBytes(50)))
        func code(_ parts: [(Int, String)]) async -> String? {
            do { _ = try await s.completeMultipartUpload(bucket: "bkt", key: "big", uploadID: u.uploadID, parts: parts.map { (partNumber: $0.0, etag: $0.1) }); return nil }
            catch let e as CoreError { return e.code } catch { return "\(error)" }
        }
        #expect(await code([(1, a.etag), (2, b.etag)]) == "EntityTooSmall")
        #expect(await code([(2, b.etag), (1, a.etag)]) == "InvalidPartOrder")
        #expect(await code([(1, a.etag), (1, a.etag)]) == "InvalidPartOrder")
        #expect(await code([(1, String(repeating: "0", count: 32))]) == "InvalidPart")
        #expect(await code([(3, a.etag)]) == "InvalidPart")
        #expect(await code([]) == "MalformedXML")
        for bad in [0, 10_001, -1] {
            do {
                _ = try await s.uploadPart(bucket: "bkt", key: "big", uploadID: u.uploadID, partNumber: bad, plainBody: TestBody(bytes: [1]))
                Issue.record("part \(bad) accepted")
            } catch let e as CoreError { #expect(e.code == "InvalidArgument") }
        }
        // Still intact after the failures: a single small last part completes.
        #expect(await code([(2, b.etag)]) == nil)
    }

    /// The validator finds parts in a stored list in any order (ascending is walked, others looked up),
    /// with gaps, and reports the same errors either way.
    /// An upload belongs to its key's bytes: a canonically equivalent key is another key.
    @Test(arguments: StoreKind.allCases) func anUploadIsNotFoundUnderACanonicallyEquivalentKey(_ kind: StoreKind) async throws {
        let (s, _) = try await makeStorage(kind, limits: Self.small)
        try await s.createBucket("bkt", region: "us-east-1")
        let u = try await s.createMultipartUpload(bucket: "bkt", key: "caf\u{E9}", attributes: .init())
        do {
            _ = try await s.uploadPart(bucket: "bkt", key: "cafe\u{301}", uploadID: u.uploadID, partNumber: 1, plainBody: TestBody(bytes: [1]))
            Issue.record("a part was stored under another key's upload")
        } catch let e as CoreError {
            #expect(e.code == "NoSuchUpload")
        }
        _ = try await s.uploadPart(bucket: "bkt", key: "caf\u{E9}", uploadID: u.uploadID, partNumber: 1, plainBody: TestBody(bytes: [1]))
    }

    @Test func validatorFindsPartsInAnyStoredOrder() throws {
        var limits = LimitProfile.aws
        limits.minPartSize = 0
        let v = PartValidator(limits: limits)
        let stored = [1, 2, 4, 7, 9].map { PartRecord(partNumber: $0, blob: "b\($0)", size: Int64($0), etag: "e\($0)", lastModified: Date()) }
        for list in [stored, stored.reversed(), [stored[2], stored[0], stored[4], stored[1], stored[3]]] {
            let chosen = try v.validateCompletion(requested: [(2, "\"E2\""), (4, " e4 "), (9, "e9")], stored: list)
            #expect(chosen.map(\.partNumber) == [2, 4, 9])
            #expect(try v.validateCompletion(requested: [(1, "e1"), (2, "e2"), (4, "e4"), (7, "e7"), (9, "e9")], stored: list).map(\.blob)
                    == ["b1", "b2", "b4", "b7", "b9"])
            for bad in [[(3, "e3")], [(1, "e1"), (8, "e8")], [(10, "e10")], [(7, "e9")], [(0, "e0")]] {
                #expect(throws: CoreError.self) { try v.validateCompletion(requested: bad, stored: list) }
            }
        }
        #expect(throws: CoreError.self) { try v.validateCompletion(requested: [(1, "e1")], stored: []) }
    }

    /// The digest a retried completion is matched by is stored: its bytes must not change between
    /// versions. Pinned against Python's hashlib.sha256(b"1 abc\n2 def\n10000 e\xe2\x84\xaa\n").
    @Test func partListDigestIsPinned() {
        #expect(CompletedUpload.partListDigest([(1, "\"ABC\""), (2, " \tdef "), (10000, "E\u{212A}")])
            == "a906526a8ce23247a1357680269f7b9de7641f2bdc77cf610eed14b8a3e33cba")
    }

    /// normalizeETag is defined on bytes: on ASCII it agrees with Foundation's trimming and Character
    /// prefixes; beyond ASCII it strips only ASCII spaces, tabs and quotes and folds only ASCII capitals.
    @Test func normalizeETagIsDefinedOnBytes() {
        func reference(_ etag: String) -> String {
            var s = Substring(etag.trimmingCharacters(in: .whitespaces))
            if s.hasPrefix("\"") { s = s.dropFirst() }
            if s.hasSuffix("\"") { s = s.dropLast() }
            return s.lowercased()
        }
        var cases = ["", "\"", "\"\"", "\"\"\"", "abc", "\"ABC\"", "  \"abc\"\t", "\t\"a b\" ", "\"abc", "abc\"", "\r\n\"a\"\r\n",
                     "\"a\"\r\n", "\u{0B}\"a\"\u{0C}"]
        var g = SystemRandomNumberGenerator()
        let alphabet = [" ", "\t", "\"", "\r", "\n", "\r\n", "a", "A", "z", "Z", "0", "9", "-", "\u{0B}", "\u{0C}", "\u{1F}", "\u{7F}"]
        for _ in 0..<2000 { cases.append((0..<Int.random(in: 0...6, using: &g)).map { _ in alphabet.randomElement(using: &g)! }.joined()) }
        for c in cases {
            #expect(PartValidator.normalizeETag(c) == reference(c), "\(Array(c.unicodeScalars))")
            #expect(PartValidator.trimmingWhitespaces(c) == c.trimmingCharacters(in: .whitespaces), "\(Array(c.unicodeScalars))")
        }
        for b in 0..<128 {
            let c = String(UnicodeScalar(UInt8(b)))
            for s in [c, c + "\"x\"" + c, "\"" + c + "\""] { #expect(PartValidator.normalizeETag(s) == reference(s), "\(b)") }
        }
        for (given, normal) in [("\u{A0}\"a\"", "\u{A0}\"a"), ("\"\u{C4}\"", "\u{C4}"), ("\"a\u{301}\"", "a\u{301}"),
                                ("\"\u{301}a\"", "\u{301}a"), (" \"\u{212A}\" ", "\u{212A}"), ("\"AB\u{E9}\"", "ab\u{E9}")] {
            #expect(Array(PartValidator.normalizeETag(given).utf8) == Array(normal.utf8), "\(Array(given.unicodeScalars))")
        }
    }

    @Test(arguments: StoreKind.allCases) func r2ProfileRequiresEqualParts(_ kind: StoreKind) async throws {
        var p = LimitProfile.r2; p.minPartSize = 10
        let (s, _, u) = try await setup(kind, p)
        let a = try await s.uploadPart(bucket: "bkt", key: "big", uploadID: u.uploadID, partNumber: 1, plainBody: TestBody(bytes: randomBytes(20)))
        let b = try await s.uploadPart(bucket: "bkt", key: "big", uploadID: u.uploadID, partNumber: 2, plainBody: TestBody(bytes: randomBytes(30)))
        let c = try await s.uploadPart(bucket: "bkt", key: "big", uploadID: u.uploadID, partNumber: 3, plainBody: TestBody(bytes: randomBytes(5)))
        do {
            _ = try await s.completeMultipartUpload(bucket: "bkt", key: "big", uploadID: u.uploadID, parts: [(1, a.etag), (2, b.etag), (3, c.etag)])
            Issue.record("unequal parts accepted")
        } catch let e as CoreError { #expect(e.code == "InvalidPart") }
    }

    @Test(arguments: StoreKind.allCases) func abortFreesPartsAndRacesEndConsistently(_ kind: StoreKind) async throws {
        let (s, dir, u) = try await setup(kind)
        let p = try await s.uploadPart(bucket: "bkt", key: "big", uploadID: u.uploadID, partNumber: 1, plainBody: TestBody(bytes: randomBytes(200)))
        async let complete: ObjectRecord? = try? s.completeMultipartUpload(bucket: "bkt", key: "big", uploadID: u.uploadID, parts: [(1, p.etag)])
        async let abort: Void? = try? s.abortMultipartUpload(bucket: "bkt", key: "big", uploadID: u.uploadID)
        let (c, a) = await (complete, abort)
        #expect((c != nil) != (a != nil))  // exactly one wins
        try await s.collectGarbageNow()
        #expect(blobFileCount(dir) == (c != nil ? 1 : 0))
        do {
            _ = try await s.uploadPart(bucket: "bkt", key: "big", uploadID: u.uploadID, partNumber: 2, plainBody: TestBody(bytes: [1]))
            Issue.record("part upload to a finished upload succeeded")
        } catch let e as CoreError { #expect(e.code == "NoSuchUpload") }
        try await s.collectGarbageNow()
        #expect(blobFileCount(dir) == (c != nil ? 1 : 0))
    }

    @Test(arguments: StoreKind.allCases) func listUploadsMarkersAndDelimiter(_ kind: StoreKind) async throws {
        let (s, _) = try await makeStorage(kind)
        try await s.createBucket("bkt", region: "us-east-1")
        var ids: [String: [String]] = [:]
        for k in ["a/x", "a/y", "b", "b", "c"] {
            ids[k, default: []].append(try await s.createMultipartUpload(bucket: "bkt", key: k, attributes: .init()).uploadID)
        }
        let all = try await s.listMultipartUploads(bucket: "bkt", prefix: "", delimiter: nil, keyMarker: nil, uploadIDMarker: nil, maxUploads: 100)
        #expect(all.entries.map(\.key) == ["a/x", "a/y", "b", "b", "c"])
        #expect(all.entries.filter { $0.key == "b" }.map(\.uploadID) == ids["b"])  // initiation order
        // A key marker that is no existing key.
        let after = try await s.listMultipartUploads(bucket: "bkt", prefix: "", delimiter: nil, keyMarker: "a/xx", uploadIDMarker: nil, maxUploads: 100)
        #expect(after.entries.map(\.key) == ["a/y", "b", "b", "c"])
        // Paging one at a time with (key, upload-id) markers visits each upload once.
        var seen: [String] = []
        var km: String? = nil, um: String? = nil
        while true {
            let page = try await s.listMultipartUploads(bucket: "bkt", prefix: "", delimiter: nil, keyMarker: km, uploadIDMarker: um, maxUploads: 1)
            seen += page.entries.map(\.uploadID)
            guard page.isTruncated else { break }
            km = page.nextMarker; um = page.lastEntry?.uploadID
        }
        #expect(seen == ids["a/x"]! + ids["a/y"]! + ids["b"]! + ids["c"]!)
        let grouped = try await s.listMultipartUploads(bucket: "bkt", prefix: "", delimiter: "/", keyMarker: nil, uploadIDMarker: nil, maxUploads: 100)
        #expect(grouped.commonPrefixes == ["a/"])
        #expect(grouped.entries.map(\.key) == ["b", "b", "c"])
    }
}
