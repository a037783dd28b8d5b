import Foundation
import HTTPTypes
import Hummingbird
import S3XML
import SigV4
import StorageCore

/// DeleteObject (idempotent, 204) and DeleteObjects (POST ?delete, with Quiet mode), with or without
/// a version ID: without one, a versioned bucket gets a delete marker; with one, that version or marker
/// goes for good.
extension S3Service {
    func deleteObject(_ bucket: String, _ key: String, s3: S3Request, auth: VerifiedAuth) async throws -> Response {
        var headers = HTTPFields()
        if let raw = s3.query["versionId"] {
            let version = try VersionID.parse(raw)
            let bypass = await bypassesGovernance(s3, bucket: bucket, key: key, auth: auth)
            let removed = try await storage.deleteVersion(bucket: bucket, key: key, version: version, bypassGovernance: bypass)
            headers[Self.versionIDHeader] = version.id
            if removed?.isDeleteMarker == true { headers[Self.deleteMarkerHeader] = "true" }
        } else if let marker = try await storage.deleteObject(bucket: bucket, key: key) {
            headers[Self.versionIDHeader] = marker.versionID
            headers[Self.deleteMarkerHeader] = "true"
        }
        return Response(status: .noContent, headers: headers)
    }

    func deleteObjects(_ bucket: String, s3: S3Request, body: RequestBody, auth: VerifiedAuth) async throws -> Response {
        _ = try await storage.bucket(bucket)
        let document = try await readSmallBody(body, s3: s3, auth: auth)
        let request = try S3RequestXML.deleteObjects(document)
        var w = XMLWriter(root: "DeleteResult")
        for object in request.objects {
            do {
                try Names.validateKey(object.key)
                // The bucket's policy, key by key: a Deny on this key refuses it alone (AccessDenied in its Error).
                try await authorizer.requireNotDenied(policyRequest(
                    action: object.versionId == nil ? "s3:DeleteObject" : "s3:DeleteObjectVersion",
                    resource: PolicyRequest.objectARN(bucket, object.key), s3), bucket: bucket)
                // What S3 reports: the version deleted, and whether it (or the marker made) is a delete marker.
                var marker: ObjectRecord?
                if let raw = object.versionId {
                    let version = try VersionID.parse(raw, name: "VersionId")
                    let bypass = await bypassesGovernance(s3, bucket: bucket, key: object.key, auth: auth)
                    if let removed = try await storage.deleteVersion(bucket: bucket, key: object.key, version: version, bypassGovernance: bypass),
                       removed.isDeleteMarker {
                        marker = removed
                    }
                } else {
                    marker = try await storage.deleteObject(bucket: bucket, key: object.key)
                }
                if !request.quiet {
                    w.group("Deleted") { d in
                        d.element("Key", object.key)
                        if let version = object.versionId { d.element("VersionId", version) }
                        if let marker {
                            d.element("DeleteMarker", true)
                            d.element("DeleteMarkerVersionId", marker.versionID)
                        }
                    }
                }
            } catch let e as CoreError {
                w.group("Error") { e2 in
                    e2.element("Key", object.key)
                    if let version = object.versionId { e2.element("VersionId", version) }
                    e2.element("Code", e.code)
                    e2.element("Message", e.message)
                }
            }
        }
        return xml(w.finish())
    }
}
