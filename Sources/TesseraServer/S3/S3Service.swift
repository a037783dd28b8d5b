import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import S3XML
import SigV4
import StorageCore
import Synchronization

/// The S3 REST/XML front end: authenticates, resolves the endpoint, dispatches to one handler per
/// operation (in the files beside this one), and maps errors to S3's XML.
struct S3Service: HTTPResponder {
    typealias Context = BasicRequestContext
    let storage: Storage
    let verifier: Verifier
    let scopes: KeyScopes
    let region: String
    let domain: String?
    let logger: Logger
    /// Largest XML request body accepted (CompleteMultipartUpload with 10,000 parts is ~1 MiB).
    let maxXMLBody = 4 << 20

    func respond(to request: Request, context: Context) async throws -> Response {
        let requestID = RequestID.next()
        let record = AccessRecord(requestID: requestID, method: request.method.rawValue,
                                  bytesIn: request.headers[.contentLength].flatMap { Int64($0) } ?? 0, logger: logger)
        var op = "Unknown"
        var response: Response
        var fixedBytes: Int?   // the body is one buffer, sent with the head (see FixedResponseBody)
        var resource = request.head.path ?? "/"
        do {
            let s3 = try S3Request(request, domain: domain)
            resource = s3.resource
            (record.bucket, record.key) = (s3.bucket ?? "", s3.key ?? "")
            let endpoint = S3Endpoint.resolve(method: s3.method, bucket: s3.bucket, key: s3.key, query: s3.query,
                                              hasCopySource: s3.header("x-amz-copy-source") != nil,
                                              contentType: s3.header("content-type"))
            op = endpoint.name
            // PostObject's credentials are form fields: its handler verifies the policy signature.
            let auth = endpoint == .postObject ? Self.formUploadAuth : try authenticate(s3)
            record.keyID = auth.accessKey
            if endpoint != .postObject {
                try scopes.check(auth.accessKey, bucket: s3.bucket, write: s3.method != "GET" && s3.method != "HEAD")
            }
            let slot = FixedResponseBody.Slot()
            response = try await FixedResponseBody.$slot.withValue(slot) {
                try await dispatch(endpoint, s3, body: request.body, auth: auth)
            }
            fixedBytes = slot.bytes
        } catch let e as CoreError {
            response = S3ErrorResponse.response(e, resource: resource, requestID: requestID, isHead: request.method == .head)
        } catch let e as AuthError {
            response = S3ErrorResponse.response(CoreError(authError: e), resource: resource, requestID: requestID, isHead: request.method == .head)
        } catch let e as S3XMLError {
            response = S3ErrorResponse.response(CoreError(e.code, e.message), resource: resource, requestID: requestID, isHead: request.method == .head)
        } catch {
            logger.error("request failed", metadata: ["request-id": "\(requestID)", "error": "\(error)"])
            response = S3ErrorResponse.response(.internalError(String(describing: type(of: error))), resource: resource,
                                                requestID: requestID, isHead: request.method == .head)
        }
        Self.stamp(&response.headers, requestID: requestID)
        // The access-log line and request metrics, once the body has been sent.
        (record.operation, record.status) = (op, Int(response.status.code))
        if let fixedBytes {
            record.finish(sending: fixedBytes)
        } else {
            response.body = record.wrap(response.body)
        }
        return response
    }

    /// The headers every response carries.
    static func stamp(_ headers: inout HTTPFields, requestID: String) {
        headers[amzRequestID] = requestID
        headers[amzID2] = requestID
        headers[.server] = "Tessera"
    }
    static let amzRequestID = HTTPField.Name("x-amz-request-id")!
    static let amzID2 = HTTPField.Name("x-amz-id-2")!

    func authenticate(_ s3: S3Request) throws -> VerifiedAuth {
        var headers: [(name: String, value: String)] = [("host", s3.host)]
        for f in s3.headers { headers.append((f.name.rawName, f.value)) }
        let incoming = IncomingRequest(method: s3.method, path: s3.rawPath, query: s3.rawQuery, headers: headers,
                                       virtualHostBucket: s3.virtualHosted ? s3.bucket : nil)
        guard let auth = try verifier.verify(incoming) else {
            throw CoreError("AccessDenied", "Access Denied")
        }
        return auth
    }

    func dispatch(_ endpoint: S3Endpoint, _ s3: S3Request, body: RequestBody, auth: VerifiedAuth) async throws -> Response {
        let bucket = s3.bucket ?? ""
        let key = s3.key ?? ""
        switch endpoint {
        case .listBuckets: return try await listBuckets(visibleTo: scopes.buckets(of: auth.accessKey))
        case .createBucket: return try await createBucket(bucket, s3: s3, body: body, auth: auth)
        case .headBucket: return try await headBucket(bucket)
        case .deleteBucket: return try await deleteBucket(bucket)
        case .getBucketLocation: return try await getBucketLocation(bucket)
        case .getBucketDefault(let sub): return try await getBucketDefault(bucket, subresource: sub)
        case .getBucketLifecycle: return try await getBucketLifecycle(bucket)
        case .putBucketLifecycle: return try await putBucketLifecycle(bucket, s3: s3, body: body, auth: auth)
        case .deleteBucketLifecycle: return try await deleteBucketLifecycle(bucket)
        case .listObjects: return try await listObjects(bucket, s3: s3, v2: false)
        case .listObjectsV2: return try await listObjects(bucket, s3: s3, v2: true)
        case .deleteObjects: return try await deleteObjects(bucket, s3: s3, body: body, auth: auth)
        case .listMultipartUploads: return try await listMultipartUploads(bucket, s3: s3)
        case .putObject: return try await putObject(bucket, key, s3: s3, body: body, auth: auth)
        case .postObject: return try await postObject(bucket, s3: s3, body: body)
        case .copyObject: return try await copyObject(bucket, key, s3: s3)
        case .getObject: return try await getObject(bucket, key, s3: s3, head: false)
        case .headObject: return try await getObject(bucket, key, s3: s3, head: true)
        case .deleteObject: return try await deleteObject(bucket, key)
        case .getObjectAcl:
            _ = try await storage.headObject(bucket: bucket, key: key)
            return xml(AccessControl.policyDocument(owner: auth.accessKey))
        case .putObjectAcl:
            _ = try await storage.headObject(bucket: bucket, key: key)
            return Response(status: .ok)
        case .getObjectTagging:
            _ = try await storage.headObject(bucket: bucket, key: key)
            var w = XMLWriter(root: "Tagging")
            w.open("TagSet"); w.close()
            return xml(w.finish())
        case .createMultipartUpload: return try await createMultipartUpload(bucket, key, s3: s3)
        case .uploadPart: return try await uploadPart(bucket, key, s3: s3, body: body, auth: auth)
        case .uploadPartCopy: return try await uploadPartCopy(bucket, key, s3: s3)
        case .listParts: return try await listParts(bucket, key, s3: s3, auth: auth)
        case .completeMultipartUpload: return try await completeMultipartUpload(bucket, key, s3: s3, body: body, auth: auth)
        case .abortMultipartUpload: return try await abortMultipartUpload(bucket, key, s3: s3)
        case .notImplemented(let what):
            throw CoreError("NotImplemented", "A header or query you provided requested a function that is not implemented. (\(what))")
        }
    }

    // MARK: helpers shared by the handlers

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
        _ = try pipeline.finish(md5: nil)
        return out
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

/// Request IDs: 16 uppercase hex characters, unique per process run. A random start, then each ID is
/// a bijective mix (SplitMix64's finalizer) of a counter: distinct without a getrandom(2) per request.
enum RequestID {
    private static let counter = Atomic<UInt64>(UInt64.random(in: .min ... .max))

    static func next() -> String {
        FixedWidth.hex16(mix(counter.wrappingAdd(1, ordering: .relaxed).newValue), uppercase: true)
    }

    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum AccessControl {
    /// The single-owner ACL every bucket and object has (canned ACLs are accepted and not enforced).
    static func policyDocument(owner: String) -> String {
        var w = XMLWriter(root: "AccessControlPolicy")
        w.group("Owner") { $0.element("ID", owner); $0.element("DisplayName", owner) }
        w.group("AccessControlList") { w in
            w.group("Grant") { g in
                g.open("Grantee", attributes: [("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"), ("xsi:type", "CanonicalUser")])
                g.element("ID", owner); g.element("DisplayName", owner)
                g.close()
                g.element("Permission", "FULL_CONTROL")
            }
        }
        return w.finish()
    }
}
