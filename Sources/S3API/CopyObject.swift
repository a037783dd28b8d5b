import Foundation
import GatewayHTTP
import HTTPTypes
import Hummingbird
import S3XML
import StorageCore

/// CopyObject (x-amz-copy-source, metadata directive COPY/REPLACE, copy-source conditionals).
extension S3Service {
    /// Opens the copy source (the version it names, if any) and applies its x-amz-copy-source-if-* conditions.
    /// A version named that is a delete marker is InvalidRequest, as S3 answers.
    func openCopySource(_ s3: S3Request) async throws -> OpenObject {
        let (bucket, key, version) = try CopySource.parse(s3)
        let source: OpenObject
        let access = try await authorizer.access(bucket)
        do {
            if let version {
                do {
                    source = try await storage.openObject(bucket: bucket, key: key, version: version)
                } catch let e as CoreError where e.code == "MethodNotAllowed" {
                    throw CoreError("InvalidRequest", "The source of a copy request may not specifically refer to a delete marker by version id.")
                }
            } else {
                source = try await storage.openObject(bucket: bucket, key: key)
            }
        } catch let e as CoreError where ["NoSuchKey", "NoSuchVersion"].contains(e.code) && !access.allows(.read, to: s3.caller) {
            throw RequestAuthorizer.denied()   // a caller who may not list the source bucket is not told which keys exist
        }
        // A source the caller may not read: AccessDenied (the source's blobs are never opened for reading).
        try await authorizer.requireRead(of: source.record, caller: s3.caller, policy: policyRequest(
            action: version == nil ? "s3:GetObject" : "s3:GetObjectVersion", resource: PolicyRequest.objectARN(bucket, key), s3))
        try Conditionals.check(s3, etag: source.record.etag, lastModified: source.record.lastModified, forRead: false, prefix: "x-amz-copy-source-")
        return source
    }

    func copyObject(_ bucket: String, _ key: String, s3: S3Request) async throws -> Response {
        let source = try await openCopySource(s3)
        let directive = s3.header("x-amz-metadata-directive")?.uppercased() ?? "COPY"
        guard directive == "COPY" || directive == "REPLACE" else {
            throw CoreError.invalidArgument("Unknown metadata directive.", name: "x-amz-metadata-directive", value: directive)
        }
        var attributes = directive == "REPLACE" ? try ObjectHeaders.attributes(from: s3) : source.record.attributes
        // The copy is a new object: its owner and ACL come from this request, never from the source.
        (attributes.ownerName, attributes.acl) = try await authorizer.newObjectAccess(s3, bucket: bucket, caller: s3.caller)
        if directive == "COPY", let sc = s3.header("x-amz-storage-class") { attributes.storageClass = sc == "STANDARD" ? nil : sc }
        let (srcBucket, srcKey, _) = try CopySource.parse(s3)
        if srcBucket == bucket && srcKey == key && directive == "COPY" && s3.header("x-amz-storage-class") == nil
            && s3.header("x-amz-server-side-encryption") == nil && s3.header("x-amz-server-side-encryption-customer-algorithm") == nil {
            throw CoreError("InvalidRequest", "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
        }
        attributes.checksums = [:]
        attributes.checksumType = nil
        attributes.tags = try copiedTags(s3, source: source.record)
        // A copy's lock settings are its own request's (or the bucket's default), never the source's.
        let settings = try await writeSettings(bucket)
        try ObjectLockHeaders.apply({ s3.header($0) }, to: &attributes, bucketLock: settings.lock)
        // The copy's encryption is the request's (or its bucket's default), never the source's: a new data key.
        let condition = try WriteConditionHeaders.parse(s3)
        let sourceCipher = try cipher(for: source.record.attributes.encryption, customer: try customerKey(s3, copySource: true))
        let sealing = try await newObjectKey(s3, bucketDefault: { try settings.defaultEncryption() })
        attributes.encryption = sealing?.encryption
        let record = try await storage.copyObject(from: source, bucket: bucket, key: key, attributes: attributes,
                                                  condition: condition, sourceCipher: sourceCipher, cipher: sealing?.cipher, lock: .known(settings.lock))
        var w = XMLWriter(root: "CopyObjectResult")
        w.element("LastModified", S3Time.iso8601(record.lastModified))
        w.element("ETag", "\"\(record.etag)\"")
        var headers = HTTPFields()
        Self.addEncryption(record.attributes.encryption, customer: try customerKey(s3), to: &headers)
        if record.versioned { headers[Self.versionIDHeader] = record.versionID }
        if source.record.versioned { headers[Self.copySourceVersionIDHeader] = source.record.versionID }
        return xml(w.finish(), headers: headers)
    }

    /// x-amz-tagging-directive: COPY (the default) keeps the source's tags, REPLACE takes x-amz-tagging's
    /// (none without it); anything else is InvalidArgument.
    func copiedTags(_ s3: S3Request, source: ObjectRecord) throws -> [ObjectTag]? {
        switch s3.header("x-amz-tagging-directive")?.uppercased() ?? "COPY" {
        case "COPY": return source.attributes.tags
        case "REPLACE": return try TaggingHeader.tags(s3)
        case let other: throw CoreError.invalidArgument("Unknown tagging directive.", name: "x-amz-tagging-directive", value: other)
        }
    }

    static let copySourceVersionIDHeader = HTTPField.Name("x-amz-copy-source-version-id")!
}
