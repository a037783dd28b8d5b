import Crypto
import Foundation

/// A customer-provided key (SSE-C): given with each request, used for it, and never stored. Each object
/// or upload sealed under it gets its own random data key, wrapped (AES-GCM) under the customer key; to
/// recognize the key later only a salted HMAC of it is stored (`ObjectEncryption.customerKeyMAC`), from
/// which neither the key nor the data key can be derived.
public struct CustomerKey: @unchecked Sendable {  // SymmetricKey is an immutable value
    let key: SymmetricKey

    /// `bytes`: the 256-bit key as sent (its length and MD5 checked by the front end).
    public init(bytes: [UInt8]) { key = SymmetricKey(data: bytes) }

    static let wrapAAD = Array("tessera customer data key".utf8)

    func mac(salt: [UInt8]) -> [UInt8] {
        let keyBytes = key.withUnsafeBytes { Array($0) }
        return Array(HMAC<SHA256>.authenticationCode(for: keyBytes, using: SymmetricKey(data: salt)))
    }

    /// A new random data key wrapped under this key, and the record of it to keep with the object.
    public func newDataKey() throws -> (ObjectEncryption, ObjectCipher) {
        let dataKey = SymmetricKey(size: .bits256)
        var g = SystemRandomNumberGenerator()
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255, using: &g) }
        var e = ObjectEncryption(algorithm: ObjectEncryption.aes256, wrappedKey: try DataKeyWrap.wrap(dataKey, under: key, aad: Self.wrapAAD),
                                 masterKeyID: ObjectEncryption.customerKeyID)
        e.customerKeySalt = Data(salt).base64EncodedString()
        e.customerKeyMAC = Data(mac(salt: salt)).base64EncodedString()
        return (e, ObjectCipher(dataKey: dataKey, hidesMD5: true))
    }

    /// Whether this is the key `e` was sealed with (its salted HMAC, compared in constant time).
    public func matches(_ e: ObjectEncryption) -> Bool {
        guard let salt = e.customerKeySalt.flatMap({ Data(base64Encoded: $0) }),
              let stored = e.customerKeyMAC.flatMap({ Data(base64Encoded: $0) }) else { return false }
        let computed = mac(salt: Array(salt))
        guard computed.count == stored.count else { return false }
        var diff: UInt8 = 0
        for (a, b) in zip(computed, stored) { diff |= a ^ b }
        return diff == 0
    }

    /// The cipher of an object sealed under this key (`matches` first: a damaged record throws).
    public func cipher(for e: ObjectEncryption) throws -> ObjectCipher {
        ObjectCipher(dataKey: try DataKeyWrap.unwrap(e, under: key, aad: Self.wrapAAD, keyName: "the customer key"), hidesMD5: true)
    }
}
