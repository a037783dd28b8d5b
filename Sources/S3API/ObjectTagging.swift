import HTTPTypes
import Hummingbird
import S3XML
import SigV4
import StorageCore

/// Get/Put/DeleteObjectTagging, on the key's current object or, with `?versionId`, on that version. The
/// tags live in the version's attributes: a change rewrites them in place (one store transaction) and
/// makes no new version. The answers name a version with its own ID in x-amz-version-id, as the object
/// operations do.
extension S3Service {
    func getObjectTagging(_ bucket: String, _ key: String, s3: S3Request) async throws -> Response {
        let record = try await requestedVersion(bucket, key, s3: s3)
        try s3.objectGate?.pass(record)
        let tags = (record.attributes.tags ?? []).map { (key: $0.key, value: $0.value) }
        return xml(S3RequestXML.taggingDocument(tags), headers: Self.versionHeaders(record))
    }

    func putObjectTagging(_ bucket: String, _ key: String, s3: S3Request, body: RequestBody, auth: VerifiedAuth) async throws -> Response {
        let version = try s3.query["versionId"].map { try VersionID.parse($0) }
        let document = try await readSmallBody(body, s3: s3, auth: auth)
        let sent = try S3RequestXML.tagging(document).map { ObjectTag(key: $0.key, value: $0.value) }
        // An empty TagSet removes the tags, as S3 does.
        let tags = try sent.isEmpty ? nil : ObjectTag.validated(sent, for: .object)
        let record = try await storage.updateAttributes(bucket: bucket, key: key, version: version, method: "PUT") {
            var attributes = $0.attributes
            attributes.tags = tags
            return attributes
        }
        return Response(status: .ok, headers: Self.versionHeaders(record))
    }

    func deleteObjectTagging(_ bucket: String, _ key: String, s3: S3Request) async throws -> Response {
        let version = try s3.query["versionId"].map { try VersionID.parse($0) }
        let record = try await storage.updateAttributes(bucket: bucket, key: key, version: version, method: "DELETE") {
            var attributes = $0.attributes
            attributes.tags = nil
            return attributes
        }
        return Response(status: .noContent, headers: Self.versionHeaders(record))
    }

    /// x-amz-version-id naming `record`, when it has its own ID.
    static func versionHeaders(_ record: ObjectRecord) -> HTTPFields {
        var headers = HTTPFields()
        if record.versioned { headers[versionIDHeader] = record.versionID }
        return headers
    }

    static let taggingCountHeader = HTTPField.Name("x-amz-tagging-count")!
}
