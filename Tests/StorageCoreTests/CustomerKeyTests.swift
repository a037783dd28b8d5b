import Crypto
import Foundation
import Testing
import WireFormats
@testable import StorageCore

/// SSE-C keys: never stored (only a salted HMAC), recognized later, and an ETag that is not the plaintext's MD5.
@Suite struct CustomerKeyTests {
    @Test func theRecordHoldsNoKeyAndRecognizesOnlyItsKey() throws {
        let bytes = randomBytes(32)
        let key = CustomerKey(bytes: bytes)
        let (e, cipher) = try key.newDataKey()
        #expect(e.isCustomerKey && e.masterKeyID == ObjectEncryption.customerKeyID)
        let json = String(decoding: try JSONEncoder().encode(e), as: UTF8.self)
        #expect(!json.contains(Data(bytes).base64EncodedString()) && !json.contains(Hex.encode(bytes)))
        #expect(key.matches(e))
        #expect(CustomerKey(bytes: bytes).matches(e))
        var other = bytes
        other[31] ^= 1
        #expect(!CustomerKey(bytes: other).matches(e))
        // Two objects under one key: different salts, different data keys.
        let (e2, _) = try key.newDataKey()
        #expect(e2.customerKeySalt != e.customerKeySalt && e2.wrappedKey != e.wrappedKey)
        let sealed = try cipher.blocks.seal(Array("body".utf8), authenticating: [7])
        #expect(try key.cipher(for: e).blocks.open(sealed, authenticating: [7]) == Array("body".utf8))
        var damaged = e
        damaged.customerKeyMAC = nil
        #expect(!key.matches(damaged))
        // The master key never opens an SSE-C record.
        let master = try MasterKey(fileText: Data(randomBytes(32)).base64EncodedString())
        #expect(throws: CoreError.self) { _ = try master.cipher(for: e) }
    }

    @Test func anSSECETagIsNotTheMD5() throws {
        let (_, cipher) = try CustomerKey(bytes: randomBytes(32)).newDataKey()
        let md5 = Array(Insecure.MD5.hash(data: Array("body".utf8)))
        #expect(cipher.etag(md5: md5) != Hex.encode(md5) && cipher.etag(md5: md5).count == 32)
        #expect(cipher.etag(md5: md5) == cipher.etag(md5: md5))
        let (_, sseS3) = try MasterKey(fileText: Data(randomBytes(32)).base64EncodedString()).newDataKey()
        #expect(sseS3.etag(md5: md5) == Hex.encode(md5))
    }

    @Test(arguments: StoreKind.allCases) func anSSECObjectIsStoredWithItsMACAndNotItsMD5(_ kind: StoreKind) async throws {
        let (s, _) = try await makeStorage(kind)
        try await s.createBucket("bkt", region: "us-east-1")
        let key = CustomerKey(bytes: randomBytes(32))
        let (e, cipher) = try key.newDataKey()
        let plain = randomBytes(70_000)
        let rec = try await s.putObject(bucket: "bkt", key: "c", attributes: ObjectAttributes(encryption: e), plainBody: TestBody(bytes: plain), cipher: cipher)
        #expect(rec.etag != Hex.encode(Insecure.MD5.hash(data: plain)))
        let (stored, _) = try await s.objectLayout(bucket: "bkt", key: "c")
        #expect(stored.attributes.encryption == e && key.matches(stored.attributes.encryption!))
        var out: [UInt8] = []
        for try await b in try await s.openObject(bucket: "bkt", key: "c").chunks(range: nil, cipher: try key.cipher(for: e)) { out += b.readableBytesView }
        #expect(out == plain)
    }
}
