import Hummingbird
import StorageCore

/// AbortMultipartUpload: DELETE /b/k?uploadId=U → 204; the parts are freed.
extension S3Service {
    func abortMultipartUpload(_ bucket: String, _ key: String, uploadID: String) async throws -> Response {
        try await storage.abortMultipartUpload(bucket: bucket, key: key, uploadID: uploadID)
        return Response(status: .noContent)
    }
}
