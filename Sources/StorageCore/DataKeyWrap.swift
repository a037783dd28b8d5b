import Crypto
import Foundation

/// A data key wrapped with AES-GCM under a key-encrypting key (the master key, or a customer's), as kept in
/// `ObjectEncryption.wrappedKey`: base64 of the nonce (12 bytes), the wrapped key (32) and the tag (16).
enum DataKeyWrap {
    static func wrap(_ dataKey: SymmetricKey, under key: SymmetricKey, aad: [UInt8]) throws -> String {
        let box = try AES.GCM.seal(dataKey.withUnsafeBytes { Array($0) }, using: key, authenticating: aad)
        return Data(Array(box.nonce) + Array(box.ciphertext) + Array(box.tag)).base64EncodedString()
    }

    /// The data key of an object's record. A record in another block size, a damaged wrapped key, or one that
    /// does not open under `key` (named `keyName` in the error) throws InternalError: never read as plaintext.
    static func unwrap(_ e: ObjectEncryption, under key: SymmetricKey, aad: [UInt8], keyName: String) throws -> SymmetricKey {
        guard e.blockSize == BlockCipher.blockSize else {
            throw CoreError.internalError("an object sealed in \(e.blockSize)-byte blocks; this gateway reads \(BlockCipher.blockSize)")
        }
        guard let wrapped = Data(base64Encoded: e.wrappedKey), wrapped.count == 12 + 32 + 16 else {
            throw CoreError.internalError("an object's wrapped data key is damaged")
        }
        let bytes = Array(wrapped)
        do {
            let box = try AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: bytes[0..<12]), ciphertext: bytes[12..<44], tag: bytes[44...])
            return SymmetricKey(data: try AES.GCM.open(box, using: key, authenticating: aad))
        } catch {
            throw CoreError.internalError("an object's wrapped data key does not open under \(keyName)")
        }
    }
}
