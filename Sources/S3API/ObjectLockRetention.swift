import Foundation
import GatewayHTTP
import HTTPTypes
import Hummingbird
import S3XML
import SigV4
import StorageCore

/// Get/PutObjectRetention and Get/PutObjectLegalHold, on the current object or, with `?versionId`, on that
/// version, in a bucket with Object Lock (else InvalidRequest "Bucket is missing Object Lock Configuration").
/// A change rewrites the version's attributes in place, the rules checked inside the store's transaction
/// (`ObjectLock.checkRetentionChange`).
extension S3Service {
    func requireObjectLock(_ bucket: String) async throws {
        guard try await storage.objectLock(bucket: bucket) != nil else { throw ObjectLockHeaders.missingConfiguration }
    }

    func lockedRecord(_ bucket: String, _ key: String, s3: S3Request) async throws -> ObjectRecord {
        try await requireObjectLock(bucket)
        let record = try await requestedVersion(bucket, key, s3: s3)
        try s3.objectGate?.pass(record)
        return record
    }

    static let noLockConfiguration = CoreError("NoSuchObjectLockConfiguration", "The specified object does not have a ObjectLock configuration")

    func getObjectRetention(_ bucket: String, _ key: String, s3: S3Request) async throws -> Response {
        let record = try await lockedRecord(bucket, key, s3: s3)
        guard let retention = record.attributes.retention else { throw Self.noLockConfiguration }
        var w = XMLWriter(root: "Retention")
        w.element("Mode", retention.mode.rawValue)
        w.element("RetainUntilDate", S3Time.iso8601(retention.retainUntil))
        return xml(w.finish())
    }

    func putObjectRetention(_ bucket: String, _ key: String, s3: S3Request, body: RequestBody, auth: VerifiedAuth) async throws -> Response {
        try await requireObjectLock(bucket)
        let version = try s3.query["versionId"].map { try VersionID.parse($0) }
        let now = Date()
        var retention: ObjectRetention?
        if let sent = try S3RequestXML.retention(try await readSmallBody(body, s3: s3, auth: auth)) {
            guard let mode = ObjectRetention.Mode(rawValue: sent.mode) else { throw S3XMLError.malformedXML }
            retention = ObjectRetention(mode: mode, retainUntil: try ObjectLockHeaders.date(sent.retainUntil, name: "RetainUntilDate", now: now))
        }
        let newRetention = retention
        let bypass = await bypassesGovernance(s3, bucket: bucket, key: key, auth: auth)
        try await storage.updateAttributes(bucket: bucket, key: key, version: version, method: "PUT") { record in
            try ObjectLock.checkRetentionChange(from: record.attributes.retention, to: newRetention, at: now, bypassGovernance: bypass)
            var attributes = record.attributes
            attributes.retention = newRetention
            return attributes
        }
        return Response(status: .ok)
    }

    func getObjectLegalHold(_ bucket: String, _ key: String, s3: S3Request) async throws -> Response {
        let record = try await lockedRecord(bucket, key, s3: s3)
        guard let hold = record.attributes.legalHold else { throw Self.noLockConfiguration }
        var w = XMLWriter(root: "LegalHold")
        w.element("Status", hold ? "ON" : "OFF")
        return xml(w.finish())
    }

    func putObjectLegalHold(_ bucket: String, _ key: String, s3: S3Request, body: RequestBody, auth: VerifiedAuth) async throws -> Response {
        try await requireObjectLock(bucket)
        let version = try s3.query["versionId"].map { try VersionID.parse($0) }
        let hold = try S3RequestXML.legalHold(try await readSmallBody(body, s3: s3, auth: auth))
        try await storage.updateAttributes(bucket: bucket, key: key, version: version, method: "PUT") { record in
            var attributes = record.attributes
            attributes.legalHold = hold
            return attributes
        }
        return Response(status: .ok)
    }

    /// x-amz-object-lock-* on GET and HEAD: the version's retention and legal hold, when set.
    static func addLockHeaders(_ attributes: ObjectAttributes, to headers: inout HTTPFields) {
        if let retention = attributes.retention {
            headers[HTTPField.Name(ObjectLockHeaders.mode)!] = retention.mode.rawValue
            headers[HTTPField.Name(ObjectLockHeaders.retainUntil)!] = S3Time.iso8601(retention.retainUntil)
        }
        if let hold = attributes.legalHold { headers[HTTPField.Name(ObjectLockHeaders.legalHold)!] = hold ? "ON" : "OFF" }
    }
}
