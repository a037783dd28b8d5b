import Hummingbird

/// How a front end answers a request that failed: S3's XML error document, the Worker API's text,
/// the task API's JSON. The renderer must not throw: every error becomes a response.
package protocol ErrorRendering: Sendable {
    func response(for error: any Error, to request: Request, context: GatewayRequestContext) -> Response
}

/// Turns whatever the stages inside it throw into the front end's error response, so that the access
/// line and the request ID stamp (outside it) see every request answered.
struct ErrorMiddleware<Renderer: ErrorRendering>: MiddlewareProtocol {
    typealias Input = Request
    typealias Output = Response
    typealias Context = GatewayRequestContext
    let renderer: Renderer

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return renderer.response(for: error, to: request, context: context)
        }
    }
}
