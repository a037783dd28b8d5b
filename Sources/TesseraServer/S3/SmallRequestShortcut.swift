import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import NIOHTTPTypes
import SigV4
import StorageCore

/// Serves two kinds of small request beneath Hummingbird's async request pipeline, which cost more CPU
/// per 4 KiB request than everything else together (a task wake-up per request part, the request and
/// response async sequences). Every other request is passed on to Hummingbird untouched.
///
/// - The plainest GetObject — a presigned SigV4 URL, no conditionals, ranges or overrides, an object
///   whose body is stored inline — answered at once on the connection's event loop. It checks the
///   signature, the key's scope and reads the record with the same code as `S3Service`, builds the same
///   headers (`S3Service.objectHeaders`, `stamp`) and access-log line, and only ever answers 200: any
///   request it cannot answer so (a bad signature, a missing key, a body kept in files) is passed on,
///   and `S3Service` gives S3's answer.
/// - A PUT whose body is small (Content-Length up to `maxBufferedBody`): its body is gathered here and
///   the request is answered by `S3Service.respond` itself, in one task, so nothing of the operation's
///   meaning is duplicated; only the transport around it is cheaper.
///
/// Responses leave in request order: while a request passed on or a PUT of its own is unanswered,
/// nothing is answered here, and while its own PUT is under way what arrives waits (reading stops
/// once `maxQueued` parts wait).
final class SmallRequestShortcut: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// Largest request body gathered in memory (the size a body is stored inline up to).
    static let maxBufferedBody = Storage.inlineLimit

    private let service: S3Service
    private enum Held {
        case get(HTTPRequest)
        case put(HTTPRequest, ByteBuffer)
    }
    /// A candidate's head (and body so far), held until its end arrives.
    private var held: Held?
    /// Requests passed on whose responses have not ended.
    private var passedOn = 0
    /// A PUT of its own is being answered: what arrives meanwhile waits in `queued`, and past
    /// `maxQueued` parts no read is asked for.
    private var busy = false
    private var queued: [HTTPRequestPart] = []
    /// Reading goes on while a PUT is answered, up to this many waiting parts (a pipelining client's):
    /// withholding every read cost two epoll_ctl calls per PUT (read interest off, then on again).
    static let maxQueued = 16
    private var readWanted = false
    /// Out of the pipeline (the connection closed): a PUT answered after that is not written.
    private var removed = false

    init(service: S3Service) { self.service = service }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if busy { queued.append(part); return }
        handle(part, context: context)
    }

    private func handle(_ part: HTTPRequestPart, context: ChannelHandlerContext) {
        switch (part, held) {
        case (.head(let head), _):
            if passedOn == 0, let candidate = Self.candidate(head) {
                held = candidate
                return
            }
            passOn(part, context: context)
        case (.body(let chunk), .put(let head, var body)?):
            guard body.readableBytes + chunk.readableBytes <= Self.maxBufferedBody else {
                // More than its Content-Length said: Hummingbird's decoder decides what that is.
                held = nil
                passOn(.head(head), context: context)
                context.fireChannelRead(wrapInboundOut(.body(body)))
                context.fireChannelRead(wrapInboundOut(part))
                return
            }
            body.writeImmutableBuffer(chunk)
            held = .put(head, body)
        case (.body, .get(let head)?):
            held = nil  // a GET with a body: not one to answer here
            passOn(.head(head), context: context)
            context.fireChannelRead(wrapInboundOut(part))
        case (.body, nil):
            context.fireChannelRead(wrapInboundOut(part))
        case (.end, .get(let head)?):
            held = nil
            if answerGet(head, context: context) { return }
            passOn(.head(head), context: context)
            context.fireChannelRead(wrapInboundOut(part))
        case (.end, .put(let head, let body)?):
            held = nil
            answerPut(head, body: body, context: context)
        case (.end, nil):
            context.fireChannelRead(wrapInboundOut(part))
        }
    }

    private func passOn(_ head: HTTPRequestPart, context: ChannelHandlerContext) {
        passedOn += 1
        context.fireChannelRead(wrapInboundOut(head))
    }

    func handlerRemoved(context: ChannelHandlerContext) { removed = true }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { passedOn = max(0, passedOn - 1) }
        context.write(data, promise: promise)
    }

    func read(context: ChannelHandlerContext) {
        if busy && queued.count >= Self.maxQueued { readWanted = true } else { context.read() }
    }

    // MARK: which requests

    /// Headers a browser or HTTP client adds that do not change a GetObject's answer. (Connection is
    /// taken only as keep-alive: Hummingbird's loop closes the connection after a `close`.)
    static let neutralHeaders: Set<HTTPField.Name> = [.userAgent, .accept, .acceptEncoding, .acceptLanguage]

    private static func candidate(_ head: HTTPRequest) -> Held? {
        if isShortcutGet(head) { return .get(head) }
        if isSmallPut(head) { return .put(head, ByteBuffer()) }
        return nil
    }

    private static func keepsAlive(_ head: HTTPRequest) -> Bool {
        head.headerFields[values: .connection].allSatisfy { $0.lowercased() == "keep-alive" }
    }

    /// A GET whose query is only a presigned SigV4 signature and whose headers change nothing.
    static func isShortcutGet(_ head: HTTPRequest) -> Bool {
        guard head.method == .get, let target = head.path, let q = target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return false }
        var queryIsSignatureOnly = true
        var sawSignature = false
        RawQuery.forEachParameter(target[target.utf8.index(after: q)...]) { param in
            if !RawQuery.hasPrefix(param, "X-Amz-")
                || (RawQuery.hasPrefix(param, "X-Amz-Algorithm=") && !RawQuery.isExactly(param, "X-Amz-Algorithm=AWS4-HMAC-SHA256")) {
                queryIsSignatureOnly = false
                return false
            }
            if RawQuery.hasPrefix(param, "X-Amz-Signature=") { sawSignature = true }
            return true
        }
        return queryIsSignatureOnly && sawSignature && keepsAlive(head)
            && head.headerFields.allSatisfy { neutralHeaders.contains($0.name) || $0.name == .connection }
    }

    /// A PUT with one Content-Length of at most `maxBufferedBody` bytes (no other framing).
    static func isSmallPut(_ head: HTTPRequest) -> Bool {
        guard head.method == .put, head.headerFields[.transferEncoding] == nil, keepsAlive(head) else { return false }
        let lengths = head.headerFields[values: .contentLength]
        guard lengths.count == 1, let n = Int(lengths[0]), n >= 0, n <= maxBufferedBody else { return false }
        return true
    }

    // MARK: GET

    /// Writes the 200 response and returns true, or returns false having written nothing.
    private func answerGet(_ head: HTTPRequest, context: ChannelHandlerContext) -> Bool {
        let object: OpenObject
        let s3: S3Request
        let accessKey: String
        do {
            s3 = try S3Request(head: head, domain: service.domain, decodingQuery: false)  // X-Amz-* only (isShortcutGet)
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

        let requestID = RequestID.next()
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

    // MARK: PUT

    /// Answers the PUT with `S3Service.respond` in a task, then writes its response here, in order.
    private func answerPut(_ head: HTTPRequest, body: ByteBuffer, context: ChannelHandlerContext) {
        busy = true
        let service = self.service
        let requestContext = BasicRequestContext(source: .init(channel: context.channel, logger: service.logger))
        let loop = context.eventLoop
        let boxed = NIOLoopBound((self, context), eventLoop: loop)
        loop.makeFutureWithTask { () async -> (HTTPResponse, ByteBuffer) in
            var response: Response
            do {
                response = try await service.respond(to: Request(head: head, body: RequestBody(buffer: body)), context: requestContext)
            } catch {
                response = Response(status: .internalServerError)
            }
            // PUT answers are small (empty, or an XML document): gathered whole.
            let collector = BodyCollector()
            try? await response.body.write(collector)
            return (response.head, collector.buffer)
        }.whenComplete { result in
            let (handler, context) = boxed.value
            guard !handler.removed else { return }
            guard case .success(let (answered, bytes)) = result else { return }  // the task above does not throw
            var head = answered
            head.headerFields[.contentLength] = String(bytes.readableBytes)
            head.headerFields[.date] = S3Time.http(Date())
            context.write(handler.wrapOutboundOut(.head(head)), promise: nil)
            if bytes.readableBytes > 0 { context.write(handler.wrapOutboundOut(.body(bytes)), promise: nil) }
            context.writeAndFlush(handler.wrapOutboundOut(.end(nil)), promise: nil)
            handler.resume(context: context)
        }
    }

    /// After its own PUT: what arrived meanwhile, in order, then reading again.
    private func resume(context: ChannelHandlerContext) {
        busy = false
        let replayed = !queued.isEmpty
        while !busy, !queued.isEmpty {
            handle(queued.removeFirst(), context: context)
        }
        // Outside a read cycle: the handlers after this one (Hummingbird's async channel) deliver what
        // they were given on read-complete.
        if replayed { context.fireChannelReadComplete() }
        if !busy && readWanted {
            readWanted = false
            context.read()
        }
    }

    /// A response body gathered in memory.
    private final class BodyCollector: ResponseBodyWriter, @unchecked Sendable {
        var buffer = ByteBuffer()
        func write(_ buffer: ByteBuffer) async throws { self.buffer.writeImmutableBuffer(buffer) }
        func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}

/// Puts a `SmallRequestShortcut` into a connection's pipeline right after Hummingbird's connection-state
/// handler (which must see every request and response for keep-alive and the idle timeout), then
/// leaves. Hummingbird adds that handler after the ones it is given, so this waits for the first read.
final class SmallRequestShortcutInstaller: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart

    private let service: S3Service
    init(service: S3Service) { self.service = service }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let pipeline = context.pipeline.syncOperations
        if let state = try? pipeline.context(handlerType: HTTPConnectionStateHandler.self) {
            try? pipeline.addHandler(SmallRequestShortcut(service: service), position: .after(state.handler))
        }
        context.fireChannelRead(data)
        pipeline.removeHandler(context: context, promise: nil)
    }
}
