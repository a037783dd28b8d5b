import Foundation
import S3Client

/// `cp -r DIR s3://BUCKET/PREFIX/`: every regular file under DIR to PREFIX + its path relative to DIR ('/'
/// separated), in name order. Small files go `jobs` at a time; a large file's parts are parallel instead. Each file
/// resumes as `FileUpload` does, so a second run after an interruption sends only what is missing.
public struct DirectoryUpload: Sendable {
    public let client: S3Client
    public let directory: String
    public let bucket: String
    public let prefix: String
    public var requestedPartSize: Int64 = PartPlan.defaultPartSize
    public var jobs = 4

    public init(client: S3Client, directory: String, bucket: String, prefix: String) {
        self.client = client
        self.directory = directory
        self.bucket = bucket
        self.prefix = prefix
    }

    /// (relative path, size) of every regular file, sorted by path bytes; symbolic links are not followed.
    public func files() throws -> [(path: String, size: Int64)] {
        let root = URL(fileURLWithPath: directory).standardizedFileURL
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey, .fileSizeKey],
                                                          options: [], errorHandler: { _, _ in false }) else {
            throw TransferError("cannot read directory \(directory)")
        }
        var found: [(String, Int64)] = []
        let base = root.path.hasSuffix("/") ? root.path : root.path + "/"
        for case let url as URL in walker {
            let values = try url.resourceValues(forKeys: [.isRegularFileKey, .fileSizeKey])
            guard values.isRegularFile == true else { continue }
            let full = url.standardizedFileURL.path
            guard full.hasPrefix(base) else { continue }
            found.append((String(full.dropFirst(base.count)), Int64(values.fileSize ?? 0)))
        }
        return found.sorted { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) }
    }

    public func run(progress: TransferProgress, report: @escaping @Sendable (String, FileUpload.Outcome) -> Void) async throws -> Int {
        let all = try files()
        let base = URL(fileURLWithPath: directory).standardizedFileURL.path
        let large = all.filter { !PartPlan(fileSize: $0.size, requestedPartSize: requestedPartSize).isSinglePut }
        let small = all.filter { PartPlan(fileSize: $0.size, requestedPartSize: requestedPartSize).isSinglePut }
        @Sendable func upload(_ relative: String) -> FileUpload {
            var u = FileUpload(client: client, source: base + "/" + relative, bucket: bucket, key: prefix + relative)
            u.requestedPartSize = requestedPartSize
            u.jobs = jobs
            return u
        }
        try await forEach(small.map(\.path), atMost: jobs) { path in
            (path, try await upload(path).run(progress: progress))
        } collect: { path, outcome in
            report(path, outcome)
        }
        for file in large {
            report(file.path, try await upload(file.path).run(progress: progress))
        }
        return all.count
    }
}
