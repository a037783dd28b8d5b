import Hummingbird
import Logging
import HTTPTypes
import NIOCore

/// The outermost stage of every listener: stamps each response with the request's ID, and gives each
/// request one access-log line and its metrics once the response body has been sent (or, for a body
/// that is one buffer in memory, once it is handed over: see `FixedResponseBody`).
struct AccessLogMiddleware: MiddlewareProtocol {
    typealias Input = Request
    typealias Output = Response
    typealias Context = GatewayRequestContext
    /// The daemon's logger: the access line carries the request's own fields, not the metadata
    /// Hummingbird puts on each request's logger (its own request ID).
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let record = context.access
        record.logger = logger
        record.method = request.method.rawValue
        record.bytesIn = request.headers[.contentLength].flatMap { Int64($0) } ?? 0
        let slot = FixedResponseBody.Slot()
        var response = try await FixedResponseBody.$slot.withValue(slot) { try await next(request, context) }
        Self.stamp(&response.headers, requestID: context.requestID)
        record.status = Int(response.status.code)
        if let bytes = slot.bytes {
            record.finish(sending: bytes)
        } else {
            response.body = record.wrap(response.body)
        }
        return response
    }

    /// The headers every response carries.
    static func stamp(_ headers: inout HTTPFields, requestID: String) {
        headers[amzRequestID] = requestID
        headers[amzID2] = requestID
        headers[.server] = "Tessera"
    }
    static let amzRequestID = HTTPField.Name("x-amz-request-id")!
    static let amzID2 = HTTPField.Name("x-amz-id-2")!
}
