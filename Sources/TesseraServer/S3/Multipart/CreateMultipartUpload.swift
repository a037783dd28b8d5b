import Checksums
import HTTPTypes
import Hummingbird
import S3XML
import StorageCore

/// CreateMultipartUpload: POST /b/k?uploads (rclone sends ?uploads=). Object headers are kept and
/// applied at completion.
extension S3Service {
    func createMultipartUpload(_ bucket: String, _ key: String, s3: S3Request) async throws -> Response {
        let attributes = try ObjectHeaders.attributes(from: s3)
        var algorithm: String?
        if let raw = s3.header("x-amz-checksum-algorithm") {
            guard let alg = ChecksumAlgorithm(rawValue: raw.uppercased()) else {
                throw CoreError.invalidArgument("Checksum algorithm provided is unsupported.", name: "x-amz-checksum-algorithm", value: raw)
            }
            algorithm = alg.rawValue
        }
        let upload = try await storage.createMultipartUpload(bucket: bucket, key: key, attributes: attributes, checksumAlgorithm: algorithm)
        var w = XMLWriter(root: "InitiateMultipartUploadResult")
        w.element("Bucket", bucket)
        w.element("Key", key)
        w.element("UploadId", upload.uploadID)
        var headers = HTTPFields()
        if let algorithm { headers[HTTPField.Name("x-amz-checksum-algorithm")!] = algorithm }
        return xml(w.finish(), headers: headers)
    }
}
