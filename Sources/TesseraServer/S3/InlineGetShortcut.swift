import Foundation
import HTTPTypes
import HummingbirdCore
import NIOCore
import NIOHTTPTypes
import StorageCore

/// Answers the plainest GetObject — a presigned SigV4 URL, no conditionals, ranges or overrides, an
/// object whose body is stored inline — on the connection's event loop, beneath Hummingbird's async
/// request pipeline, which cost more CPU per 4 KiB GET than everything else together (task wake-ups and
/// the request and response async sequences). Anything else, and any request this shortcut cannot
/// answer with a 200 (a bad signature, a missing key, a body kept in files), is passed on untouched to
/// `S3Service`, which answers it as usual: the shortcut never produces an error of its own.
///
/// It checks the signature, the key's scope and reads the record with the same code as `S3Service`,
/// and builds the same headers (`S3Service.objectHeaders`, `stamp`) and access-log line.
final class InlineGetShortcut: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let service: S3Service
    /// A candidate's head, held until its end arrives.
    private var held: HTTPRequest?
    /// Requests passed on whose responses have not ended: while there are any, answering here would
    /// overtake them on a pipelining connection, so everything is passed on.
    private var passedOn = 0

    init(service: S3Service) { self.service = service }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            if passedOn == 0 && Self.isCandidate(head) {
                held = head
                return
            }
            passedOn += 1
            context.fireChannelRead(data)
        case .body:
            passOnHeld(context)  // a GET with a body: not ours
            context.fireChannelRead(data)
        case .end:
            if let head = held {
                held = nil
                if answer(head, context: context) { return }
                passedOn += 1
                context.fireChannelRead(wrapInboundOut(.head(head)))
            }
            context.fireChannelRead(data)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { passedOn = max(0, passedOn - 1) }
        context.write(data, promise: promise)
    }

    private func passOnHeld(_ context: ChannelHandlerContext) {
        guard let head = held else { return }
        held = nil
        passedOn += 1
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }

    /// Headers a browser or HTTP client adds that do not change a GetObject's answer. (Connection is
    /// taken only as keep-alive: Hummingbird's loop closes the connection after a `close`.)
    static let neutralHeaders: Set<HTTPField.Name> = [.userAgent, .accept, .acceptEncoding, .acceptLanguage]

    /// A GET whose query is only a presigned SigV4 signature and whose headers change nothing.
    static func isCandidate(_ head: HTTPRequest) -> Bool {
        guard head.method == .get, let target = head.path, let q = target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return false }
        var sawSignature = false
        for param in target.utf8[target.utf8.index(after: q)...].split(separator: UInt8(ascii: "&")) {
            guard param.starts(with: "X-Amz-".utf8) else { return false }
            if param.starts(with: "X-Amz-Signature=".utf8) { sawSignature = true }
            if param.starts(with: "X-Amz-Algorithm=".utf8) && !param.elementsEqual("X-Amz-Algorithm=AWS4-HMAC-SHA256".utf8) { return false }
        }
        return sawSignature && head.headerFields.allSatisfy { field in
            neutralHeaders.contains(field.name) || (field.name == .connection && field.value.lowercased() == "keep-alive")
        }
    }

    /// Writes the 200 response and returns true, or returns false having written nothing.
    private func answer(_ head: HTTPRequest, context: ChannelHandlerContext) -> Bool {
        let requestID = RequestID.next()
        let object: OpenObject
        let s3: S3Request
        let accessKey: String
        do {
            s3 = try S3Request(head: head, domain: service.domain)
            guard let bucket = s3.bucket, let key = s3.key,
                  S3Endpoint.resolve(method: s3.method, bucket: bucket, key: key, query: s3.query, hasCopySource: false) == .getObject
            else { return false }
            accessKey = try service.authenticate(s3).accessKey
            try service.scopes.check(accessKey, bucket: bucket, write: false)
            guard let open = try service.storage.openInlineObject(bucket: bucket, key: key) else { return false }
            object = open
        } catch {
            return false
        }
        guard let body = object.inlineBytes(range: nil) else { return false }

        let record = AccessRecord(requestID: requestID, method: "GET", bytesIn: 0, logger: service.logger)
        (record.bucket, record.key, record.keyID, record.operation, record.status) = (s3.bucket ?? "", s3.key ?? "", accessKey, "GetObject", 200)
        var headers = S3Service.objectHeaders(object.record)
        headers[.contentLength] = String(body.readableBytes)
        S3Service.stamp(&headers, requestID: requestID)
        headers[.date] = S3Time.http(Date())  // what Hummingbird adds to the others
        context.write(wrapOutboundOut(.head(HTTPResponse(status: .ok, headerFields: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        record.finish(sending: body.readableBytes)
        return true
    }
}

/// Puts an `InlineGetShortcut` into a connection's pipeline right after Hummingbird's connection-state
/// handler (which must see every request and response for keep-alive and the idle timeout), then
/// leaves. Hummingbird adds that handler after the ones it is given, so this waits for the first read.
final class InlineGetShortcutInstaller: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart

    private let service: S3Service
    init(service: S3Service) { self.service = service }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let pipeline = context.pipeline.syncOperations
        if let state = try? pipeline.context(handlerType: HTTPConnectionStateHandler.self) {
            try? pipeline.addHandler(InlineGetShortcut(service: service), position: .after(state.handler))
        }
        context.fireChannelRead(data)
        pipeline.removeHandler(context: context, promise: nil)
    }
}
