import Foundation
import Hummingbird
import S3XML
import SigV4
import StorageCore

/// Get, Put and DeletePublicAccessBlock, enforced as S3 does (see `BucketAccess`): BlockPublicAcls refuses
/// ACLs that grant AllUsers or AuthenticatedUsers (AccessDenied), IgnorePublicAcls makes such grants count
/// for nothing, BlockPublicPolicy refuses a public policy, RestrictPublicBuckets makes a public policy's
/// Allows to `*` count for nothing. Kept as JSON in the store's bucket configuration.
extension S3Service {
    func getPublicAccessBlock(_ bucket: String) async throws -> Response {
        guard let block = try await authorizer.access(bucket).publicAccessBlock else {
            throw CoreError("NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found",
                            details: [.init("BucketName", bucket)])
        }
        return xml(S3RequestXML.publicAccessBlockDocument(block))
    }

    func putPublicAccessBlock(_ bucket: String, s3: S3Request, body: RequestBody, auth: VerifiedAuth) async throws -> Response {
        _ = try await storage.bucket(bucket)
        let block = try S3RequestXML.publicAccessBlockConfiguration(try await readSmallBody(body, s3: s3, auth: auth))
        let text = String(decoding: try JSONEncoder().encode(block), as: UTF8.self)
        try await authorizer.setConfig(bucket: bucket, name: RequestAuthorizer.publicAccessBlockConfig, value: text)
        return Response(status: .ok)
    }

    func deletePublicAccessBlock(_ bucket: String) async throws -> Response {
        _ = try await storage.bucket(bucket)
        try await authorizer.setConfig(bucket: bucket, name: RequestAuthorizer.publicAccessBlockConfig, value: nil)
        return Response(status: .noContent)
    }
}
