import AccessKeys
import Foundation
import GatewayHTTP
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import S3XML
import SigV4
import StorageCore

/// The S3 REST/XML front end: parse → authenticate → resolve the endpoint → check the key's scope →
/// dispatch to one handler per operation (in the files beside this one). Request IDs, the access line
/// and error documents are the shared pipeline's (`FrontEndResponder`); errors are rendered as S3's XML.
package struct S3Service: FrontEnd {
    let storage: Storage
    let verifier: Verifier
    let scopes: KeyScopes
    let region: String
    let domain: String?
    let logger: Logger
    let authorizer: RequestAuthorizer
    /// The master key SSE-S3 data keys are wrapped under (`--master-key-file`); nil: SSE requests are refused.
    let masterKey: MasterKey?
    /// The listener speaks TLS: SSE-C keys may be sent, and a bucket policy's aws:SecureTransport is true.
    let secureTransport: Bool
    /// `--allow-insecure-sse-c`: SSE-C over plain HTTP too (tests, or TLS ended by a proxy in front).
    let allowInsecureSSEC: Bool
    /// Largest XML request body accepted (CompleteMultipartUpload with 10,000 parts is ~1 MiB).
    let maxXMLBody = 4 << 20

    package init(storage: Storage, verifier: Verifier, scopes: KeyScopes, region: String, domain: String?, logger: Logger,
                 masterKey: MasterKey? = nil, secureTransport: Bool = false, allowInsecureSSEC: Bool = false) {
        (self.storage, self.verifier, self.scopes) = (storage, verifier, scopes)
        (self.region, self.domain, self.logger) = (region, domain, logger)
        self.masterKey = masterKey
        (self.secureTransport, self.allowInsecureSSEC) = (secureTransport, allowInsecureSSEC)
        authorizer = RequestAuthorizer(storage: storage, cache: BucketAccessCache())
    }

    package func respond(to request: Request, context: GatewayRequestContext) async throws -> Response {
        var s3 = try S3Request(head: request.head, domain: domain)
        s3.clientAddress = context.remoteAddress
        (context.access.bucket, context.access.key) = (s3.bucket ?? "", s3.key ?? "")
        // Resolved before authentication, so that the access line names the operation of a request
        // that fails it; a malformed parameter is reported only once the signature has been checked.
        let resolved = Result { try S3Endpoint.resolve(s3, maxParts: storage.validator.limits.maxParts) }
        if case .success(let endpoint) = resolved { context.access.operation = endpoint.name }
        // PostObject's credentials are form fields: its handler verifies the policy signature. A CORS
        // preflight carries none: it is answered to anyone, from the bucket's rules.
        let isPostObject = S3Endpoint.isPostObject(s3)
        let isUnauthenticated = (try? resolved.get())?.access == .unauthenticated
        scopes.keepFresh()
        // An upload ticket as a bearer token: what it may do is the ticket's alone.
        if !isPostObject && !isUnauthenticated, let token = TicketAccess.bearer(s3) {
            let ticket = try await TicketAccess.authenticate(token, storage: storage)
            context.authenticated(as: "ticket:" + ticket.id)
            let endpoint = try resolved.get()
            try TicketAccess.authorize(endpoint, s3, ticket: ticket)
            s3.caller = .ticket(ticket)
            return try await dispatch(endpoint, s3, body: request.body, auth: Self.unsignedAuth)
        }
        let signed = !isPostObject && !isUnauthenticated
        // nil: no signature was sent (an anonymous request, which only AllUsers grants allow).
        let auth = signed ? try await authenticate(s3) : nil
        if let auth { context.authenticated(as: auth.accessKey) }
        let endpoint = try resolved.get()
        if let auth {
            try scopes.check(auth.accessKey, bucket: endpoint.bucket, access: endpoint.access)
            s3.caller = .user(try scopes.user(of: auth.accessKey))
        }
        // PostObject's caller is known once its handler has checked the form's signature: it authorizes there.
        if !isPostObject {
            s3.objectGate = try await authorizer.authorize(endpoint.requirement, bucket: endpoint.bucket, caller: s3.caller) { [s3] access in
                guard var request = policyRequest(for: endpoint, s3) else { return nil }
                if case .object = endpoint.requirement, let bucket = endpoint.bucket, let key = endpoint.objectKey,
                   access.policy?.usesExistingObjectTags == true {
                    // s3:ExistingObjectTag/<key> compares the object's tags: read them only when the policy asks.
                    request.addExistingObjectTags(try await existingTags(bucket, key, s3))
                }
                return request
            }
        }
        let response: Response
        do {
            response = try await dispatch(endpoint, s3, body: request.body, auth: auth ?? Self.unsignedAuth)
        } catch {
            throw s3.objectGate?.hide(error) ?? error
        }
        if let gate = s3.objectGate, !gate.wasPassed {
            // Fails closed: a handler that read no object through the gate answers nothing to a non-owner.
            logger.error("object access not checked by the handler", metadata: ["operation": "\(endpoint.name)"])
            throw RequestAuthorizer.denied()
        }
        return response
    }

    /// S3's error document: code, message, details, the resource and the request ID.
    package func response(for error: any Error, to request: Request, context: GatewayRequestContext) -> Response {
        let core: CoreError
        switch error {
        case let e as CoreError: core = e
        case let e as AuthError: core = CoreError(authError: e)
        case let e as S3XMLError: core = CoreError(e.code, e.message)
        default:
            logger.error("request failed", metadata: ["request-id": "\(context.requestID)", "error": "\(error)"])
            core = .internalError(String(describing: type(of: error)))
        }
        let access = context.access
        let resource = access.bucket.isEmpty ? RequestTarget(request.head.path ?? "/").rawPath
            : "/" + access.bucket + (access.key.isEmpty ? "" : "/" + access.key)
        return S3ErrorResponse.response(core, resource: resource, requestID: context.requestID, isHead: request.method == .head)
    }

    /// The request's verified signature. A key the keys in memory do not hold is looked up once more,
    /// in a fresh read of the keys file (off the event loop), before InvalidAccessKeyId.
    func authenticate(_ s3: S3Request) async throws -> VerifiedAuth? {
        var headers: [(name: String, value: String)] = [("host", s3.host)]
        for f in s3.headers { headers.append((f.name.rawName, f.value)) }
        let incoming = IncomingRequest(method: s3.method, path: s3.rawPath, query: s3.rawQuery, headers: headers,
                                       virtualHostBucket: s3.virtualHosted ? s3.bucket : nil)
        var verified = Result { () throws(AuthError) in try verifier.verify(incoming) }
        if case .failure(let e) = verified, e.code == "InvalidAccessKeyId" {
            await scopes.reload()
            verified = Result { () throws(AuthError) in try verifier.verify(incoming) }
        }
        return try verified.get()
    }

    func dispatch(_ endpoint: S3Endpoint, _ s3: S3Request, body: RequestBody, auth: VerifiedAuth) async throws -> Response {
        switch endpoint {
        case .listBuckets: return try await listBuckets(of: s3.caller, visibleTo: scopes.buckets(of: auth.accessKey))
        case .createBucket(let bucket): return try await createBucket(bucket, s3: s3, body: body, auth: auth)
        case .headBucket(let bucket): return try await headBucket(bucket)
        case .deleteBucket(let bucket): return try await deleteBucket(bucket)
        case .getBucketLocation(let bucket): return try await getBucketLocation(bucket)
        case .getBucketDefault(let bucket, let sub): return try await getBucketDefault(bucket, subresource: sub)
        case .getBucketLifecycle(let bucket): return try await getBucketLifecycle(bucket)
        case .putBucketLifecycle(let bucket): return try await putBucketLifecycle(bucket, s3: s3, body: body, auth: auth)
        case .deleteBucketLifecycle(let bucket): return try await deleteBucketLifecycle(bucket)
        case .getBucketVersioning(let bucket): return try await getBucketVersioning(bucket)
        case .putBucketVersioning(let bucket): return try await putBucketVersioning(bucket, s3: s3, body: body, auth: auth)
        case .getBucketCors(let bucket): return try await getBucketCors(bucket)
        case .putBucketCors(let bucket): return try await putBucketCors(bucket, s3: s3, body: body, auth: auth)
        case .deleteBucketCors(let bucket): return try await deleteBucketCors(bucket)
        case .getBucketAcl(let bucket): return try await getBucketAcl(bucket)
        case .putBucketAcl(let bucket): return try await putBucketAcl(bucket, s3: s3, body: body, auth: auth)
        case .getBucketPolicy(let bucket): return try await getBucketPolicy(bucket)
        case .putBucketPolicy(let bucket): return try await putBucketPolicy(bucket, s3: s3, body: body, auth: auth)
        case .deleteBucketPolicy(let bucket): return try await deleteBucketPolicy(bucket)
        case .getBucketPolicyStatus(let bucket): return try await getBucketPolicyStatus(bucket)
        case .getPublicAccessBlock(let bucket): return try await getPublicAccessBlock(bucket)
        case .putPublicAccessBlock(let bucket): return try await putPublicAccessBlock(bucket, s3: s3, body: body, auth: auth)
        case .deletePublicAccessBlock(let bucket): return try await deletePublicAccessBlock(bucket)
        case .getBucketOwnershipControls(let bucket): return try await getBucketOwnershipControls(bucket)
        case .putBucketOwnershipControls(let bucket): return try await putBucketOwnershipControls(bucket, s3: s3, body: body, auth: auth)
        case .deleteBucketOwnershipControls(let bucket): return try await deleteBucketOwnershipControls(bucket)
        case .getBucketTagging(let bucket): return try await getBucketTagging(bucket)
        case .putBucketTagging(let bucket): return try await putBucketTagging(bucket, s3: s3, body: body, auth: auth)
        case .deleteBucketTagging(let bucket): return try await deleteBucketTagging(bucket)
        case .getObjectLockConfiguration(let bucket): return try await getObjectLockConfiguration(bucket)
        case .putObjectLockConfiguration(let bucket): return try await putObjectLockConfiguration(bucket, s3: s3, body: body, auth: auth)
        case .getBucketEncryption(let bucket): return try await getBucketEncryption(bucket)
        case .putBucketEncryption(let bucket): return try await putBucketEncryption(bucket, s3: s3, body: body, auth: auth)
        case .deleteBucketEncryption(let bucket): return try await deleteBucketEncryption(bucket)
        case .corsPreflight(let bucket, let key): return try await corsPreflight(bucket, key: key, s3: s3)
        case .uploadPage(let asset): return try uploadPage(asset, head: s3.method == "HEAD")
        case .ticketStatus: return try await ticketStatus(s3)
        case .listObjects(let bucket): return try await listObjects(bucket, s3: s3, v2: false)
        case .listObjectsV2(let bucket): return try await listObjects(bucket, s3: s3, v2: true)
        case .listObjectVersions(let bucket): return try await listObjectVersions(bucket, s3: s3)
        case .deleteObjects(let bucket): return try await deleteObjects(bucket, s3: s3, body: body, auth: auth)
        case .listMultipartUploads(let bucket): return try await listMultipartUploads(bucket, s3: s3)
        case .putObject(let bucket, let key): return try await putObject(bucket, key, s3: s3, body: body, auth: auth)
        case .postObject(let bucket): return try await postObject(bucket, s3: s3, body: body)
        case .copyObject(let bucket, let key): return try await copyObject(bucket, key, s3: s3)
        case .getObject(let bucket, let key): return try await getObject(bucket, key, s3: s3, head: false)
        case .headObject(let bucket, let key): return try await getObject(bucket, key, s3: s3, head: true)
        case .deleteObject(let bucket, let key): return try await deleteObject(bucket, key, s3: s3, auth: auth)
        case .getObjectAcl(let bucket, let key): return try await getObjectAcl(bucket, key, s3: s3)
        case .putObjectAcl(let bucket, let key): return try await putObjectAcl(bucket, key, s3: s3, body: body, auth: auth)
        case .getObjectTagging(let bucket, let key): return try await getObjectTagging(bucket, key, s3: s3)
        case .putObjectTagging(let bucket, let key): return try await putObjectTagging(bucket, key, s3: s3, body: body, auth: auth)
        case .deleteObjectTagging(let bucket, let key): return try await deleteObjectTagging(bucket, key, s3: s3)
        case .getObjectRetention(let bucket, let key): return try await getObjectRetention(bucket, key, s3: s3)
        case .putObjectRetention(let bucket, let key): return try await putObjectRetention(bucket, key, s3: s3, body: body, auth: auth)
        case .getObjectLegalHold(let bucket, let key): return try await getObjectLegalHold(bucket, key, s3: s3)
        case .putObjectLegalHold(let bucket, let key): return try await putObjectLegalHold(bucket, key, s3: s3, body: body, auth: auth)
        case .getObjectAttributes(let bucket, let key): return try await getObjectAttributes(bucket, key, s3: s3)
        case .createMultipartUpload(let bucket, let key): return try await createMultipartUpload(bucket, key, s3: s3)
        case .uploadPart(let bucket, let key, let n, let id):
            return try await uploadPart(bucket, key, partNumber: n, uploadID: id, s3: s3, body: body, auth: auth)
        case .uploadPartCopy(let bucket, let key, let n, let id):
            return try await uploadPartCopy(bucket, key, partNumber: n, uploadID: id, s3: s3)
        case .listParts(let bucket, let key, let id): return try await listParts(bucket, key, uploadID: id, s3: s3, auth: auth)
        case .completeMultipartUpload(let bucket, let key, let id):
            return try await completeMultipartUpload(bucket, key, uploadID: id, s3: s3, body: body, auth: auth)
        case .abortMultipartUpload(let bucket, let key, let id): return try await abortMultipartUpload(bucket, key, uploadID: id)
        case .notImplemented(let what):
            throw CoreError("NotImplemented", "A header or query you provided requested a function that is not implemented. (\(what))")
        }
    }

    // MARK: helpers shared by the handlers

    /// What the bucket's policy is evaluated against for this request (nil where no bucket policy applies).
    func policyRequest(for endpoint: S3Endpoint, _ s3: S3Request) -> PolicyRequest? {
        guard let action = endpoint.policyAction(versioned: s3.query["versionId"] != nil), let resource = endpoint.policyResource else { return nil }
        return policyRequest(action: action, resource: resource, s3)
    }

    /// The tags of the object a request names (none when it does not exist: its handler answers that).
    func existingTags(_ bucket: String, _ key: String, _ s3: S3Request) async throws -> [ObjectTag] {
        do {
            return try await requestedVersion(bucket, key, s3: s3).attributes.tags ?? []
        } catch let e as CoreError where ["NoSuchKey", "NoSuchVersion", "MethodNotAllowed"].contains(e.code) {
            return []
        }
    }

    func policyRequest(action: String, resource: String, _ s3: S3Request) -> PolicyRequest {
        PolicyRequest(caller: s3.caller, action: action, resource: resource, s3: s3, secureTransport: secureTransport, sourceIP: s3.clientAddress)
    }

    /// The attributes a new object (PutObject, CreateMultipartUpload) takes from the request: its headers,
    /// and its owner and ACL (`RequestAuthorizer.newObjectAccess`).
    func newObjectAttributes(_ s3: S3Request, bucket: String) async throws -> ObjectAttributes {
        var attributes = try ObjectHeaders.attributes(from: s3)
        (attributes.ownerName, attributes.acl) = try await authorizer.newObjectAccess(s3, bucket: bucket, caller: s3.caller)
        return attributes
    }

    func xml(_ document: String, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.contentType] = "application/xml"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: document)))
    }

    /// Reads a small request body (XML documents) with a cap, verifying its signed SHA-256.
    /// - Parameter flexibleChecksums: false where x-amz-checksum-* headers describe an object, not this
    ///   body (CompleteMultipartUpload).
    func readSmallBody(_ body: RequestBody, s3: S3Request, auth: VerifiedAuth, flexibleChecksums: Bool = true) async throws -> [UInt8] {
        let pipeline = try RequestBodyPipeline(s3: s3, auth: auth, flexibleChecksums: flexibleChecksums)
        var out: [UInt8] = []
        for try await chunk in pipeline.wrap(body) {
            if out.count + chunk.readableBytes > maxXMLBody {
                throw CoreError("MaxMessageLengthExceeded", "Your request was too big.")
            }
            out.append(contentsOf: chunk.readableBytesView)
        }
        return out   // the loop ended: every digest the client declared was verified
    }

    func queryInt(_ s3: S3Request, _ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let raw = s3.query[name] else { return value }
        guard let n = Int(raw), n >= 0 else {
            throw CoreError.invalidArgument("Provided \(name) not an integer or within integer range", name: name, value: raw)
        }
        return min(max(n, range.lowerBound), range.upperBound)
    }
}

extension CoreError {
    init(authError e: AuthError) {
        self.init(e.code, e.message, details: e.details.map { Detail($0.name, $0.value) })
    }
}
