import FormData
import Foundation
import GatewayHTTP
import HTTPTypes
import Hummingbird
import NIOCore
import PostPolicy
import S3XML
import SigV4
import StorageCore
import WireFormats

/// PostObject: browser-based form upload (`POST /bucket`, multipart/form-data), as made by
/// boto3's `generate_presigned_post` and HTML forms.
///
/// The request has no Authorization header: the form's fields before `file` carry the credentials
/// and a signed policy. They are read with a size cap, the signature and the policy are checked, and
/// then the `file` part streams straight into the storage core (pulled from the request body as the
/// core asks for it, so a slow disk slows the client down and nothing is buffered). Fields after
/// `file` are ignored, as S3 does.
extension S3Service {
    /// Placeholder for the dispatcher where no request signature is verified: PostObject is
    /// authenticated by its form, in the handler; a CORS preflight carries no credentials at all.
    static let unsignedAuth = VerifiedAuth(accessKey: "", version: 0, presigned: true, payload: .unsigned)

    func postObject(_ bucket: String, s3: S3Request, body: RequestBody) async throws -> Response {
        guard let boundary = ContentDisposition(s3.header("content-type") ?? "")?.parameters["boundary"], !boundary.isEmpty,
              boundary.utf8.count <= 200 else {
            throw CoreError(PostPolicyError.malformed)
        }
        let reader = PostFormReader(boundary: boundary, body: body)
        try await reader.readFields()
        var form = reader.form
        form.substituteFilename(reader.fileName)

        let auth: VerifiedAuth?
        var verified = Result { () throws(AuthError) in try verifier.verifyPostPolicy(field: { form.value($0) }) }
        if case .failure(let e) = verified, e.code == "InvalidAccessKeyId" {
            await scopes.reload()   // a key made a moment ago (see S3Service.authenticate)
            verified = Result { () throws(AuthError) in try verifier.verifyPostPolicy(field: { form.value($0) }) }
        }
        do {
            auth = try verified.get()
        } catch {
            throw CoreError(authError: error)
        }
        guard let auth, let policyText = form.value("policy") else {
            // No credentials: an anonymous upload, and no bucket here is publicly writable.
            throw CoreError("AccessDenied", "Access Denied")
        }
        try scopes.check(auth.accessKey, bucket: bucket, access: .write)
        var s3 = s3
        s3.caller = .user(try scopes.user(of: auth.accessKey))
        _ = try await authorizer.authorize(.bucket(.write), bucket: bucket, caller: s3.caller) { [s3] _ in
            policyRequest(action: "s3:PutObject", resource: PolicyRequest.objectARN(bucket, form.value("key") ?? ""), s3)
        }
        guard let key = form.value("key") else { throw CoreError(PostPolicyError.missingField("key")) }
        let policy: PostPolicyDocument
        do {
            policy = try PostPolicyDocument(base64: policyText)
            try policy.check(form, bucket: bucket, now: Date().timeIntervalSince1970)
        } catch {
            throw CoreError(error)
        }
        guard reader.hasFile else {
            throw CoreError.invalidArgument("POST requires exactly one file upload per request.", name: "file", value: "0")
        }
        var attributes = try ObjectHeaders.attributes(fromForm: form)
        // The form's `acl` field is a canned ACL, as x-amz-acl is for PutObject.
        let access = try await authorizer.access(bucket)
        if let canned = form.value("acl") {
            guard let acl = CannedACL(rawValue: canned) else { throw CoreError.invalidArgument("", name: "acl", value: canned) }
            try access.admit(acl.acl(bucketOwner: access.owner), canned: canned)
            attributes.acl = acl.acl(bucketOwner: access.owner).grants.isEmpty || access.aclsDisabled ? nil : acl.acl(bucketOwner: access.owner)
        }
        let handedOver = access.aclsDisabled || (access.ownership == .bucketOwnerPreferred && form.value("acl") == CannedACL.bucketOwnerFullControl.rawValue)
        attributes.ownerName = access.isOwned(by: s3.caller) || handedOver ? nil : s3.caller.user?.name
        let settings = try await writeSettings(bucket)
        try ObjectLockHeaders.apply({ form.value($0) }, to: &attributes, bucketLock: settings.lock)
        // SSE-C form fields are not served on PostObject: refused, never a plain write of a body meant to be sealed.
        if form.value("x-amz-server-side-encryption-customer-algorithm") != nil || form.value("x-amz-server-side-encryption-customer-key") != nil {
            throw CoreError("NotImplemented", "Server side encryption with customer-provided keys (SSE-C) is not supported on PostObject.")
        }
        // The form field x-amz-server-side-encryption, as the header on PutObject (or the bucket's default).
        let sealing = try await newObjectKey(requested: form.value("x-amz-server-side-encryption"), bucketDefault: { try settings.defaultEncryption() })
        attributes.encryption = sealing?.encryption
        let contentMD5 = try form.value("content-md5").map(ContentMD5.parse)

        let record = try await storage.putObject(bucket: bucket, key: key, attributes: attributes,
                                                 body: MD5Body(PostFileBody(reader: reader, policy: policy), contentMD5: contentMD5),
                                                 cipher: sealing?.cipher, lock: .known(settings.lock))
        return postResponse(record, form: form, s3: s3)
    }

    /// 303 to success_action_redirect (or the older `redirect`); else success_action_status 200, 201
    /// (a PostResponse document) or 204, the default.
    func postResponse(_ record: ObjectRecord, form: PostForm, s3: S3Request) -> Response {
        let etag = "\"\(record.etag)\""
        var headers = HTTPFields()
        headers[.eTag] = etag
        if record.versioned { headers[Self.versionIDHeader] = record.versionID }
        Self.addEncryption(record.attributes.encryption, to: &headers)
        let path = s3.virtualHosted ? "/" + PercentEncoding.encode(record.key, keepingSlash: true)
            : "/" + PercentEncoding.encode(record.bucket) + "/" + PercentEncoding.encode(record.key, keepingSlash: true)
        let location = "http://" + s3.host + path
        let redirect = form.value("success_action_redirect") ?? form.value("redirect")
        if let redirect, !redirect.isEmpty, let url = URLComponents(string: redirect), url.scheme != nil, url.host != nil {
            let query = "bucket=" + PercentEncoding.encode(record.bucket) + "&key="
                + PercentEncoding.encode(record.key) + "&etag=" + PercentEncoding.encode(etag)
            var target = redirect
            if let hash = target.firstIndex(of: "#") { target = String(target[..<hash]) }
            target += (url.percentEncodedQuery.map { $0.isEmpty ? "" : "&" } ?? "?") + query
            headers[.location] = target
            return Response(status: .seeOther, headers: headers)
        }
        headers[.location] = location
        switch form.value("success_action_status") {
        case "200":
            return Response(status: .ok, headers: headers)
        case "201":
            var w = XMLWriter(root: "PostResponse", namespace: nil)
            w.element("Location", location)
            w.element("Bucket", record.bucket)
            w.element("Key", record.key)
            w.element("ETag", etag)
            return xml(w.finish(), status: .created, headers: headers)
        default:
            return Response(status: .noContent, headers: headers)
        }
    }
}

extension CoreError {
    init(_ e: PostPolicyError) {
        self.init(e.code, e.message, details: e.details.map { Detail($0.name, $0.value) })
    }
}

extension ObjectHeaders {
    /// The object attributes a form upload sets: what PutObject takes from headers, from form fields
    /// (a field given twice: the first counts, as S3 does); the `tagging` field is a Tagging document.
    static func attributes(fromForm form: PostForm) throws -> ObjectAttributes {
        let metadata = form.fields.filter { $0.name.lowercased().hasPrefix("x-amz-meta-") }.map { (name: $0.name, value: $0.value) }
        var attributes = try attributes(value: { form.value($0) }, metadata: metadata, repeated: { first, _ in first })
        if let document = form.value("tagging") {
            let sent = try S3RequestXML.tagging(Array(document.utf8)).map { ObjectTag(key: $0.key, value: $0.value) }
            attributes.tags = try sent.isEmpty ? nil : ObjectTag.validated(sent, for: .object)
        }
        return attributes
    }
}

/// Reads a multipart/form-data body with the streaming `MultipartFormParser` (Sources/FormData): first the fields up to
/// the `file` part (kept, capped), then, on demand, the file's bytes (never kept beyond one network chunk).
/// Used by one task at a time: `readFields`, then the `PostFileBody` the core iterates.
final class PostFormReader {
    private enum Phase { case fields, file, done }

    /// nil when the parser refused the boundary (every read then fails as malformed).
    private var parser: MultipartFormParser?
    private var source: RequestBody.AsyncIterator
    private var phase = Phase.fields
    private(set) var form = PostForm()
    /// The `filename` of the file part, as sent.
    private(set) var fileName: String?
    private(set) var hasFile = false
    /// Bytes of the body read while still among the fields.
    private var preDataBytes = 0
    static let maxPreData = PostForm.maxTotalBytes + 64 * 1024

    // The part being parsed.
    private var partName: String?
    private var partFileName: String?
    private var partValue: [UInt8] = []
    /// File bytes parsed but not yet handed to the core.
    private var pending = ByteBuffer()
    /// An error found while handling a parser event (kept until the chunk is parsed).
    private var failure: PostPolicyError?

    init(boundary: String, body: RequestBody) {
        parser = try? MultipartFormParser(boundary: boundary)
        source = body.makeAsyncIterator()
    }

    /// Reads until the file part begins (or the form ends without one).
    func readFields() async throws {
        while phase == .fields {
            guard let chunk = try await source.next() else {
                // The body ended before any file part: the fields are all there is.
                if partName != nil || form.fields.isEmpty { throw CoreError(PostPolicyError.malformed) }
                phase = .done
                return
            }
            try feed(chunk)
            if phase == .fields {
                preDataBytes += chunk.readableBytes
                if preDataBytes > Self.maxPreData { throw CoreError(PostPolicyError.preDataTooLarge) }
            }
        }
    }

    /// The next piece of the file, nil after its last byte.
    func nextFileChunk() async throws -> ByteBuffer? {
        while true {
            if pending.readableBytes > 0 {
                let out = pending
                pending = ByteBuffer()
                return out
            }
            if phase != .file { return nil }
            guard let chunk = try await source.next() else { throw CoreError.incompleteBody }
            try feed(chunk)
        }
    }

    private func feed(_ chunk: ByteBuffer) throws {
        guard parser != nil else { throw CoreError(PostPolicyError.malformed) }
        do {
            try chunk.withUnsafeReadableBytes { bytes throws(MultipartFormError) in
                try parser?.feed(bytes) { event in
                    switch event {
                    case .header(let name, let value): header(name, value)
                    case .body(let bytes): bodyBytes(bytes)
                    case .partEnd: partComplete()
                    case .end: break
                    }
                }
            }
        } catch MultipartFormError.headerBlockTooLarge {
            throw CoreError(PostPolicyError.preDataTooLarge)
        } catch {
            throw CoreError(PostPolicyError.malformed)
        }
        if let failure { throw CoreError(failure) }
    }

    private func header(_ name: String, _ value: ArraySlice<UInt8>) {
        guard phase == .fields, name.lowercased() == "content-disposition" else { return }
        // A value that is not UTF-8 reads as empty, so as malformed.
        guard let cd = ContentDisposition(String(validating: value, as: UTF8.self) ?? ""), cd.type == "form-data",
              let n = cd.name else {
            failure = failure ?? .malformed
            return
        }
        partName = n
        partFileName = cd.filename
    }

    private var inFilePart: Bool { partName?.lowercased() == "file" }

    private func beginFile() {
        phase = .file
        hasFile = true
        fileName = partFileName ?? ""
    }

    private func bodyBytes(_ bytes: UnsafeRawBufferPointer) {
        switch phase {
        case .fields:
            if inFilePart {
                beginFile()
                pending.writeBytes(bytes)
            } else {
                if partValue.count + bytes.count > PostForm.maxFieldBytes {
                    failure = failure ?? .preDataTooLarge
                    return
                }
                partValue.append(contentsOf: bytes)
            }
        case .file:
            pending.writeBytes(bytes)
        case .done:
            return  // fields after the file are ignored
        }
    }

    private func partComplete() {
        switch phase {
        case .fields:
            if inFilePart {
                beginFile()  // an empty file
                phase = .done
            } else if let name = partName {
                do {
                    try form.append(name: name, value: String(decoding: partValue, as: UTF8.self))
                } catch {
                    failure = failure ?? error
                }
            } else {
                failure = failure ?? .malformed
            }
            partName = nil
            partFileName = nil
            partValue = []
        case .file:
            phase = .done
        case .done:
            return
        }
    }
}

/// The file part as the AsyncSequence the storage core writes: pulled from the request body on
/// demand, with the policy's content-length-range enforced as it streams (nothing is committed
/// when it fails, since the core discards a body whose sequence throws).
struct PostFileBody: AsyncSequence {
    typealias Element = ByteBuffer
    let reader: PostFormReader
    let policy: PostPolicyDocument

    func makeAsyncIterator() -> Iterator { Iterator(reader: reader, policy: policy) }

    struct Iterator: AsyncIteratorProtocol {
        let reader: PostFormReader
        let policy: PostPolicyDocument
        var received: Int64 = 0

        mutating func next() async throws -> ByteBuffer? {
            guard let chunk = try await reader.nextFileChunk() else {
                do { try policy.checkFinalSize(received) } catch { throw CoreError(error) }
                return nil
            }
            received += Int64(chunk.readableBytes)
            do { try policy.checkPartialSize(received) } catch { throw CoreError(error) }
            return chunk
        }
    }
}
