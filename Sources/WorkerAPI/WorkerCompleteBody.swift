import Foundation

/// The body of the Worker API's mpu-complete: `{"parts":[{"partNumber":1,"etag":"…"},…]}`. The parts' numbers,
/// order and ETags are the storage core's to check (PartValidator), as for S3's CompleteMultipartUpload.
struct WorkerCompleteBody: Decodable {
    struct Part: Decodable { let etag: String; let partNumber: Int }
    let parts: [Part]

    /// nil for a body that is not such JSON.
    init?(json body: [UInt8]) {
        guard let parsed = try? JSONDecoder().decode(WorkerCompleteBody.self, from: Data(body)) else { return nil }
        self = parsed
    }

    /// The parts as the storage core takes them.
    var requested: [(partNumber: Int, etag: String)] { parts.map { (partNumber: $0.partNumber, etag: $0.etag) } }
}
