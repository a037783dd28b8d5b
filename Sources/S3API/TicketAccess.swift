import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import StorageCore
import GatewayHTTP

/// Upload tickets on the S3 listener (`Authorization: Bearer tkt_…`): who holds one may upload under its
/// prefix in its bucket (PutObject, the multipart operations, ListMultipartUploads under the prefix) and
/// read what is left of it (GET /_tessera/ticket), nothing else. Its byte allowance is charged from
/// Content-Length before a body is read, given back if the request then fails; its file allowance at
/// PutObject and CompleteMultipartUpload. A revoked or expired ticket is refused at once, and checked again
/// when a body has been read, before its commit (`TicketCheckedBody`).
enum TicketAccess {
    /// The token of an `Authorization: Bearer …` header, if the request has one.
    static func bearer(_ s3: S3Request) -> String? {
        guard let value = s3.header("authorization"), value.utf8.starts(with: "Bearer ".utf8) else { return nil }
        return String(value.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces)
    }

    static func store(_ storage: Storage) throws -> any TicketStore {
        guard let store = storage.metadata as? any TicketStore else { throw CoreError.internalError("this metadata store keeps no tickets") }
        return store
    }

    /// The ticket a token names, if its secret is right and it is usable now; else AccessDenied.
    static func authenticate(_ token: String, storage: Storage) async throws -> UploadTicket {
        guard let (id, secret) = UploadTicket.parse(token: token), let ticket = try await store(storage).ticket(id: id),
              ticket.accepts(secret: secret) else {
            throw CoreError("AccessDenied", "Access Denied: not a valid upload ticket")
        }
        guard ticket.isUsable() else { throw CoreError("AccessDenied", "Access Denied: the upload ticket is revoked or expired") }
        return ticket
    }

    /// Whether the ticket allows this operation on this bucket and key; AccessDenied otherwise.
    static func authorize(_ endpoint: S3Endpoint, _ s3: S3Request, ticket: UploadTicket) throws {
        let denied = CoreError("AccessDenied", "Access Denied: an upload ticket allows uploads under its prefix only")
        if endpoint == .ticketStatus { return }
        guard let bucket = endpoint.bucket, Array(bucket.utf8) == Array(ticket.bucket.utf8) else { throw denied }
        switch endpoint {
        case .putObject(_, let key), .createMultipartUpload(_, let key):
            guard ticket.covers(key: key) else { throw denied }
            guard ticket.allows(contentType: s3.header("content-type")) else {
                throw CoreError("AccessDenied", "Access Denied: the upload ticket allows Content-Type \(ticket.contentType ?? "")")
            }
        case .uploadPart(_, let key, _, _), .listParts(_, let key, _), .completeMultipartUpload(_, let key, _), .abortMultipartUpload(_, let key, _):
            guard ticket.covers(key: key) else { throw denied }
        case .listMultipartUploads:
            guard ticket.covers(key: s3.query["prefix"] ?? "") else { throw denied }
        default:
            throw denied
        }
    }
}

/// A charge against a ticket's allowance, given back when the request it paid for fails.
struct TicketCharge: Sendable {
    let store: any TicketStore
    let ticketID: String
    let bytes: Int64
    let files: Int64

    /// Charges the caller's ticket (nil for any other caller). Over its byte allowance: EntityTooLarge;
    /// over its file allowance, revoked or expired meanwhile: AccessDenied.
    static func charge(_ s3: S3Request, storage: Storage, bytes: Int64, files: Int64) async throws -> TicketCharge? {
        guard case .ticket(let ticket) = s3.caller else { return nil }
        let store = try TicketAccess.store(storage)
        if try await store.chargeTicket(id: ticket.id, bytes: bytes, files: files) {
            return TicketCharge(store: store, ticketID: ticket.id, bytes: bytes, files: files)
        }
        let now = try await store.ticket(id: ticket.id)
        guard let now, now.isUsable() else { throw CoreError("AccessDenied", "Access Denied: the upload ticket is revoked or expired") }
        if let left = now.bytesLeft, bytes > left {
            throw CoreError("EntityTooLarge", "Your proposed upload exceeds the upload ticket's remaining allowance",
                            details: [.init("ProposedSize", String(bytes)), .init("MaxSizeAllowed", String(left))])
        }
        throw CoreError("AccessDenied", "Access Denied: the upload ticket's file limit is reached")
    }

    /// Gives the charge back (the request failed); a failure to do so is only logged by the caller's error path.
    func refund() async {
        _ = try? await store.chargeTicket(id: ticketID, bytes: -bytes, files: -files)
    }

    /// Runs `body`, giving the charge back if it throws.
    static func paying<T>(_ charge: TicketCharge?, _ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch {
            await charge?.refund()
            throw error
        }
    }
}

/// A request body that, once it has been read to its end, checks that the ticket that pays for it is still
/// usable: a ticket revoked while the body was arriving stops the request before its commit. Without a
/// ticket (any other caller) it is the body as it is.
struct TicketCheckedBody<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    typealias Element = ByteBuffer
    let base: Base
    let store: (any TicketStore)?
    let ticketID: String

    struct AsyncIterator: AsyncIteratorProtocol {
        var inner: Base.AsyncIterator
        let store: (any TicketStore)?
        let ticketID: String
        mutating func next() async throws -> ByteBuffer? {
            if let chunk = try await inner.next() { return chunk }
            guard let store else { return nil }
            guard let ticket = try await store.ticket(id: ticketID), ticket.isUsable() else {
                throw CoreError("AccessDenied", "Access Denied: the upload ticket was revoked or expired during the upload")
            }
            return nil
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(inner: base.makeAsyncIterator(), store: store, ticketID: ticketID) }
}

extension S3Service {
    /// GET /_tessera/ticket with the ticket as bearer: what the upload page shows of it (JSON).
    func ticketStatus(_ s3: S3Request) async throws -> Response {
        guard case .ticket(let t) = s3.caller else { throw CoreError("AccessDenied", "Access Denied: send an upload ticket as a bearer token") }
        var fields: [String: Any] = ["bucket": t.bucket, "prefix": t.prefix, "bytesUsed": t.bytesUsed, "filesUsed": t.filesUsed]
        if let v = t.maxBytes { fields["maxBytes"] = v }
        if let v = t.bytesLeft { fields["bytesLeft"] = v }
        if let v = t.maxFiles { fields["maxFiles"] = v }
        if let v = t.filesLeft { fields["filesLeft"] = v }
        if let v = t.contentType { fields["contentType"] = v }
        if let v = t.expires { fields["expires"] = S3Time.iso8601(v) }
        let data = try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The body's length, which a ticket's holder must declare (Content-Length, or aws-chunked's decoded
    /// length) so that it is charged before the body is read; 0 for other callers (nothing is charged).
    func ticketLength(_ s3: S3Request) throws -> Int64 {
        guard case .ticket = s3.caller else { return 0 }
        let raw = s3.header("x-amz-decoded-content-length") ?? s3.header("content-length")
        guard let raw, let n = Int64(raw), n >= 0 else {
            throw CoreError("MissingContentLength", "You must provide the Content-Length HTTP header.")
        }
        return n
    }

    /// The request's body, checked at its end when a ticket pays for it (see `TicketCheckedBody`).
    func ticketChecked<Base: AsyncSequence & Sendable>(_ body: Base, _ s3: S3Request) throws -> TicketCheckedBody<Base> where Base.Element == ByteBuffer {
        guard case .ticket(let t) = s3.caller else { return TicketCheckedBody(base: body, store: nil, ticketID: "") }
        return TicketCheckedBody(base: body, store: try TicketAccess.store(storage), ticketID: t.id)
    }
}
