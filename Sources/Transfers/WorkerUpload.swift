import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import S3Client
import WireFormats

/// `tessera cp --worker URL FILE`: what the seeds' Python client does against the Worker-style JSON API
/// (mpu-create, mpu-uploadpart in parallel, mpu-complete), plus resume. That API has no ListParts, so the upload ID and
/// the ETag of every part the Worker acknowledged are kept in a `ResumeRecord`; run again, it sends only the parts
/// not recorded. An upload the Worker no longer knows (aborted, expired) starts over.
public struct WorkerUpload: Sendable {
    public struct Record: Codable, Sendable {
        var url: String
        var source: String
        var size: Int64
        var modified: Double
        var partSize: Int64
        var uploadId: String
        var parts: [String: String]
    }

    public let endpoint: String
    public let source: String
    public let key: String
    public let token: String?
    public var requestedPartSize: Int64 = 10 << 20
    public var jobs = 4

    public init(endpoint: String, source: String, key: String, token: String?) {
        self.endpoint = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        self.source = source
        self.key = key
        self.token = token
    }

    public func run(progress: TransferProgress, environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> FileUpload.Outcome {
        let file = try LocalFile(source)
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            let outcome = try await upload(http, file: file, progress: progress, environment: environment)
            try await http.shutdown()
            return outcome
        } catch {
            try? await http.shutdown()
            throw error
        }
    }

    private func upload(_ http: HTTPClient, file: LocalFile, progress: TransferProgress, environment: [String: String]) async throws -> FileUpload.Outcome {
        let plan = PartPlan(fileSize: file.size, requestedPartSize: requestedPartSize)
        let objectURL = endpoint + "/" + PercentEncoding.encode(key, keepingSlash: true)
        let record = ResumeRecord<Record>.upload(source: file.path, destination: objectURL, kind: "worker-uploads", environment: environment)
        progress.add(total: file.size)
        progress.working(on: file.name)
        let md5s = try file.partMD5s(plan)
        var state: Record
        if let saved = try record.load(), saved.size == file.size, saved.modified == file.modified, saved.partSize == plan.partSize {
            state = saved
        } else {
            state = Record(url: objectURL, source: file.path, size: file.size, modified: file.modified, partSize: plan.partSize,
                           uploadId: try await create(http, objectURL), parts: [:])
            try record.save(state)
        }
        var resumed: Int64 = 0
        for (n, _) in state.parts { if let i = Int(n) { resumed += plan.range(of: i).length } }
        progress.skipped(resumed)
        var sent: Int64 = 0
        let uploadId = state.uploadId
        do {
            try await forEach((1...plan.partCount).filter { state.parts[String($0)] == nil }, atMost: jobs) { n in
                let r = plan.range(of: n)
                let md5 = md5s[n - 1]
                var request = HTTPClientRequest(url: objectURL + "?action=mpu-uploadpart&uploadId=\(PercentEncoding.encode(uploadId))&partNumber=\(n)")
                request.method = .PUT
                authorize(&request)
                request.body = .stream(FileRangeBody(descriptor: file.descriptor, offset: r.offset, length: r.length), length: .known(r.length))
                let json = try await call(http, request, "mpu-uploadpart")
                guard let etag = json["etag"] as? String, LocalDigests.bare(etag) == Hex.encode(md5) else {
                    throw TransferError("part \(n): the Worker's ETag is not the part's MD5 \(Hex.encode(md5))")
                }
                progress.sent(r.length)
                return (n, etag)
            } collect: { n, etag in
                // Each part the Worker acknowledged is recorded at once: a kill loses at most the parts in flight.
                state.parts[String(n)] = etag
                sent += plan.range(of: n).length
                try record.save(state)
            }
        } catch let error as WorkerError where error.status == 404 || error.message.contains("upload") {
            // The Worker lost the upload: forget it, so that the next run starts over.
            try record.remove()
            throw TransferError("the Worker no longer knows upload \(uploadId) (\(error)); run again to start over")
        }
        var request = HTTPClientRequest(url: objectURL + "?action=mpu-complete&uploadId=\(PercentEncoding.encode(uploadId))")
        request.method = .POST
        authorize(&request)
        request.headers.add(name: "content-type", value: "application/json")
        let parts = (1...plan.partCount).map { ["partNumber": $0, "etag": state.parts[String($0)]!] as [String: Any] }
        request.body = .bytes(try JSONSerialization.data(withJSONObject: ["parts": parts]))
        let response = try await http.execute(request, timeout: .minutes(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else { throw WorkerError(action: "mpu-complete", status: Int(response.status.code), message: String(buffer: body)) }
        let etag = response.headers.first(name: "etag") ?? ""
        let expected = LocalDigests.multipartETag(md5s)
        guard LocalDigests.bare(etag) == LocalDigests.bare(expected) else {
            throw TransferError("\(objectURL): the completed object's ETag \(etag) is not the file's multipart ETag \(expected)")
        }
        try record.remove()
        return FileUpload.Outcome(etag: etag, bytesSent: sent, bytesResumed: resumed, resumedUploadId: resumed > 0 ? uploadId : nil)
    }

    private func create(_ http: HTTPClient, _ objectURL: String) async throws -> String {
        var request = HTTPClientRequest(url: objectURL + "?action=mpu-create")
        request.method = .POST
        authorize(&request)
        guard let id = try await call(http, request, "mpu-create")["uploadId"] as? String, !id.isEmpty else {
            throw TransferError("mpu-create: no uploadId in the answer")
        }
        return id
    }

    private func authorize(_ request: inout HTTPClientRequest) {
        if let token { request.headers.add(name: "authorization", value: "Bearer \(token)") }
    }

    private func call(_ http: HTTPClient, _ request: HTTPClientRequest, _ action: String) async throws -> [String: Any] {
        let response = try await http.execute(request, timeout: .minutes(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else { throw WorkerError(action: action, status: Int(response.status.code), message: String(buffer: body)) }
        guard let json = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any] else {
            throw TransferError("\(action): the answer is not a JSON object")
        }
        return json
    }
}

public struct WorkerError: Error, CustomStringConvertible {
    var action: String
    var status: Int
    var message: String
    public var description: String { "\(action): HTTP \(status): \(message)" }
}
