import Hummingbird
import S3XML
import SigV4
import StorageCore

/// CompleteMultipartUpload: POST /b/k?uploadId=U with the part list. The object becomes a manifest
/// of the part blobs: no data is copied, whatever the part sizes.
extension S3Service {
    func completeMultipartUpload(_ bucket: String, _ key: String, s3: S3Request, body: RequestBody, auth: VerifiedAuth) async throws -> Response {
        let id = try uploadID(s3)
        _ = try await storage.upload(bucket: bucket, key: key, uploadID: id)
        let document = try await readSmallBody(body, s3: s3, auth: auth)
        let entries = try S3RequestXML.completeMultipartUpload(document)
        let requested = entries.map { (partNumber: $0.partNumber, etag: $0.etag) }
        let record = try await storage.completeMultipartUpload(bucket: bucket, key: key, uploadID: id, parts: requested)
        var w = XMLWriter(root: "CompleteMultipartUploadResult")
        w.element("Location", "http://\(s3.host)/\(bucket)/\(URLEncoding.s3(key))")
        w.element("Bucket", bucket)
        w.element("Key", key)
        w.element("ETag", "\"\(record.etag)\"")
        return xml(w.finish())
    }
}
