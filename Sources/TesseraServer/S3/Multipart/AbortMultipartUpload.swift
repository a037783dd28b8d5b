import Hummingbird
import StorageCore

/// AbortMultipartUpload: DELETE /b/k?uploadId=U → 204; the parts are freed.
extension S3Service {
    func abortMultipartUpload(_ bucket: String, _ key: String, s3: S3Request) async throws -> Response {
        try await storage.abortMultipartUpload(bucket: bucket, key: key, uploadID: try uploadID(s3))
        return Response(status: .noContent)
    }
}
