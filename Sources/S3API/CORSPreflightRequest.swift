import GatewayHTTP
import Hummingbird
import StorageCore

/// OPTIONS on a bucket or an object: a browser asking whether it may send a cross-origin request.
/// Answered before authentication, from the bucket's CORS rules (`CORSPreflight` decides and writes
/// the headers): 200 with Access-Control-Allow-*, 403 AccessForbidden when no rule admits the origin,
/// method and headers (or the bucket has no CORS configuration), 400 without Origin.
extension S3Service {
    func corsPreflight(_ bucket: String, key: String?, s3: S3Request) async throws -> Response {
        guard s3.header("origin") != nil else {
            throw CoreError("BadRequest", CORSPreflight.missingOriginMessage)
        }
        let rules = try await corsRules(bucket: bucket)
        switch CORSPreflight.evaluate(s3.headers, rules: rules) {
        case .allowed(let headers):
            return Response(status: .ok, headers: headers)
        case .missingOrigin:
            throw CoreError("BadRequest", CORSPreflight.missingOriginMessage)
        case .missingRequestMethod:
            throw CoreError("BadRequest", CORSPreflight.missingMethodMessage)
        case .forbidden(let method):
            throw CoreError("AccessForbidden", CORSPreflight.forbiddenMessage,
                            details: [.init("Method", method), .init("ResourceType", key == nil ? "BUCKET" : "OBJECT")])
        }
    }
}
