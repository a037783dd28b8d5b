import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1

/// HTTP/1.0 connections close after their response unless the request asked to keep them open
/// (RFC 9112 §9.3). The HTTP/1 → HTTPTypes codec Hummingbird installs drops the request's version, so
/// Hummingbird sees an HTTP/1.0 request without a Connection header as persistent and leaves the
/// connection open. This handler sits just before that codec, where the version is still known, and
/// gives such a request the `Connection: close` it means; Hummingbird's connection-state handler then
/// closes the connection after the response, which this handler marks `Connection: close` (requests are
/// answered in order, so a queue of one flag per request pairs them).
package final class HTTP10Persistence: ChannelDuplexHandler, RemovableChannelHandler {
    package typealias InboundIn = HTTPServerRequestPart
    package typealias InboundOut = HTTPServerRequestPart
    package typealias OutboundIn = HTTPServerResponsePart
    package typealias OutboundOut = HTTPServerResponsePart

    /// For each request not yet answered: whether its connection ends with its response.
    private var closesAfter: [Bool] = []

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data) else { return context.fireChannelRead(data) }
        let closes = head.version.major == 1 && head.version.minor == 0 && !head.isKeepAlive
        closesAfter.append(closes)
        if closes { head.headers.replaceOrAdd(name: "connection", value: "close") }
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }

    package func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where head.status.code >= 200 && closesAfter.first == true:
            head.headers.replaceOrAdd(name: "connection", value: "close")
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end:
            if !closesAfter.isEmpty { closesAfter.removeFirst() }
            context.write(data, promise: promise)
        default:
            context.write(data, promise: promise)
        }
    }

    /// Hummingbird adds its extra handlers after the codec; this one moves itself to just before it.
    package final class Installer: ChannelInboundHandler, RemovableChannelHandler {
        package typealias InboundIn = NIOAny

        package init() {}

        package func handlerAdded(context: ChannelHandlerContext) {
            let pipeline = context.pipeline.syncOperations
            if let codec = try? pipeline.context(handlerType: HTTP1ToHTTPServerCodec.self) {
                try? pipeline.addHandler(HTTP10Persistence(), position: .before(codec.handler))
            }
            pipeline.removeHandler(context: context, promise: nil)
        }
    }
}
