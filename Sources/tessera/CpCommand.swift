import ArgumentParser
import Foundation
import S3Client
import SigV4
import Transfers

/// `tessera cp`: uploads and downloads that resume, against any S3 endpoint (or the seeds' Worker JSON API).
struct Cp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cp",
        abstract: "Copy a file (or, with -r, a directory) to or from S3, resuming an interrupted transfer when run again.",
        discussion: """
        LOCAL s3://BUCKET/KEY uploads (a multipart upload unless the file fits one part); s3://BUCKET/KEY LOCAL \
        downloads with parallel ranged GETs; -r DIR s3://BUCKET/PREFIX/ uploads a tree. Killed at any point, the \
        same command continues: an upload finds its unfinished multipart upload (a record under ~/.cache/tessera, \
        confirmed by ListMultipartUploads), checks the parts already there against local MD5s and sends only the \
        rest; a download keeps LOCAL.tessera-partial and fetches only missing chunks. The result is checked against \
        the ETag. Credentials and region as the AWS CLI finds them (AWS_* variables, ~/.aws/credentials and \
        ~/.aws/config profiles); --endpoint for anything but AWS (e.g. http://127.0.0.1:9000). \
        --worker URL FILE [KEY] speaks the Worker-style JSON multipart API instead.
        """)

    @Option(help: "S3 endpoint URL (else AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's endpoint_url, or AWS).")
    var endpoint: String?

    @Option(help: "Profile in ~/.aws/credentials and ~/.aws/config (else AWS_PROFILE, or default).")
    var profile: String?

    @Option(help: "Region to sign for (else AWS_REGION, AWS_DEFAULT_REGION, the profile's, or us-east-1).")
    var region: String?

    @Flag(name: [.short, .customLong("recursive")], help: "Copy a directory tree.")
    var recursive = false

    @Option(help: "Parts (or chunks) in flight at once.")
    var jobs = 4

    @Option(help: ArgumentHelp("Part size, e.g. 8MiB or 16777216; grown so no file needs more than 10,000 parts.", valueName: "size"))
    var partSize: String?

    @Option(help: "Content-Type of uploaded objects.")
    var contentType: String?

    @Option(help: ArgumentHelp("Upload FILE through the Worker-style JSON API at this URL instead of S3.", valueName: "url"))
    var worker: String?

    @Option(help: "Bearer token for --worker (else TESSERA_WORKER_TOKEN).")
    var workerToken: String?

    @Argument(help: "Source: a local path or s3://BUCKET/KEY.")
    var source: String

    @Argument(help: "Destination: s3://BUCKET/KEY (or PREFIX/ with -r), a local path, or with --worker the object key.")
    var destination: String?

    func validate() throws {
        guard jobs >= 1 && jobs <= 64 else { throw ValidationError("--jobs must be between 1 and 64") }
        if let partSize { _ = try Self.bytes(partSize) }
        if worker == nil && destination == nil { throw ValidationError("a destination is needed") }
    }

    static func bytes(_ text: String) throws -> Int64 {
        let units: [(String, Int64)] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("B", 1)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            if let n = Int64(text.dropLast(suffix.count)), n > 0 { return n * factor }
        }
        if let n = Int64(text), n > 0 { return n }
        throw ValidationError("--part-size: expected bytes, e.g. 16MiB, got \(text)")
    }

    /// s3://BUCKET/KEY → (bucket, key); nil for a local path.
    static func s3Location(_ text: String) throws -> (bucket: String, key: String)? {
        guard text.hasPrefix("s3://") else { return nil }
        let rest = text.dropFirst(5)
        guard let slash = rest.firstIndex(of: "/"), slash != rest.startIndex else {
            throw ValidationError("\(text): expected s3://BUCKET/KEY")
        }
        return (String(rest[..<slash]), String(rest[rest.index(after: slash)...]))
    }

    func run() async throws {
        let progress = TransferProgress()
        let ticker = Task { await progress.run() }
        defer { ticker.cancel() }
        let requestedPartSize = try partSize.map(Self.bytes)
        if let worker {
            let key = destination ?? (source as NSString).lastPathComponent
            var upload = WorkerUpload(endpoint: worker, source: source, key: key,
                                      token: workerToken ?? ProcessInfo.processInfo.environment["TESSERA_WORKER_TOKEN"])
            upload.jobs = jobs
            if let requestedPartSize { upload.requestedPartSize = requestedPartSize }
            let outcome = try await upload.run(progress: progress)
            progress.finished("upload: \(source) -> \(worker)/\(key) \(Self.describe(outcome))")
            return
        }
        guard let destination else { return }
        let env = try AWSEnvironment.resolve(profile: profile, endpoint: endpoint, region: region)
        let client = try S3Client(endpoint: env.endpoint,
                                  signer: RequestSigner(accessKey: env.accessKey, secretKey: env.secretKey, sessionToken: env.sessionToken,
                                                        region: env.region),
                                  caBundle: env.caBundle)
        do {
            try await copy(client: client, destination: destination, requestedPartSize: requestedPartSize, progress: progress)
        } catch {
            ticker.cancel()
            try? await client.shutdown()
            throw error
        }
        ticker.cancel()
        try await client.shutdown()
    }

    private func copy(client: S3Client, destination: String, requestedPartSize: Int64?, progress: TransferProgress) async throws {
        switch (try Self.s3Location(source), try Self.s3Location(destination)) {
        case (nil, let target?):
            if recursive {
                var prefix = target.key
                if !prefix.isEmpty && !prefix.hasSuffix("/") { prefix += "/" }
                var upload = DirectoryUpload(client: client, directory: source, bucket: target.bucket, prefix: prefix)
                upload.jobs = jobs
                if let requestedPartSize { upload.requestedPartSize = requestedPartSize }
                let keyPrefix = prefix
                let count = try await upload.run(progress: progress) { path, outcome in
                    progress.finished("upload: \(path) -> s3://\(target.bucket)/\(keyPrefix)\(path) \(Self.describe(outcome))")
                }
                progress.finished("\(count) files")
            } else {
                let key = target.key.isEmpty || target.key.hasSuffix("/") ? target.key + (source as NSString).lastPathComponent : target.key
                var upload = FileUpload(client: client, source: source, bucket: target.bucket, key: key)
                upload.jobs = jobs
                upload.contentType = contentType
                if let requestedPartSize { upload.requestedPartSize = requestedPartSize }
                let outcome = try await upload.run(progress: progress)
                progress.finished("upload: \(source) -> s3://\(target.bucket)/\(key) \(Self.describe(outcome))")
            }
        case (let origin?, nil):
            guard !recursive else { throw ValidationError("-r copies a local directory to S3; downloads take one object") }
            var isDirectory: ObjCBool = false
            let local = FileManager.default.fileExists(atPath: destination, isDirectory: &isDirectory) && isDirectory.boolValue
                ? destination + "/" + (origin.key as NSString).lastPathComponent : destination
            var download = FileDownload(client: client, bucket: origin.bucket, key: origin.key, destination: local)
            download.jobs = jobs
            if let requestedPartSize { download.chunkSize = requestedPartSize }
            let outcome = try await download.run(progress: progress)
            progress.finished("download: s3://\(origin.bucket)/\(origin.key) -> \(local) (\(TransferProgress.size(outcome.size)); "
                              + "fetched \(TransferProgress.size(outcome.bytesFetched)), already here \(TransferProgress.size(outcome.bytesResumed)); "
                              + "checked: \(outcome.verified))")
        default:
            throw ValidationError("one side must be s3://BUCKET/KEY and the other a local path")
        }
    }

    static func describe(_ outcome: FileUpload.Outcome) -> String {
        "(sent \(TransferProgress.size(outcome.bytesSent)), already there \(TransferProgress.size(outcome.bytesResumed)); ETag \(outcome.etag))"
    }
}
