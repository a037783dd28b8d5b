import Hummingbird
import Logging

/// A front end (S3, the Worker JSON API, the task API): parse → authenticate → dispatch. What every
/// request needs besides (request ID, access log, metrics, error mapping) is the shared middleware's.
package protocol FrontEnd: ErrorRendering {
    func respond(to request: Request, context: GatewayRequestContext) async throws -> Response
}

/// The one request path of a listener: the shared middleware around its front end.
///
///     AccessLogMiddleware → ErrorMiddleware(front end's renderer) → front end
package struct FrontEndResponder<Handler: FrontEnd>: HTTPResponder {
    package typealias Context = GatewayRequestContext
    let frontEnd: Handler
    let logger: Logger

    package init(frontEnd: Handler, logger: Logger) {
        self.frontEnd = frontEnd
        self.logger = logger
    }

    package func respond(to request: Request, context: Context) async throws -> Response {
        let errors = ErrorMiddleware(renderer: frontEnd)
        return try await AccessLogMiddleware(logger: logger).handle(request, context: context) { request, context in
            try await errors.handle(request, context: context) { request, context in
                try await frontEnd.respond(to: request, context: context)
            }
        }
    }
}
