import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// The last handler of every connection on every listener: it turns each request into a Hummingbird
/// `Request`, hands it to the connection's task (`RequestMailbox`, `GatewayServerChannel.handle`), and
/// writes the `Response` the task makes back to the connection (`ChannelResponseWriter`).
///
/// Why not Hummingbird's own connection loop: that one reads each request as parts of an async sequence
/// (NIO's async channel) and writes each response through NIO's async writer. On a 4 KiB GET that
/// machinery cost 17–22 µs of CPU per request, as much as NIO's whole HTTP server (docs/performance.md,
/// session 15). Here the parts are read by this handler, on the event loop; the connection's task waits
/// on a plain continuation for a whole request, and its writes go straight to this handler when it runs
/// on the connection's loop (it does unless a store call resumed it elsewhere: then they hop back).
/// A task per request (`Task.immediate` from this handler) was tried and cost more than it saved.
///
/// The request body, when there is one, is an async sequence fed from here with backpressure: reads
/// stop while 10 parts wait to be consumed, and start again at 2. A body left unread when the response
/// ends is read and dropped, so the next request on the connection starts where it should.
///
/// Pipelined requests (HTTP/1.1) wait here, with reads stopped, until the responses before them have ended;
/// `Expect: 100-continue` is answered when its request's turn comes.
///
/// The handlers before it do the rest of HTTP/1: NIO's codec, Hummingbird's `HTTPConnectionStateHandler`
/// (idle timeout, and closing once the response in progress ends when the server stops), and the
/// listener's own handlers.
final class RequestChannelHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private enum BodyState {
        /// The request in progress has no body left to read (or there is no request).
        case complete
        /// Body parts go to the request's body sequence.
        case streaming(RequestBodyStream.Source)
        /// The response ended before the body did: the rest is read and dropped.
        case discarding
    }

    let mailbox = RequestMailbox()
    private let logger: Logger
    private var context: ChannelHandlerContext?
    private var body: BodyState = .complete
    /// The request in progress (its writer's number); a writer of an earlier one is ignored.
    private var requestNumber: UInt64 = 0
    /// A request's response has begun and not yet ended.
    private var responding = false
    /// The request in progress has been read to its end.
    private var requestEnded = true
    /// Parts of requests that arrived while an earlier one was still being answered (HTTP/1.1 pipelining).
    private var pipelined = CircularBuffer<HTTPRequestPart>()
    /// The head of the response in progress has been written.
    private var headWritten = false
    /// The request asked to close the connection after its response.
    private var closeAfterResponse = false
    /// The client closed its side: once the requests it sent are answered, the connection closes.
    private var inputClosed = false
    /// The body sequence is full: reads wait until it drains.
    private var readsPaused = false
    private var readHeld = false
    /// A response writer waiting for the connection to become writable again.
    private var writableWaiter: EventLoopPromise<Void>?
    /// Body bytes written since the last flush.
    private var unflushed = 0
    /// What a write to a connection that has gone returns.
    private var closed: EventLoopFuture<Void>?

    init(logger: Logger) {
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        closed = context.eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        mailbox.close()
        endBody(with: ChannelError.ioOnClosedChannel)
        failWritableWaiter()
        self.context = nil
    }

    // MARK: requests in

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if (responding && requestEnded) || !pipelined.isEmpty {
            // A pipelined request: it waits, and reads stop, until the responses before it have ended.
            pipelined.append(part)
            return
        }
        receive(part, context: context)
    }

    private func receive(_ part: HTTPRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let head):
            requestEnded = false
            startRequest(head, context: context)
        case .body(let part):
            guard case .streaming(let source) = body else { return }
            if source.yield(part) == .stopProducing { readsPaused = true }
        case .end:
            requestEnded = true
            if case .streaming(let source) = body { source.finish() }
            body = .complete
            readsPaused = false
            resumeReadsIfAllowed()
        }
    }

    /// After a response: the requests that arrived behind it, in order, until one is being answered.
    private func receivePipelined(context: ChannelHandlerContext) {
        while !(responding && requestEnded), let part = pipelined.popFirst() {
            receive(part, context: context)
        }
        if pipelined.isEmpty { resumeReadsIfAllowed() }
    }

    private func startRequest(_ head: HTTPRequest, context: ChannelHandlerContext) {
        requestNumber &+= 1
        let requestBody: RequestBody
        if RequestBodyStream.expected(head) {
            let (source, sequence) = RequestBodyStream.make(handler: NIOLoopBound(self, eventLoop: context.eventLoop),
                                                           number: requestNumber)
            body = .streaming(source)
            requestBody = RequestBody(asyncSequence: sequence)
        } else {
            body = .complete
            requestBody = RequestBody(buffer: ByteBuffer())
        }
        responding = true
        headWritten = false
        closeAfterResponse = head.headerFields[.connection].map { HeaderTokens.contains("close", in: $0) } ?? false
        if let expect = head.headerFields[.expect], HeaderTokens.contains("100-continue", in: expect) {
            // botocore, curl and rclone wait for this before sending the body. Sent when the request's turn
            // comes: a pipelined request's `100 Continue` after the answers before it, never inside one.
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
        }
        let request = Request(head: head, body: requestBody)
        let writer = ChannelResponseWriter(handler: NIOLoopBound(self, eventLoop: context.eventLoop), number: requestNumber)
        mailbox.deliver(.init(request: request, writer: writer))
    }

    /// Request `number`'s body sequence drained to its low mark: read again.
    func bodyWantsMore(number: UInt64) {
        guard number == requestNumber else { return }
        readsPaused = false
        resumeReadsIfAllowed()
    }

    private func resumeReadsIfAllowed() {
        if readHeld, !readsPaused, pipelined.isEmpty, let context {
            readHeld = false
            context.read()
        }
    }

    /// Request `number`'s handler dropped its body sequence before the end: read the rest and drop it.
    func bodyAbandoned(number: UInt64) {
        guard number == requestNumber else { return }
        if case .streaming = body { body = .discarding }
        readsPaused = false
        resumeReadsIfAllowed()
    }

    func read(context: ChannelHandlerContext) {
        if readsPaused || !pipelined.isEmpty { readHeld = true } else { context.read() }
    }

    private func endBody(with error: any Error) {
        if case .streaming(let source) = body { source.finish(error) }
        body = .complete
        readsPaused = false
    }

    // MARK: the response out

    private func isCurrent(_ number: UInt64) -> Bool { responding && number == requestNumber }

    /// What a request's writer asks of this handler.
    enum ResponseStep: Sendable {
        case head(HTTPResponse)
        case body(ByteBuffer)
        case end(HTTPFields?)
        case abort(any Error)
    }

    /// Does one step of request `number`'s response; the future, when there is one, is what the writer
    /// must wait for (the connection can take more, or has gone).
    func perform(_ step: ResponseStep, number: UInt64) -> EventLoopFuture<Void>? {
        switch step {
        case .head(let head): return writeHead(head, number: number)
        case .body(let part): return writeBodyPart(part, number: number)
        case .end(let trailers): return writeEnd(trailers, number: number)
        case .abort(let error): return abortResponse(error, number: number)
        }
    }

    private func writeHead(_ head: HTTPResponse, number: UInt64) -> EventLoopFuture<Void>? {
        guard let context, isCurrent(number), !headWritten else { return closed }
        headWritten = true
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        return nil
    }

    /// Writes one body part; the future, when there is one, completes once the connection can take more.
    private func writeBodyPart(_ part: ByteBuffer, number: UInt64) -> EventLoopFuture<Void>? {
        guard let context, isCurrent(number), headWritten else { return closed }
        unflushed += part.readableBytes
        context.write(wrapOutboundOut(.body(part)), promise: nil)
        guard unflushed >= Self.flushEvery else { return nil }
        unflushed = 0
        context.flush()
        guard !context.channel.isWritable else { return nil }
        // A closed connection is never writable again: the writer stops here instead of waiting.
        guard context.channel.isActive else { return closed }
        let waiter = writableWaiter ?? context.eventLoop.makePromise()
        writableWaiter = waiter
        return waiter.futureResult
    }
    static let flushEvery = 64 * 1024

    /// Ends the response; the connection then takes its next request, or closes if this one asked to.
    /// Ending a response that has ended already does nothing.
    private func writeEnd(_ trailers: HTTPFields?, number: UInt64) -> EventLoopFuture<Void>? {
        guard let context, isCurrent(number), headWritten else { return nil }
        responding = false
        unflushed = 0
        let written = context.writeAndFlush(wrapOutboundOut(.end(trailers)))
        if closeAfterResponse {
            written.whenComplete { _ in context.close(promise: nil) }
        }
        if case .streaming(let source) = body {
            // The response is complete without the rest of the body: drop it as it arrives.
            source.finish()
            body = .discarding
            readsPaused = false
            resumeReadsIfAllowed()
        }
        if !closeAfterResponse {
            receivePipelined(context: context)
            if inputClosed, !responding { context.close(promise: nil) }
        }
        return nil
    }

    /// The response could not be completed (its body failed): the client cannot tell where it ended,
    /// so the connection closes.
    private func abortResponse(_ error: any Error, number: UInt64) -> EventLoopFuture<Void>? {
        guard let context, isCurrent(number) else { return nil }
        responding = false
        logger.debug("response failed; closing the connection", metadata: ["error": "\(error)"])
        context.close(promise: nil)
        return nil
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, let waiter = writableWaiter {
            writableWaiter = nil
            waiter.succeed()
        }
        context.fireChannelWritabilityChanged()
    }

    // MARK: the connection

    func channelInactive(context: ChannelHandlerContext) {
        mailbox.close()
        endBody(with: ChannelError.eof)
        failWritableWaiter()
        context.fireChannelInactive()
    }

    private func failWritableWaiter() {
        if let waiter = writableWaiter {
            writableWaiter = nil
            waiter.fail(ChannelError.ioOnClosedChannel)
        }
    }

    /// The client closed its side (connections allow half-closure): the requests it sent are still
    /// answered, then the connection closes; an idle connection closes now.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let event = event as? ChannelEvent, event == .inputClosed else {
            return context.fireUserInboundEventTriggered(event)
        }
        endBody(with: ChannelError.eof)
        inputClosed = true
        if !responding && pipelined.isEmpty { context.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        endBody(with: error)
        if error is HTTPParserError, responding {
            // The request after the one being answered cannot be framed: the answer in progress is sent,
            // then the connection closes.
            closeAfterResponse = true
            return
        }
        if error is HTTPParserError {
            // Bytes that are not HTTP/1: answer 400 and close, as a request that cannot be framed leaves
            // nothing after it that could be read.
            let head = HTTPResponse(status: .badRequest, headerFields: [.connection: "close", .contentLength: "0"])
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
            return
        }
        logger.trace("connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension RequestChannelHandler: Sendable {}
