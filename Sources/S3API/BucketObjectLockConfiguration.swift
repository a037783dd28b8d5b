import HTTPTypes
import Hummingbird
import S3XML
import SigV4
import StorageCore

/// Get/PutObjectLockConfiguration. A bucket gets Object Lock at creation (`x-amz-bucket-object-lock-enabled:
/// true`) or from this PUT while its versioning is Enabled; it never loses it, and its versioning can then
/// never be suspended. The configuration's default retention is given to new versions that set none.
extension S3Service {
    func getObjectLockConfiguration(_ bucket: String) async throws -> Response {
        guard let lock = try await storage.objectLock(bucket: bucket) else {
            throw CoreError("ObjectLockConfigurationNotFoundError", "Object Lock configuration does not exist for this bucket",
                            details: [.init("BucketName", bucket)])
        }
        var w = XMLWriter(root: "ObjectLockConfiguration")
        w.element("ObjectLockEnabled", "Enabled")
        if let retention = lock.defaultRetention {
            w.open("Rule")
            w.open("DefaultRetention")
            w.element("Mode", retention.mode.rawValue)
            if let days = retention.days { w.element("Days", days) }
            if let years = retention.years { w.element("Years", years) }
            w.close()
            w.close()
        }
        return xml(w.finish())
    }

    func putObjectLockConfiguration(_ bucket: String, s3: S3Request, body: RequestBody, auth: VerifiedAuth) async throws -> Response {
        _ = try await storage.bucket(bucket)
        let document = try S3RequestXML.objectLockConfiguration(try await readSmallBody(body, s3: s3, auth: auth))
        var lock = BucketObjectLock()
        if let text = document.mode {
            guard let mode = ObjectRetention.Mode(rawValue: text) else { throw S3XMLError.malformedXML }
            lock.defaultRetention = .init(mode: mode, days: document.days, years: document.years)
        }
        try await storage.setObjectLock(bucket: bucket, lock)
        return Response(status: .ok)
    }

    /// Whether the caller may bypass GOVERNANCE retention on `bucket` (see `ObjectLock.mayBypassGovernance`):
    /// it asked with x-amz-bypass-governance-retention: true, and either it owns the bucket (with a key whose
    /// scope may configure it) and the bucket's policy does not deny it s3:BypassGovernanceRetention, or that
    /// policy allows it s3:BypassGovernanceRetention on the object.
    func bypassesGovernance(_ s3: S3Request, bucket: String, key: String, auth: VerifiedAuth) async -> Bool {
        let requested = s3.header(ObjectLockHeaders.bypassGovernance)?.lowercased() == "true"
        guard requested, let access = try? await authorizer.access(bucket) else { return false }
        let verdict = access.verdict(policyRequest(action: "s3:BypassGovernanceRetention", resource: PolicyRequest.objectARN(bucket, key), s3))
        let owns = access.isOwned(by: s3.caller) && (try? scopes.check(auth.accessKey, bucket: bucket, access: .owner)) != nil
        return ObjectLock.mayBypassGovernance(requested: requested, callerOwnsBucket: verdict != .deny && (owns || verdict == .allow))
    }
}
