import Foundation
import HTTPTypes
import Hummingbird
import S3XML
import SigV4
import StorageCore

/// DeleteObject (idempotent, 204) and DeleteObjects (POST ?delete, with Quiet mode).
extension S3Service {
    func deleteObject(_ bucket: String, _ key: String) async throws -> Response {
        try await storage.deleteObject(bucket: bucket, key: key)
        return Response(status: .noContent)
    }

    func deleteObjects(_ bucket: String, s3: S3Request, body: RequestBody, auth: VerifiedAuth) async throws -> Response {
        _ = try await storage.bucket(bucket)
        let document = try await readSmallBody(body, s3: s3, auth: auth)
        let request = try S3RequestXML.deleteObjects(document)
        var w = XMLWriter(root: "DeleteResult")
        for object in request.objects {
            do {
                try Names.validateKey(object.key)
                if let version = object.versionId { try VersionID.check(version, name: "VersionId") }
                try await storage.deleteObject(bucket: bucket, key: object.key)
                if !request.quiet {
                    w.group("Deleted") { d in
                        d.element("Key", object.key)
                        if let version = object.versionId { d.element("VersionId", version) }
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
