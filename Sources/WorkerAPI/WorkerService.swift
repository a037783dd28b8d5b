import AccessKeys
import Foundation
import GatewayHTTP
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import StorageCore

/// The Worker-style JSON multipart API (seeds 000/001), bound to one bucket on its own listener:
/// `?action=mpu-create|mpu-uploadpart|mpu-complete|mpu-abort|get|delete` on `/<key>`.
/// It is a thin front end: every operation is the storage core's, with the same validator, so objects
/// written here are ordinary objects of the bucket, served by the S3 front end too.
package struct WorkerService: FrontEnd {
    let storage: Storage
    let access: BearerAccess
    /// From `--worker-cors-origins`: [] (no browser page on another origin may call it) unless set.
    let cors: [CORSRule]
    let logger: Logger
    let maxJSONBody = 2 << 20
    var bucket: String { access.bucket }

    package init(storage: Storage, access: BearerAccess, cors: [CORSRule] = [], logger: Logger) {
        (self.storage, self.access, self.cors, self.logger) = (storage, access, cors, logger)
    }

    /// Its access line names the operation "Worker:<action>".
    package func respond(to request: Request, context: GatewayRequestContext) async throws -> Response {
        let target = RequestTarget(request.head.path ?? "/")
        let query = try target.decodedQuery()
        let key = try target.decodedPath().dropFirst()
        (context.access.bucket, context.access.key, context.access.operation) = (bucket, String(key), "Worker:" + (query["action"] ?? "none"))
        if request.method == .options {
            context.access.operation = "Worker:preflight"
            return preflight(request)
        }
        return try await handle(request, key: String(key), query: query)
    }

    /// A browser's CORS preflight, answered before the token is asked for.
    func preflight(_ request: Request) -> Response {
        switch CORSPreflight.evaluate(request.headers, rules: cors) {
        case .allowed(let headers): return Response(status: .ok, headers: headers)
        case .missingOrigin: return text(.badRequest, CORSPreflight.missingOriginMessage)
        case .missingRequestMethod: return text(.badRequest, CORSPreflight.missingMethodMessage)
        case .forbidden: return text(.forbidden, CORSPreflight.forbiddenMessage)
        }
    }

    package func corsRules(for request: Request, context: GatewayRequestContext) async -> [CORSRule] { cors }

    /// The seed answers every failure of the core with 400 and its message; an internal error is a 500, and
    /// an unavailable store (`ServiceUnavailable`, `SlowDown`) a 503, so that clients retry.
    package func response(for error: any Error, to request: Request, context: GatewayRequestContext) -> Response {
        if let e = error as? CoreError {
            switch e.code {
            case "InternalError": return text(.internalServerError, e.message)
            case "ServiceUnavailable", "SlowDown": return text(.serviceUnavailable, e.message)
            default: return text(.badRequest, e.message)
            }
        }
        logger.error("worker request failed", metadata: ["request-id": "\(context.requestID)", "error": "\(error)"])
        return text(.internalServerError, "Internal error")
    }

    func handle(_ request: Request, key: String, query: QueryParameters) async throws -> Response {
        guard await authorized(request, write: !(request.method == .get && query["action"] == "get")) else {
            var r = text(.unauthorized, "Unauthorized")
            r.headers[.wwwAuthenticate] = "Bearer"
            return r
        }
        guard let action = query["action"] else { return text(.badRequest, "Missing action type") }

        switch request.method {
        case .post:
            switch action {
            case "mpu-create": return try await create(key, request: request)
            case "mpu-complete":
                guard let uploadID = query["uploadId"] else { return text(.badRequest, "Missing uploadId") }
                return try await complete(key, uploadID: uploadID, body: request.body)
            default: return text(.badRequest, "Unknown action \(action) for POST")
            }
        case .put:
            guard action == "mpu-uploadpart" else { return text(.badRequest, "Unknown action \(action) for PUT") }
            guard let uploadID = query["uploadId"], let raw = query["partNumber"] else {
                return text(.badRequest, "Missing partNumber or uploadId")
            }
            guard request.headers[.contentLength] != nil || request.headers[.transferEncoding] != nil else {
                return text(.badRequest, "Missing request body")
            }
            guard let partNumber = Int(raw.trimmingCharacters(in: .whitespaces)) else {
                return text(.badRequest, "Part number must be an integer between 1 and \(storage.validator.limits.maxParts), inclusive")
            }
            let part = try await storage.uploadPart(bucket: bucket, key: key, uploadID: uploadID, partNumber: partNumber, body: MD5Body(request.body))
            return json(["partNumber": part.partNumber, "etag": part.etag])
        case .get:
            guard action == "get" else { return text(.badRequest, "Unknown action \(action) for GET") }
            return try await get(key)
        case .delete:
            switch action {
            case "mpu-abort":
                guard let uploadID = query["uploadId"] else { return text(.badRequest, "Missing uploadId") }
                try await storage.abortMultipartUpload(bucket: bucket, key: key, uploadID: uploadID)
                return Response(status: .noContent)
            case "delete":
                try await storage.deleteObject(bucket: bucket, key: key)
                return Response(status: .noContent)
            default: return text(.badRequest, "Unknown action \(action) for DELETE")
            }
        default:
            var r = text(.methodNotAllowed, "Method Not Allowed")
            r.headers[.allow] = "PUT, POST, GET, DELETE"
            return r
        }
    }

    func authorized(_ request: Request, write: Bool) async -> Bool {
        await access.allows(authorization: request.headers[.authorization], write: write)
    }

    func create(_ key: String, request: Request) async throws -> Response {
        var attributes = ObjectAttributes()
        attributes.contentType = request.headers[.contentType]
        let upload = try await storage.createMultipartUpload(bucket: bucket, key: key, attributes: attributes)
        return json(["key": upload.key, "uploadId": upload.uploadID])
    }

    func complete(_ key: String, uploadID: String, body: RequestBody) async throws -> Response {
        var bytes: [UInt8] = []
        for try await chunk in body {
            bytes += chunk.readableBytesView
            if bytes.count > maxJSONBody { return text(.badRequest, "Missing or incomplete body") }
        }
        guard let parsed = WorkerCompleteBody(json: bytes) else {
            return text(.badRequest, "Missing or incomplete body")
        }
        let record = try await storage.completeMultipartUpload(bucket: bucket, key: key, uploadID: uploadID,
                                                               parts: parsed.requested)
        var headers = HTTPFields()
        headers[.eTag] = "\"\(record.etag)\""
        return Response(status: .ok, headers: headers)
    }

    func get(_ key: String) async throws -> Response {
        let object: OpenObject
        do {
            object = try await storage.openObject(bucket: bucket, key: key)
        } catch let e as CoreError where e.code == "NoSuchKey" {
            return text(.notFound, "Object Not Found")
        }
        var headers = HTTPFields()
        ObjectHeaders.add(object.record.attributes, to: &headers)
        headers[.eTag] = "\"\(object.record.etag)\""
        headers[.contentLength] = String(object.record.size)
        let chunks = object.chunks(range: nil)
        return Response(status: .ok, headers: headers, body: ResponseBody(contentLength: Int(object.record.size)) { writer in
            try await writer.write(chunks)
            try await writer.finish(nil)
        })
    }

    func text(_ status: HTTPResponse.Status, _ message: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain;charset=UTF-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: message)))
    }

    func json(_ object: [String: any Sendable]) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
