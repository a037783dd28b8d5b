import Checksums
import GatewayHTTP
import HTTPTypes
import Hummingbird
import S3XML
import StorageCore

/// CreateMultipartUpload: POST /b/k?uploads (rclone sends ?uploads=). Object headers are kept and
/// applied at completion.
extension S3Service {
    func createMultipartUpload(_ bucket: String, _ key: String, s3: S3Request) async throws -> Response {
        var attributes = try await newObjectAttributes(s3, bucket: bucket)
        // The default retention of a multipart object counts from CreateMultipartUpload.
        try ObjectLockHeaders.apply({ s3.header($0) }, to: &attributes, bucketLock: try await storage.objectLock(bucket: bucket))
        // The upload's data key (wrapped) is kept with it: every part is sealed under it, and the object inherits it.
        attributes.encryption = try await newObjectKey(s3, bucket: bucket)?.encryption
        // x-amz-checksum-algorithm and x-amz-checksum-type are validated (and the type defaulted) by the core.
        let upload = try await storage.createMultipartUpload(bucket: bucket, key: key, attributes: attributes,
                                                             checksumAlgorithm: s3.header("x-amz-checksum-algorithm"),
                                                             checksumType: s3.header("x-amz-checksum-type"))
        var w = XMLWriter(root: "InitiateMultipartUploadResult")
        w.element("Bucket", bucket)
        w.element("Key", key)
        w.element("UploadId", upload.uploadID)
        var headers = HTTPFields()
        Self.addEncryption(upload.attributes.encryption, customer: try customerKey(s3), to: &headers)
        if let algorithm = upload.checksumAlgorithm { headers[HTTPField.Name("x-amz-checksum-algorithm")!] = algorithm }
        if let type = upload.checksumType { headers[HTTPField.Name("x-amz-checksum-type")!] = type }
        return xml(w.finish(), headers: headers)
    }
}
