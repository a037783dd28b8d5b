import GatewayHTTP
import Hummingbird
import S3XML
import SigV4
import StorageCore

/// Get/Put/DeleteBucketCors, and the rules a bucket's configuration gives the shared CORS stage
/// (`CORSMiddleware`) and the preflight. The configuration is validated, then stored as the document
/// Tessera writes back (S3's namespace, one element order) in the bucket's sub-resources, so every
/// gateway over the same metadata reads the same rules. They are read with the bucket's other access
/// documents (`RequestAuthorizer.access`): a change made through this gateway applies at once, one made
/// through another within `BucketAccessCache.freshness` (a second), as for the bucket's ACL and policy.
extension S3Service {
    package static let corsConfig = "cors"

    func getBucketCors(_ bucket: String) async throws -> Response {
        _ = try await storage.bucket(bucket)
        guard let document = try await storage.metadata.bucketConfig(bucket: bucket, name: Self.corsConfig) else {
            throw CoreError("NoSuchCORSConfiguration", "The CORS configuration does not exist", details: [.init("BucketName", bucket)])
        }
        return xml(document)
    }

    func putBucketCors(_ bucket: String, s3: S3Request, body: RequestBody, auth: VerifiedAuth) async throws -> Response {
        _ = try await storage.bucket(bucket)
        let document = try await readSmallBody(body, s3: s3, auth: auth)
        guard document.count <= Self.maxCORSDocument else {
            throw CoreError("MaxMessageLengthExceeded", "Your request was too big.")
        }
        let rules = try S3RequestXML.corsConfiguration(document)
        try await authorizer.setConfig(bucket: bucket, name: Self.corsConfig, value: S3RequestXML.corsConfigurationDocument(rules))
        return Response(status: .ok)
    }

    func deleteBucketCors(_ bucket: String) async throws -> Response {
        _ = try await storage.bucket(bucket)
        try await authorizer.setConfig(bucket: bucket, name: Self.corsConfig, value: nil)
        return Response(status: .noContent)
    }

    /// S3's limit on a CORS configuration: 64 KB.
    static let maxCORSDocument = 64 << 10

    /// The bucket's rules, [] when it has no CORS configuration (or does not exist). A stored document
    /// that no longer parses is a damaged row: refused loudly (InternalError), never read as "no rules".
    func corsRules(bucket: String) async throws -> [CORSRule] {
        let access: BucketAccess
        do {
            access = try await authorizer.access(bucket)
        } catch let e as CoreError where e.code == "NoSuchBucket" {
            return []
        }
        if let damage = access.corsDamage {
            throw CoreError.internalError("the stored CORS configuration of bucket \(bucket) is damaged: \(damage)")
        }
        return access.cors
    }

    /// For the shared CORS stage: the rules of the bucket the request named, read after it was answered.
    package func corsRules(for request: Request, context: GatewayRequestContext) async -> [CORSRule] {
        let bucket = context.access.bucket
        guard !bucket.isEmpty else { return [] }
        do {
            return try await corsRules(bucket: bucket)
        } catch {
            logger.error("CORS rules unreadable", metadata: ["request-id": "\(context.requestID)", "bucket": "\(bucket)", "error": "\(error)"])
            return []
        }
    }
}

extension CORSRule {
    init(_ rule: CORSConfigurationRule) {
        self.init(allowedOrigins: rule.allowedOrigins, allowedMethods: rule.allowedMethods, allowedHeaders: rule.allowedHeaders,
                  exposeHeaders: rule.exposeHeaders, maxAgeSeconds: rule.maxAgeSeconds)
    }
}
