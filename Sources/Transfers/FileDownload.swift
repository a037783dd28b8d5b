import Foundation
import NIOCore
#if canImport(Glibc)
import Glibc
#endif
import S3Client
import StorageCore
import WireFormats

/// One S3 object to one local file with parallel ranged GETs, resumable: bytes land in `FILE.tessera-partial`, and
/// `FILE.tessera-partial.json` lists the chunks made durable so far (fsync before they are listed). Run again, it
/// fetches only the chunks not listed, as long as the object's ETag is unchanged (each GET carries If-Match; a
/// changed object starts the file over). The finished file is checked against the ETag (its MD5, or the multipart
/// ETag recomputed with the object's part size), then renamed into place.
public struct FileDownload: Sendable {
    public struct Record: Codable, Sendable {
        var etag: String
        var size: Int64
        var chunkSize: Int64
        var done: [Int]
    }

    public struct Outcome: Sendable {
        public var size: Int64
        public var bytesFetched: Int64
        public var bytesResumed: Int64
        public var verified: String
    }

    public let client: S3Client
    public let bucket: String
    public let key: String
    public let destination: String
    public var jobs = 4
    public var chunkSize: Int64 = 8 << 20

    public init(client: S3Client, bucket: String, key: String, destination: String) {
        self.client = client
        self.bucket = bucket
        self.key = key
        self.destination = destination
    }

    public func run(progress: TransferProgress) async throws -> Outcome {
        let head = try await retrying { try await client.headObject(bucket: bucket, key: key) }
        let partial = destination + ".tessera-partial"
        let record = ResumeRecord<Record>(path: partial + ".json")
        var done = Set<Int>()
        if let saved = try record.load(), saved.etag == head.etag, saved.size == head.size, saved.chunkSize == chunkSize,
           FileManager.default.fileExists(atPath: partial) {
            done = Set(saved.done)
        }
        let fd = open(partial, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw TransferError("cannot open \(partial): errno \(errno)") }
        defer { close(fd) }
        if done.isEmpty { guard ftruncate(fd, 0) == 0 else { throw TransferError("cannot truncate \(partial): errno \(errno)") } }
        guard ftruncate(fd, off_t(head.size)) == 0 else { throw TransferError("cannot size \(partial): errno \(errno)") }

        let chunks = head.size == 0 ? 0 : Int((head.size + chunkSize - 1) / chunkSize)
        @Sendable func range(_ i: Int) -> ClosedRange<Int64> { Int64(i) * chunkSize...min(head.size, Int64(i + 1) * chunkSize) - 1 }
        progress.add(total: head.size)
        progress.working(on: (destination as NSString).lastPathComponent)
        var resumed: Int64 = 0
        for i in done where i < chunks { resumed += Int64(range(i).count) }
        progress.skipped(resumed)
        let missing = (0..<chunks).filter { !done.contains($0) }
        var fetched: Int64 = 0
        try await forEach(missing, atMost: jobs) { [client, bucket, key] i in
            let r = range(i)
            try await retrying {
                try await client.getObjectRange(bucket: bucket, key: key, range: r, etag: head.etag) { offset, piece in
                    let n = piece.withUnsafeReadableBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset)) }
                    guard n == piece.readableBytes else { throw TransferError("cannot write \(partial): errno \(errno)") }
                }
            }
            progress.sent(Int64(r.count))
            return i
        } collect: { i in
            // A chunk is listed only once its bytes are on disk.
            guard fsync(fd) == 0 else { throw TransferError("cannot fsync \(partial): errno \(errno)") }
            done.insert(i)
            fetched += Int64(range(i).count)
            try record.save(Record(etag: head.etag, size: head.size, chunkSize: chunkSize, done: done.sorted()))
        }
        let verified: String
        do {
            verified = try await verify(fd: fd, head: head)
        } catch let mismatch as TransferError {
            // Bytes on disk that do not make the object: the next run starts over rather than trusting them.
            try? record.remove()
            unlink(partial)
            throw mismatch
        }
        guard fsync(fd) == 0, rename(partial, destination) == 0 else { throw TransferError("cannot move \(partial) to \(destination): errno \(errno)") }
        try DurableFile.syncDirectory(of: destination)
        try record.remove()
        return Outcome(size: head.size, bytesFetched: fetched, bytesResumed: resumed, verified: verified)
    }

    /// The file's bytes against the object's ETag: "md5", "multipart etag", or an error on a mismatch. An ETag that is
    /// neither form (e.g. SSE-KMS) cannot be checked: "not checkable".
    private func verify(fd: Int32, head: S3Client.ObjectHead) async throws -> String {
        let bare = LocalDigests.bare(head.etag)
        if Hex.isHex(bare, count: 32) {
            let md5 = try LocalDigests.md5(descriptor: fd, offset: 0, length: head.size)
            guard Hex.encode(md5) == bare else { throw TransferError("\(destination): MD5 \(Hex.encode(md5)) is not the object's ETag \(head.etag)") }
            return "md5"
        }
        let pieces = bare.split(separator: "-")
        guard pieces.count == 2, Hex.isHex(pieces[0], count: 32), let parts = Int(pieces[1]), parts > 0 else { return "not checkable" }
        // Only the size of part 1 is used: every GET carried If-Match, so the bytes are the object's (and some servers,
        // moto among them, answer a part's HEAD with the part's own ETag).
        let partSize = try await retrying { try await client.headObject(bucket: bucket, key: key, partNumber: 1) }.size
        guard partSize > 0 else { return "not checkable (no part size)" }
        var md5s: [[UInt8]] = []
        var offset: Int64 = 0
        while offset < head.size {
            let length = min(partSize, head.size - offset)
            md5s.append(try LocalDigests.md5(descriptor: fd, offset: offset, length: length))
            offset += length
        }
        guard md5s.count == parts, LocalDigests.bare(LocalDigests.multipartETag(md5s)) == bare else {
            // Parts of unequal sizes cannot be recomputed from the first part's size alone.
            if md5s.count != parts { return "not checkable (parts of unequal size)" }
            throw TransferError("\(destination): multipart ETag \(LocalDigests.multipartETag(md5s)) is not the object's \(head.etag)")
        }
        return "multipart etag"
    }
}
