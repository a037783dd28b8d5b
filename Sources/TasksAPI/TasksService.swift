import AccessKeys
import Crypto
import Foundation
import GatewayHTTP
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import StorageCore
import WireFormats

/// The task-based chunk upload API (seed 003) on its own listener, bound to one bucket:
/// create a task (de-duplicated by content hash), upload chunks as multipart/form-data, complete;
/// then GET/DELETE the file. Chunks are the parts of a multipart upload in the storage core, so the
/// validator, streaming and manifest completion are the same as everywhere else.
package struct TasksService: FrontEnd {
    let storage: Storage
    let tasks: any TaskStore
    let access: BearerAccess
    /// From `--tasks-cors-origins`: [] (no browser page on another origin may call it) unless set.
    let cors: [CORSRule]
    let logger: Logger
    static let defaultChunkSize: Int64 = 5 << 20
    var bucket: String { access.bucket }

    package init(storage: Storage, tasks: any TaskStore, access: BearerAccess, cors: [CORSRule] = [], logger: Logger) {
        (self.storage, self.tasks, self.access, self.cors, self.logger) = (storage, tasks, access, cors, logger)
    }

    /// Its access line names the operation "Tasks:<step>".
    package func respond(to request: Request, context: GatewayRequestContext) async throws -> Response {
        let parts = RequestTarget(request.head.path ?? "/").rawPath.split(separator: "/").map(String.init)
        let step = parts.count >= 4 && parts[2] == "upload" ? parts[3] : request.method == .delete ? "delete" : "get"
        (context.access.bucket, context.access.operation) = (bucket, "Tasks:" + step)
        if request.method == .options {
            context.access.operation = "Tasks:preflight"
            return preflight(request)
        }
        guard await access.allows(authorization: request.headers[.authorization], write: request.method != .get) else {
            return error(.unauthorized, "Unauthorized")
        }
        switch (request.method, parts.count) {
        case (.post, 4) where parts[0...3] == ["api", "files", "upload", "create"]:
            return try await create(request)
        case (.post, 6) where parts[0...3] == ["api", "files", "upload", "chunk"]:
            guard let index = Int(parts[5]) else { return error(.badRequest, "Chunk index must be an integer") }
            return try await chunk(taskID: parts[4], index: index, request: request)
        case (.post, 5) where parts[0...3] == ["api", "files", "upload", "complete"]:
            return try await complete(taskID: parts[4])
        case (.get, 3) where parts[0...1] == ["api", "files"]:
            return try await download(id: parts[2], request: request)
        case (.delete, 3) where parts[0...1] == ["api", "files"]:
            return try await delete(id: parts[2])
        default:
            return error(.notFound, "Not Found")
        }
    }

    /// A browser's CORS preflight, answered before the token is asked for.
    func preflight(_ request: Request) -> Response {
        switch CORSPreflight.evaluate(request.headers, rules: cors) {
        case .allowed(let headers): return Response(status: .ok, headers: headers)
        case .missingOrigin: return error(.badRequest, CORSPreflight.missingOriginMessage)
        case .missingRequestMethod: return error(.badRequest, CORSPreflight.missingMethodMessage)
        case .forbidden: return error(.forbidden, CORSPreflight.forbiddenMessage)
        }
    }

    package func corsRules(for request: Request, context: GatewayRequestContext) async -> [CORSRule] { cors }

    /// The seed's JSON error bodies: 400 for the core's errors, the task error's own status.
    package func response(for error: any Error, to request: Request, context: GatewayRequestContext) -> Response {
        switch error {
        case let e as CoreError: return self.error(e.code == "InternalError" ? .internalServerError : .badRequest, e.message)
        case let e as TaskError: return self.error(e.status, e.message)
        default:
            logger.error("task API request failed", metadata: ["request-id": "\(context.requestID)", "error": "\(error)"])
            return self.error(.internalServerError, "Internal error")
        }
    }

    struct TaskError: Error {
        var status: HTTPResponse.Status
        var message: String
        init(_ status: HTTPResponse.Status, _ message: String) { self.status = status; self.message = message }
    }

    // MARK: create

    func create(_ request: Request) async throws -> Response {
        let body = try await smallBody(request.body)
        let req: TaskCreateRequest
        do throws(TaskRefusal) { req = try TaskCreateRequest(json: body) } catch { throw TaskError(.badRequest, error.message) }
        let (hash, password) = (req.normalizedHash, req.password)

        // De-duplication, never across encryption: a plain create matches plain files only; an
        // encrypted one matches only files sealed with the same password.
        for f in try await tasks.files(hash: hash) where try await storage.metadata.object(bucket: f.bucket, key: f.key) != nil {
            if let password {
                guard let e = f.encryption, try await FileCipher.open(e, password: password) != nil else { continue }
            } else if f.encryption != nil {
                continue
            }
            return json(["file_exists": true, "file": cloudFile(f)])
        }

        let plan: TaskPlan
        do throws(TaskRefusal) { plan = try TaskPlan(file: req, limits: storage.validator.limits, defaultChunkSize: Self.defaultChunkSize) } catch {
            throw TaskError(.badRequest, error.message)
        }
        let (chunkSize, chunksCount) = (plan.chunkSize, plan.chunksCount)

        var encryption: FileEncryption?
        var pendingKey: String?
        if let password {
            let (e, cipher) = try await FileCipher.create(password: password)
            encryption = e
            pendingKey = cipher.exported
        }
        let fileID = Self.newID()
        var attributes = ObjectAttributes()
        attributes.contentType = encryption == nil ? req.content_type : "application/octet-stream"
        let key = "files/" + fileID
        let upload = try await storage.createMultipartUpload(bucket: bucket, key: key, attributes: attributes)
        let task = UploadTask(id: Self.newID(), uploadID: upload.uploadID, bucket: bucket, key: key, fileID: fileID, hash: hash,
                              fileName: req.file_name, fileSize: req.file_size, contentType: req.content_type, poolID: req.pool_id,
                              bundleID: req.bundle_id, expiredAt: req.expired_at, chunkSize: chunkSize, chunksCount: chunksCount,
                              created: Date(), encryption: encryption, pendingKey: pendingKey)
        try await tasks.putTask(task)
        return json(["file_exists": false, "task_id": task.id, "chunk_size": chunkSize, "chunks_count": chunksCount])
    }

    // MARK: chunks

    func chunk(taskID: String, index: Int, request: Request) async throws -> Response {
        guard let task = try await tasks.task(id: taskID) else { throw TaskError(.badRequest, "Unknown upload task \(taskID)") }
        guard (0..<task.chunksCount).contains(index) else {
            throw TaskError(.badRequest, "Chunk index \(index) is out of range 0...\(task.chunksCount - 1)")
        }
        guard let boundary = FormFieldStream.boundary(request.headers[.contentType]) else {
            throw TaskError(.badRequest, "The chunk must be sent as multipart/form-data with a field named 'chunk'")
        }
        let expected = Self.chunkLength(task, index)
        let form = FormFieldStream(boundary: boundary, body: request.body, field: "chunk")
        let counter = ByteCounter()
        let sizeCheck: @Sendable () throws -> [String: String] = {
            if counter.count != expected {
                throw TaskError(.badRequest, "Chunk \(index) has \(counter.count) bytes; expected \(expected)")
            }
            return [:]
        }
        if let encryption = task.encryption {
            guard encryption.rounds > 0, let exported = task.pendingKey, let cipher = FileCipher(exported: exported) else {
                throw CoreError.internalError("task key missing")
            }
            _ = try await storage.uploadPart(bucket: task.bucket, key: task.key, uploadID: task.uploadID, partNumber: index + 1,
                                             body: MD5Body(SealingBody(base: form, cipher: cipher, chunk: index, counter: counter), atEnd: sizeCheck))
        } else {
            _ = try await storage.uploadPart(bucket: task.bucket, key: task.key, uploadID: task.uploadID, partNumber: index + 1,
                                             body: MD5Body(TappedBody(form) { counter.add($0.readableBytes) }, atEnd: sizeCheck))
        }
        return Response(status: .ok)
    }

    static func chunkLength(_ task: UploadTask, _ index: Int) -> Int64 {
        index == task.chunksCount - 1 ? task.fileSize - Int64(index) * task.chunkSize : task.chunkSize
    }

    // MARK: complete

    func complete(taskID: String) async throws -> Response {
        guard let task = try await tasks.task(id: taskID) else { throw TaskError(.badRequest, "Unknown upload task \(taskID)") }
        let (_, parts, _) = try await storage.listParts(bucket: task.bucket, key: task.key, uploadID: task.uploadID,
                                                        after: 0, maxParts: task.chunksCount + 1)
        let have = Set(parts.map(\.partNumber))
        let missing = (0..<task.chunksCount).filter { !have.contains($0 + 1) }
        if !missing.isEmpty {
            throw TaskError(.badRequest, "Missing chunks: \(missing.map(String.init).joined(separator: ", "))")
        }
        // Verify the content hash over the chunks before anything becomes visible.
        let cipher = task.pendingKey.flatMap(FileCipher.init(exported:))
        var md5 = Insecure.MD5()
        var sha = SHA256()
        try await PlainReader.forEachPlainBlock(storage: storage, parts: parts, chunkSize: task.chunkSize, cipher: cipher) { bytes in
            md5.update(data: bytes)
            sha.update(data: bytes)
        }
        let md5Hex = Hex.encode(md5.finalize())
        let shaHex = Hex.encode(sha.finalize())
        guard task.hash == md5Hex || task.hash == shaHex else {
            try? await storage.abortMultipartUpload(bucket: task.bucket, key: task.key, uploadID: task.uploadID)
            try await tasks.deleteTask(id: task.id)
            throw TaskError(.badRequest, "The uploaded content does not match hash \(task.hash); nothing was stored")
        }
        _ = try await storage.completeMultipartUpload(bucket: task.bucket, key: task.key, uploadID: task.uploadID,
                                                      parts: parts.map { (partNumber: $0.partNumber, etag: $0.etag) })
        let file = StoredFile(id: task.fileID, bucket: task.bucket, key: task.key, name: task.fileName, size: task.fileSize, hash: task.hash,
                              md5: md5Hex, sha256: shaHex, mimeType: task.contentType, poolID: task.poolID, bundleID: task.bundleID,
                              expiredAt: task.expiredAt, expiresAt: task.expiredAt.flatMap(ISO8601Time.parse).map(Date.init(timeIntervalSince1970:)), createdAt: Date(),
                              chunkSize: task.chunkSize, encryption: task.encryption)
        try await tasks.putFile(file)
        try await tasks.deleteTask(id: task.id)
        return json(cloudFile(file))
    }

    // MARK: files

    func download(id: String, request: Request) async throws -> Response {
        guard let file = try await tasks.file(id: id) else { throw TaskError(.notFound, "File not found") }
        let object: OpenObject
        do { object = try await storage.openObject(bucket: file.bucket, key: file.key) } catch let e as CoreError where e.code == "NoSuchKey" {
            throw TaskError(.notFound, "File not found")
        }
        var cipher: FileCipher?
        if let e = file.encryption {
            guard let password = request.headers[HTTPField.Name("X-File-Password")!],
                  let c = try await FileCipher.open(e, password: password) else {
                throw TaskError(.forbidden, "This file is encrypted: a correct X-File-Password header is required")
            }
            cipher = c
        }
        var headers = HTTPFields()
        headers[.contentType] = file.mimeType ?? "application/octet-stream"
        headers[.acceptRanges] = "bytes"
        headers[.eTag] = "\"\(file.md5)\""
        headers[.contentDisposition] = "attachment; filename*=UTF-8''" + PercentEncoding.encode(file.name, keepingSlash: true)
        var range: ClosedRange<Int64>? = file.size > 0 ? 0...(file.size - 1) : nil
        var status = HTTPResponse.Status.ok
        if let raw = request.headers[.range] {
            switch ByteRange.parse(raw, size: file.size) {
            case .none: break
            case .unsatisfiable:
                headers[.contentRange] = "bytes */\(file.size)"
                return Response(status: .rangeNotSatisfiable, headers: headers)
            case .range(let r):
                range = r
                status = .partialContent
                headers[.contentRange] = "bytes \(r.lowerBound)-\(r.upperBound)/\(file.size)"
            }
        }
        let length = range.map { $0.upperBound - $0.lowerBound + 1 } ?? 0
        headers[.contentLength] = String(length)
        let body = PlainReader(object: object, chunkSize: file.chunkSize, cipher: cipher, range: range, plainSize: file.size)
        return Response(status: status, headers: headers, body: ResponseBody(contentLength: Int(length)) { writer in
            try await writer.write(body)
            try await writer.finish(nil)
        })
    }

    func delete(id: String) async throws -> Response {
        guard let file = try await tasks.file(id: id) else { throw TaskError(.notFound, "File not found") }
        try await storage.deleteObject(bucket: file.bucket, key: file.key)
        try await tasks.deleteFile(id: id)
        return Response(status: .noContent)
    }

    // MARK: helpers

    func cloudFile(_ f: StoredFile) -> [String: any Sendable] {
        var d: [String: any Sendable] = [
            "id": f.id, "name": f.name, "size": f.size, "hash": f.hash, "md5": f.md5, "sha256": f.sha256,
            "created_at": S3Time.iso8601(f.createdAt), "has_password": f.encryption != nil,
        ]
        d["mime_type"] = f.mimeType ?? NSNull()
        d["pool_id"] = f.poolID ?? NSNull()
        d["bundle_id"] = f.bundleID ?? NSNull()
        d["expired_at"] = f.expiredAt ?? NSNull()
        return d
    }

    func smallBody(_ body: RequestBody) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await chunk in body {
            bytes += chunk.readableBytesView
            if bytes.count > 1 << 20 { throw TaskError(.badRequest, "Request body too large") }
        }
        return bytes
    }

    func json(_ object: [String: any Sendable]) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        var r = json(["error": message])
        r.status = status
        return r
    }

    static func newID() -> String {
        var g = SystemRandomNumberGenerator()
        return Hex.fixedWidth(g.next()) + Hex.fixedWidth(g.next())
    }
}
