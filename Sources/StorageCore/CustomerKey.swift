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
        let box = try AES.GCM.seal(dataKey.withUnsafeBytes { Array($0) }, using: key, authenticating: Self.wrapAAD)
        let wrapped = Array(box.nonce) + Array(box.ciphertext) + Array(box.tag)
        var e = ObjectEncryption(algorithm: ObjectEncryption.aes256, wrappedKey: Data(wrapped).base64EncodedString(),
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
        guard e.blockSize == BlockCipher.blockSize else {
            throw CoreError.internalError("an object sealed in \(e.blockSize)-byte blocks; this gateway reads \(BlockCipher.blockSize)")
        }
        guard let wrapped = Data(base64Encoded: e.wrappedKey), wrapped.count == 12 + 32 + 16 else {
            throw CoreError.internalError("an object's wrapped data key is damaged")
        }
        let bytes = Array(wrapped)
        do {
            let box = try AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: bytes[0..<12]), ciphertext: bytes[12..<44], tag: bytes[44...])
            return ObjectCipher(dataKey: SymmetricKey(data: try AES.GCM.open(box, using: key, authenticating: Self.wrapAAD)), hidesMD5: true)
        } catch {
            throw CoreError.internalError("an object's wrapped data key does not open under the customer key")
        }
    }
}
