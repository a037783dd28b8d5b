import Foundation
import HTTPTypes
import Hummingbird
import S3XML
import StorageCore

/// Maps core errors to S3's HTTP status and XML error document.
enum S3ErrorResponse {
    static func status(for code: String) -> Int {
        switch code {
        case "NotModified": return 304
        case "AccessDenied", "AccessForbidden", "SignatureDoesNotMatch", "InvalidAccessKeyId", "RequestTimeTooSkewed", "InvalidObjectState": return 403
        case "NoSuchBucket", "NoSuchKey", "NoSuchUpload", "NoSuchLifecycleConfiguration", "NoSuchBucketPolicy",
             "NoSuchCORSConfiguration", "NoSuchTagSet", "NoSuchWebsiteConfiguration", "NoSuchPublicAccessBlockConfiguration",
             "ServerSideEncryptionConfigurationNotFoundError", "ObjectLockConfigurationNotFoundError",
             "ReplicationConfigurationNotFoundError", "OwnershipControlsNotFoundError", "NoSuchVersion",
             "NoSuchObjectLockConfiguration": return 404
        case "MethodNotAllowed": return 405
        case "BucketNotEmpty", "BucketAlreadyOwnedByYou", "BucketAlreadyExists", "OperationAborted", "InvalidBucketState",
             "ConditionalRequestConflict": return 409
        case "MissingContentLength": return 411
        case "PreconditionFailed": return 412
        case "InvalidRange": return 416
        case "InternalError": return 500
        case "NotImplemented": return 501
        case "SlowDown", "ServiceUnavailable": return 503
        default: return 400
        }
    }

    static func response(_ error: CoreError, resource: String, requestID: String, isHead: Bool) -> Response {
        let status = status(for: error.code)
        var headers = HTTPFields()
        headers[.contentType] = "application/xml"
        for h in error.headers { if let name = HTTPField.Name(h.name) { headers[name] = h.value } }
        if isHead || status == 304 {
            headers[.contentLength] = "0"
            return Response(status: .init(code: status), headers: headers, body: .init())
        }
        var w = XMLWriter(root: "Error", namespace: nil)
        w.element("Code", error.code)
        w.element("Message", error.message)
        for d in error.details { w.element(d.name, d.value) }
        w.element("Resource", resource)
        w.element("RequestId", requestID)
        w.element("HostId", requestID)
        let body = ByteBuffer(string: w.finish())
        return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: body))
    }
}
