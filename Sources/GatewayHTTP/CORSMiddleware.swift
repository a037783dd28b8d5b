import HTTPTypes
import Hummingbird

/// Where the CORS headers of an actual (non-preflight) response come from, for every front end and
/// every answer, errors included: a request that carries Origin gets its front end's rules (a bucket's
/// CORS configuration, or a JSON front end's `--…-cors-origins`), and the first rule admitting the
/// origin and the request's method adds Access-Control-Allow-Origin, -Expose-Headers and the rest.
/// A request without Origin costs nothing here: the rules are not even looked up. Preflights are the
/// front ends' own endpoints (`CORSPreflight`), answered before authentication.
struct CORSMiddleware<Handler: FrontEnd>: MiddlewareProtocol {
    typealias Input = Request
    typealias Output = Response
    typealias Context = GatewayRequestContext
    let frontEnd: Handler

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        guard let origin = request.headers[.origin], request.method != .options else { return response }
        let rules = await frontEnd.corsRules(for: request, context: context)
        guard !rules.isEmpty else { return response }
        Self.addVaryOrigin(&response.headers)
        if let match = CORSRule.firstMatch(in: rules, origin: origin, method: request.method.rawValue) {
            for field in match.rule.responseHeaders(origin: origin, pattern: match.pattern) { response.headers[field.name] = field.value }
        }
        return response
    }

    /// The answer depends on Origin wherever rules exist, so caches must key on it.
    static func addVaryOrigin(_ headers: inout HTTPFields) {
        let present = headers[values: .vary].contains { HeaderTokens.contains("origin", in: $0) }
        if !present { headers.append(HTTPField(name: .vary, value: "Origin")) }
    }
}
