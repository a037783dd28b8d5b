import Foundation
import StorageCore

/// `Content-MD5` (a header, or PostObject's form field): the base64 of the body's 16-byte MD5, spaces around
/// it ignored; anything else is InvalidDigest, as S3 answers.
enum ContentMD5 {
    static let invalid = CoreError("InvalidDigest", "The Content-MD5 you specified was not valid.")

    static func parse(_ value: String) throws -> [UInt8] {
        guard let bytes = Data(base64Encoded: value.trimmingCharacters(in: .whitespaces)), bytes.count == 16 else { throw invalid }
        return Array(bytes)
    }
}
