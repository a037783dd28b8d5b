import Hummingbird
import S3XML
import SigV4
import StorageCore

/// Get/PutBucketVersioning. The state is Enabled or Suspended once set (a bucket never goes back to
/// unversioned); MFA Delete is refused: the gateway has no MFA devices to check an `x-amz-mfa` against.
extension S3Service {
    func getBucketVersioning(_ bucket: String) async throws -> Response {
        let state = try await storage.versioning(bucket: bucket)
        var w = XMLWriter(root: "VersioningConfiguration")
        if state != .unversioned { w.element("Status", state.rawValue) }
        return xml(w.finish())
    }

    func putBucketVersioning(_ bucket: String, s3: S3Request, body: RequestBody, auth: VerifiedAuth) async throws -> Response {
        _ = try await storage.bucket(bucket)
        let document = try await readSmallBody(body, s3: s3, auth: auth)
        let config = try S3RequestXML.versioningConfiguration(document)
        if config.mfaDelete == "Enabled" {
            guard s3.header("x-amz-mfa") != nil else {
                throw CoreError("AccessDenied", "Mfa Authentication must be used for this request")
            }
            throw CoreError("NotImplemented", "MFA Delete is not supported: this gateway cannot check x-amz-mfa.")
        }
        switch config.status {
        case "Enabled": try await storage.setVersioning(bucket: bucket, .enabled)
        case "Suspended": try await storage.setVersioning(bucket: bucket, .suspended)
        default: break   // no Status: the state stays as it is
        }
        return Response(status: .ok)
    }
}
