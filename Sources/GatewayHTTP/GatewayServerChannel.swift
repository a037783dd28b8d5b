import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1

/// How every listener sets up a connection: NIO's HTTP/1 codec, the HTTP/1 → HTTPTypes codec, the
/// listener's own handlers, Hummingbird's connection-state handler (idle
/// timeout, closing on shutdown once the response in progress ends), and last `RequestChannelHandler`,
/// which answers each request with the listener's responder.
package struct GatewayServerChannel<Responder: HTTPResponder>: ServerChildChannel
where Responder.Context: RequestContext, Responder.Context.Source == ApplicationRequestContextSource {
    package struct Value: ServerChildChannelValue {
        package let channel: any Channel
        let requests: RequestMailbox
        let respond: @Sendable (Request) async -> Response
    }

    let responder: Responder
    let additionalHandlers: @Sendable () -> [any ChannelHandler]
    let idleTimeout: Duration

    package init(responder: Responder, idleTimeout: Duration = .seconds(120),
                 additionalHandlers: @escaping @Sendable () -> [any ChannelHandler] = { [] }) {
        self.responder = responder
        self.idleTimeout = idleTimeout
        self.additionalHandlers = additionalHandlers
    }

    package func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let responder = self.responder
        let respond: @Sendable (Request) async -> Response = { request in
            let context = Responder.Context(source: ApplicationRequestContextSource(channel: channel, logger: logger))
            do {
                return try await responder.respond(to: request, context: context)
            } catch {
                logger.debug("request failed outside its front end's error mapping", metadata: ["error": "\(error)"])
                return Response(status: .internalServerError)
            }
        }
        return channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            // Pipelined requests wait in RequestChannelHandler; errors are answered there; HTTPTypes validates
            // outbound fields already. Headers: 80 KiB each and in all (NIO's default), at most 1,000 of them.
            var limits = NIOHTTPDecoderLimitConfiguration()
            limits.maxHeaderFieldCount = 1000
            try pipeline.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: false,
                                                     withOutboundHeaderValidation: false, withEncoderConfiguration: .init(),
                                                     withDecoderLimitConfiguration: limits)
            try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try pipeline.addHandlers(additionalHandlers())
            try pipeline.addHandler(HTTPConnectionStateHandler(idleTimeout: idleTimeout, logger: logger))
            let handler = RequestChannelHandler(logger: logger)
            try pipeline.addHandler(handler)
            return Value(channel: channel, requests: handler.mailbox, respond: respond)
        }
    }

    /// The connection's task: answers its requests in order until it closes.
    package func handle(value: Value, logger: Logger) async {
        while let delivery = await value.requests.next() {
            let response = await value.respond(delivery.request)
            await delivery.writer.send(response)
        }
    }
}
