import Foundation
import WireFormats

/// The body of POST /api/files/upload/create (JSON), read and checked before anything is looked up or stored.
struct TaskCreateRequest: Decodable {
    var hash: String
    var file_name: String
    var file_size: Int64
    var content_type: String?
    var pool_id: String?
    var bundle_id: String?
    var encrypt_password: String?
    var expired_at: String?
    var chunk_size: Int64?

    /// The JSON body, refused when a required field is missing, a type is wrong, or a value is out of bounds.
    init(json body: [UInt8]) throws(TaskRefusal) {
        guard let request = try? JSONDecoder().decode(TaskCreateRequest.self, from: Data(body)) else {
            throw TaskRefusal("Invalid JSON body: hash, file_name and file_size are required")
        }
        self = request
        let hash = normalizedHash
        guard hash.utf8.count == 32 || hash.utf8.count == 64, hash.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) else {
            throw TaskRefusal("hash must be the file's MD5 (32 hex digits) or SHA-256 (64 hex digits)")
        }
        guard file_size >= 0 else { throw TaskRefusal("file_size must not be negative") }
        guard !file_name.isEmpty else { throw TaskRefusal("file_name must not be empty") }
        if let e = expired_at, ISO8601Time.parse(e) == nil { throw TaskRefusal("expired_at must be an ISO 8601 date-time") }
    }

    /// The content hash as files are found by it: lowercase hex.
    var normalizedHash: String { hash.lowercased() }

    /// The encryption password; an empty one is none.
    var password: String? { encrypt_password.flatMap { $0.isEmpty ? nil : $0 } }
}
