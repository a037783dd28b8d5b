import HTTPTypes
import Hummingbird
import NIOCore
import StorageCore

/// GET /_tessera/upload (and its script and style sheet): the upload page, served from the binary on
/// the S3 listener, same-origin with the S3 endpoint. Bucket names cannot hold `_`, so the path never
/// names a bucket; only path style reaches it (on a virtual host it would be an object key). The page
/// needs no credentials to load; what it sends is signed in the browser (see UploadPageAssets).
extension S3Service {
    func uploadPage(_ asset: String, head: Bool) throws -> Response {
        guard let found = UploadPageAssets.asset(named: asset) else { throw CoreError.noSuchKey(asset) }
        let (contentType, text) = found
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.contentSecurityPolicy] = UploadPageAssets.contentSecurityPolicy
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        headers[.cacheControl] = "no-cache"
        headers[.contentLength] = String(text.utf8.count)
        return Response(status: .ok, headers: headers, body: head ? .init() : .init(byteBuffer: ByteBuffer(string: text)))
    }
}
