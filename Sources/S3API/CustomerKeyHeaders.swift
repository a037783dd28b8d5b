import Crypto
import Foundation
import StorageCore

/// The SSE-C headers of a request: x-amz-server-side-encryption-customer-algorithm, -key and -key-MD5
/// (or, for a copy source, the same names after x-amz-copy-source-), checked as S3 checks them.
struct CustomerKeyHeaders {
    let key: CustomerKey
    /// The key's MD5, base64, as sent (and echoed in responses).
    let keyMD5: String

    static let prefix = "x-amz-server-side-encryption-customer-"
    static let copySourcePrefix = "x-amz-copy-source-server-side-encryption-customer-"

    /// nil when the request names no customer key; S3's 400 for one named badly.
    static func parse(_ header: (String) -> String?, prefix: String = prefix) throws -> CustomerKeyHeaders? {
        let algorithm = header(prefix + "algorithm")
        let key = header(prefix + "key")
        let md5 = header(prefix + "key-md5")
        if algorithm == nil && key == nil && md5 == nil { return nil }
        guard let algorithm else {
            throw CoreError.invalidArgument("Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.",
                                            name: prefix + "algorithm", value: "null")
        }
        guard algorithm == ObjectEncryption.aes256 else {
            throw CoreError("InvalidEncryptionAlgorithmError", "The encryption request you specified is not valid. The valid value is AES256.",
                            details: [.init("ArgumentName", prefix + "algorithm"), .init("ArgumentValue", algorithm)])
        }
        guard let key else {
            throw CoreError.invalidArgument("Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.",
                                            name: prefix + "key", value: "null")
        }
        guard let bytes = Data(base64Encoded: key), bytes.count == 32 else {
            throw CoreError.invalidArgument("The secret key was invalid for the specified algorithm.", name: prefix + "key", value: "")
        }
        guard let md5 else {
            throw CoreError.invalidArgument("Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.",
                                            name: prefix + "key-MD5", value: "null")
        }
        let computed = Data(Insecure.MD5.hash(data: bytes)).base64EncodedString()
        guard Array(md5.utf8) == Array(computed.utf8) else {
            throw CoreError.invalidArgument("The calculated MD5 hash of the key did not match the hash that was provided.",
                                            name: prefix + "key-MD5", value: md5)
        }
        return CustomerKeyHeaders(key: CustomerKey(bytes: Array(bytes)), keyMD5: computed)
    }
}
