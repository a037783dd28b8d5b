import HTTPTypes
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTPTypes

/// Caps concurrent connections: past the cap, a connection's first request is answered with S3's
/// 503 SlowDown and the connection is closed, so clients back off instead of piling up.
package final class ConnectionLimiter: ChannelDuplexHandler, RemovableChannelHandler {
    package typealias InboundIn = HTTPRequestPart
    package typealias InboundOut = HTTPRequestPart
    package typealias OutboundIn = HTTPResponsePart
    package typealias OutboundOut = HTTPResponsePart

    /// Live connections across the listener, shared by every handler instance.
    package final class Counter: Sendable {
        let value = NIOLockedValueBox(0)
        let limit: Int
        package init(limit: Int) { self.limit = limit }
    }

    private let counter: Counter
    private var counted = false
    private var refused = false

    package init(counter: Counter) { self.counter = counter }

    package func handlerAdded(context: ChannelHandlerContext) {
        // The handler is added when the connection is set up: count it now.
        let n = counter.value.withLockedValue { $0 += 1; return $0 }
        counted = true
        refused = n > counter.limit
    }

    package func handlerRemoved(context: ChannelHandlerContext) {
        if counted { counter.value.withLockedValue { $0 -= 1 } }
        counted = false
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard refused else { return context.fireChannelRead(data) }
        if case .head = unwrapInboundIn(data) {
            let body = ByteBuffer(string: """
            <?xml version="1.0" encoding="UTF-8"?>
            <Error><Code>SlowDown</Code><Message>Please reduce your request rate: too many connections.</Message><RequestId>0000000000000000</RequestId></Error>
            """)
            var fields = HTTPFields()
            fields[.contentType] = "application/xml"
            fields[.contentLength] = String(body.readableBytes)
            fields[.connection] = "close"
            fields[.retryAfter] = "1"
            context.write(wrapOutboundOut(.head(HTTPResponse(status: .serviceUnavailable, headerFields: fields))), promise: nil)
            context.write(wrapOutboundOut(.body(body)), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
        }
    }
}
