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
                try await storage.deleteObject(bucket: bucket, key: object.key)
                if !request.quiet { w.group("Deleted") { $0.element("Key", object.key) } }
            } catch let e as CoreError {
                w.group("Error") { $0.element("Key", object.key); $0.element("Code", e.code); $0.element("Message", e.message) }
            }
        }
        return xml(w.finish())
    }
}
