import Crypto
import Foundation
import Testing
import WireFormats
@testable import StorageCore

/// Objects sealed at rest (SSE): the blob files never hold the plaintext, the record keeps the plaintext's
/// size and MD5 and the wrapped key (in both metadata stores), reads open only the blocks they touch,
/// and a damaged or moved block fails the read instead of returning wrong bytes.
@Suite struct SealedObjectTests {
    static let master = try! MasterKey(fileText: Data(randomBytes(32)).base64EncodedString())
    /// A recognizable plaintext: a marker line repeated, so any stored copy of it would show.
    static func plaintext(_ n: Int) -> [UInt8] {
        let line = Array("tessera plaintext marker 0123456789 abcdefghijklmnopqrstuvwxyz\n".utf8)
        return (0..<n).map { line[$0 % line.count] }
    }
    static let marker = Array("plaintext marker".utf8)

    static func blobPath(_ dir: String, _ id: BlobID) -> String { "\(dir)/blobs/\(id.prefix(2))/\(id.dropFirst(2).prefix(2))/\(id)" }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        return (0...(haystack.count - needle.count)).contains { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    func read(_ o: OpenObject, _ range: ClosedRange<Int64>? = nil, cipher: ObjectCipher?, chunkSize: Int = 1 << 20) async throws -> [UInt8] {
        var out: [UInt8] = []
        for try await b in o.chunks(range: range, chunkSize: chunkSize, cipher: cipher) { out += b.readableBytesView }
        return out
    }

    @Test(arguments: StoreKind.allCases) func aSealedPutStoresNoPlaintextAndReadsBackByRange(_ kind: StoreKind) async throws {
        let (s, dir) = try await makeStorage(kind)
        try await s.createBucket("bkt", region: "us-east-1")
        let plain = Self.plaintext(3 * BlockCipher.blockSize + 1000)
        let (encryption, cipher) = try Self.master.newDataKey()
        let rec = try await s.putObject(bucket: "bkt", key: "k", attributes: ObjectAttributes(encryption: encryption),
                                        plainBody: TestBody(bytes: plain, chunk: 5000), cipher: cipher)
        #expect(rec.size == Int64(plain.count))
        #expect(rec.etag == Hex.encode(Insecure.MD5.hash(data: plain)))  // SSE-S3: the plaintext's MD5, as S3
        let (stored, segments) = try await s.objectLayout(bucket: "bkt", key: "k")
        #expect(stored.attributes.encryption == encryption)  // kept by the store, read back whole
        #expect(segments.count == 1 && segments[0].inline == nil && segments[0].size == Int64(plain.count))
        let file = Array(try Data(contentsOf: URL(fileURLWithPath: Self.blobPath(dir, segments[0].blob))))
        #expect(Int64(file.count) == BlockCipher.sealedSize(Int64(plain.count)))
        #expect(!Self.contains(file, Self.marker))
        #expect(Self.contains(plain, Self.marker))  // the check would see it

        let o = try await s.openObject(bucket: "bkt", key: "k")
        #expect(try await read(o, cipher: try Self.master.cipher(for: stored.attributes.encryption!)) == plain)
        let b = Int64(BlockCipher.blockSize)
        for r in [0...0, (b - 5)...(b + 5), (b - 1)...b, b...(2 * b - 1), 10...(3 * b + 999), (3 * b)...(3 * b + 999), (2 * b + 7)...(2 * b + 7)] {
            #expect(try await read(o, r, cipher: cipher, chunkSize: 1000) == Array(plain[Int(r.lowerBound)...Int(r.upperBound)]), "range \(r)")
        }
        // Without its key a sealed object is never read as its stored bytes.
        await #expect(throws: CoreError.self) { _ = try await read(o, cipher: nil) }
        #expect(o.inlineBytes(range: nil) == nil)
    }

    @Test(arguments: StoreKind.allCases) func aSmallOrEmptySealedBodyIsNotInlined(_ kind: StoreKind) async throws {
        let (s, dir) = try await makeStorage(kind)
        try await s.createBucket("bkt", region: "us-east-1")
        for plain in [Self.plaintext(100), []] {
            let (encryption, cipher) = try Self.master.newDataKey()
            _ = try await s.putObject(bucket: "bkt", key: "small", attributes: ObjectAttributes(encryption: encryption),
                                      plainBody: TestBody(bytes: plain), cipher: cipher)
            let (_, segments) = try await s.objectLayout(bucket: "bkt", key: "small")
            #expect(segments.count == 1 && segments[0].inline == nil)
            let file = Array(try Data(contentsOf: URL(fileURLWithPath: Self.blobPath(dir, segments[0].blob))))
            #expect(!Self.contains(file, Self.marker) && file.count == Int(BlockCipher.sealedSize(Int64(plain.count))))
            #expect(try await read(try await s.openObject(bucket: "bkt", key: "small"), cipher: cipher) == plain)
        }
    }

    @Test(arguments: StoreKind.allCases) func aFlippedByteFailsTheRead(_ kind: StoreKind) async throws {
        let (s, dir) = try await makeStorage(kind)
        try await s.createBucket("bkt", region: "us-east-1")
        let plain = Self.plaintext(2 * BlockCipher.blockSize)
        let (encryption, cipher) = try Self.master.newDataKey()
        _ = try await s.putObject(bucket: "bkt", key: "k", attributes: ObjectAttributes(encryption: encryption),
                                  plainBody: TestBody(bytes: plain), cipher: cipher)
        let (_, segments) = try await s.objectLayout(bucket: "bkt", key: "k")
        let path = Self.blobPath(dir, segments[0].blob)
        var file = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        file[BlockCipher.blockSize + BlockCipher.overhead + 100] ^= 0x20  // in the second block
        try Data(file).write(to: URL(fileURLWithPath: path))
        let o = try await s.openObject(bucket: "bkt", key: "k")
        // The first block still opens; a read touching the second fails.
        #expect(try await read(o, 0...99, cipher: cipher) == Array(plain[0...99]))
        await #expect(throws: CoreError.self) { _ = try await read(o, cipher: cipher) }
        // Cut short: the last block is gone.
        try Data(file.prefix(BlockCipher.blockSize + BlockCipher.overhead)).write(to: URL(fileURLWithPath: path))
        await #expect(throws: CoreError.self) { _ = try await read(o, Int64(BlockCipher.blockSize)...Int64(BlockCipher.blockSize), cipher: cipher) }
    }

    @Test(arguments: StoreKind.allCases) func sealedPartsAreBoundToTheirPartNumber(_ kind: StoreKind) async throws {
        var limits = LimitProfile.aws
        limits.minPartSize = 100
        let (s, dir) = try await makeStorage(kind, limits: limits)
        try await s.createBucket("bkt", region: "us-east-1")
        let (encryption, cipher) = try Self.master.newDataKey()
        let u = try await s.createMultipartUpload(bucket: "bkt", key: "big", attributes: ObjectAttributes(encryption: encryption))
        let parts = [Self.plaintext(BlockCipher.blockSize + 300), Array(Self.plaintext(BlockCipher.blockSize + 300).reversed()), Self.plaintext(40)]
        var etags: [(Int, String)] = []
        for (i, p) in parts.enumerated() {
            let part = try await s.uploadPart(bucket: "bkt", key: "big", uploadID: u.uploadID, partNumber: i + 1,
                                              plainBody: TestBody(bytes: p), cipher: cipher)
            #expect(part.size == Int64(p.count))
            etags.append((i + 1, part.etag))
        }
        let rec = try await s.completeMultipartUpload(bucket: "bkt", key: "big", uploadID: u.uploadID, parts: etags)
        #expect(rec.size == Int64(parts.map(\.count).reduce(0, +)) && rec.attributes.encryption == encryption)
        let (_, segments) = try await s.objectLayout(bucket: "bkt", key: "big")
        for seg in segments {
            #expect(!Self.contains(Array(try Data(contentsOf: URL(fileURLWithPath: Self.blobPath(dir, seg.blob)))), Self.marker))
        }
        let all = parts.flatMap { $0 }
        let o = try await s.openObject(bucket: "bkt", key: "big")
        #expect(try await read(o, cipher: cipher) == all)
        let r = Int64(parts[0].count - 10)...Int64(parts[0].count + BlockCipher.blockSize + 5)  // across the part boundary and a block
        #expect(try await read(o, r, cipher: cipher, chunkSize: 333) == Array(all[Int(r.lowerBound)...Int(r.upperBound)]))
        // Part 1's sealed blob in part 2's place (same length): its blocks name part 1, so part 2 no longer opens.
        let one = try Data(contentsOf: URL(fileURLWithPath: Self.blobPath(dir, segments[0].blob)))
        try one.write(to: URL(fileURLWithPath: Self.blobPath(dir, segments[1].blob)))
        #expect(try await read(o, 0...99, cipher: cipher) == Array(all[0...99]))
        await #expect(throws: CoreError.self) { _ = try await read(o, o.partRange(2)!, cipher: cipher) }
    }

    @Test(arguments: StoreKind.allCases) func copiesAreSealedUnderTheirOwnKey(_ kind: StoreKind) async throws {
        let (s, dir) = try await makeStorage(kind)
        try await s.createBucket("bkt", region: "us-east-1")
        let plain = Self.plaintext(BlockCipher.blockSize + 10)
        let (e1, c1) = try Self.master.newDataKey()
        _ = try await s.putObject(bucket: "bkt", key: "src", attributes: ObjectAttributes(encryption: e1), plainBody: TestBody(bytes: plain), cipher: c1)
        let src = try await s.openObject(bucket: "bkt", key: "src")
        let (e2, c2) = try Self.master.newDataKey()
        let copy = try await s.copyObject(from: src, bucket: "bkt", key: "dst", attributes: ObjectAttributes(encryption: e2),
                                          sourceCipher: c1, cipher: c2)
        #expect(copy.etag == Hex.encode(Insecure.MD5.hash(data: plain)))
        let (_, segments) = try await s.objectLayout(bucket: "bkt", key: "dst")
        #expect(!Self.contains(Array(try Data(contentsOf: URL(fileURLWithPath: Self.blobPath(dir, segments[0].blob)))), Self.marker))
        let dst = try await s.openObject(bucket: "bkt", key: "dst")
        #expect(try await read(dst, cipher: c2) == plain)
        await #expect(throws: CoreError.self) { _ = try await read(dst, cipher: c1) }
        // A plain copy of a sealed source is its plaintext.
        _ = try await s.copyObject(from: src, bucket: "bkt", key: "plain", attributes: ObjectAttributes(), sourceCipher: c1)
        #expect(try await read(try await s.openObject(bucket: "bkt", key: "plain"), cipher: nil) == plain)
    }
}
