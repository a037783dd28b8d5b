import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import S3XML
import SigV4
import StorageCore

/// Get, Put and DeleteBucketPolicy and GetBucketPolicyStatus. The policy is checked when it is put
/// (`PolicyDocument.parse`: MalformedPolicy for anything Tessera would not evaluate), kept verbatim in the
/// store's bucket configuration (`policy`), and evaluated on every request by `RequestAuthorizer`.
extension S3Service {
    func getBucketPolicy(_ bucket: String) async throws -> Response {
        _ = try await storage.bucket(bucket)
        guard let text = try await storage.metadata.bucketConfig(bucket: bucket, name: RequestAuthorizer.policyConfig) else {
            throw CoreError("NoSuchBucketPolicy", "The bucket policy does not exist", details: [.init("BucketName", bucket)])
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    func putBucketPolicy(_ bucket: String, s3: S3Request, body: RequestBody, auth: VerifiedAuth) async throws -> Response {
        _ = try await storage.bucket(bucket)
        let document = try await readSmallBody(body, s3: s3, auth: auth)
        let policy = try PolicyDocument.parse(document, bucket: bucket)
        if policy.isPublic, try await authorizer.access(bucket).publicAccessBlock?.blockPublicPolicy == true {
            throw CoreError("AccessDenied", "Access Denied: the bucket's public access block does not allow public policies")
        }
        try await authorizer.setConfig(bucket: bucket, name: RequestAuthorizer.policyConfig, value: String(decoding: document, as: UTF8.self))
        return Response(status: .noContent)
    }

    func deleteBucketPolicy(_ bucket: String) async throws -> Response {
        _ = try await storage.bucket(bucket)
        try await authorizer.setConfig(bucket: bucket, name: RequestAuthorizer.policyConfig, value: nil)
        return Response(status: .noContent)
    }

    func getBucketPolicyStatus(_ bucket: String) async throws -> Response {
        let access = try await authorizer.access(bucket)
        guard let policy = access.policy else {
            throw CoreError("NoSuchBucketPolicy", "The bucket policy does not exist", details: [.init("BucketName", bucket)])
        }
        var w = XMLWriter(root: "PolicyStatus")
        w.element("IsPublic", policy.isPublic)
        return xml(w.finish())
    }
}
