import Hummingbird
import Logging

/// A front end (S3, the Worker JSON API, the task API): parse → authenticate → dispatch. What every
/// request needs besides (request ID, access log, metrics, error mapping) is the shared middleware's.
package protocol FrontEnd: ErrorRendering {
    func respond(to request: Request, context: GatewayRequestContext) async throws -> Response
    /// The CORS rules that apply to a request carrying Origin, asked once it has been answered (so the
    /// context names its bucket); [] for none. Must not throw: a failure to read them is logged and
    /// leaves the response without CORS headers.
    func corsRules(for request: Request, context: GatewayRequestContext) async -> [CORSRule]
}

extension FrontEnd {
    package func corsRules(for request: Request, context: GatewayRequestContext) async -> [CORSRule] { [] }
}

/// The one request path of a listener: the shared middleware around its front end.
///
///     AccessLogMiddleware → CORSMiddleware → ErrorMiddleware(front end's renderer) → front end
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
        let cors = CORSMiddleware(frontEnd: frontEnd)
        return try await AccessLogMiddleware(logger: logger).handle(request, context: context) { request, context in
            try await cors.handle(request, context: context) { request, context in
                try await errors.handle(request, context: context) { request, context in
                    try await frontEnd.respond(to: request, context: context)
                }
            }
        }
    }
}
