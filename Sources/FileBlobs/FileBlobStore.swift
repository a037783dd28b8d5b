import Foundation
import StorageCore
#if canImport(Glibc)
import Glibc
#endif

/// Blobs as files under `<root>/blobs/ab/cd/<id>`; temporaries under `<root>/tmp`.
///
/// IDs are random hex, so keys never become paths and nothing a client sends can name a file.
public final class FileBlobStore: BlobStore, @unchecked Sendable {
    public let root: String
    let blobsDir: String
    let tmpDir: String
    /// fsync files and directories on commit. Off only for tests.
    let durable: Bool

    public init(root: String, durable: Bool = true) throws {
        self.root = root
        blobsDir = root + "/blobs"
        tmpDir = root + "/tmp"
        self.durable = durable
        for d in [root, blobsDir, tmpDir] {
            try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        }
    }

    static func newID() -> BlobID {
        var g = SystemRandomNumberGenerator()
        let a = g.next() as UInt64, b = g.next() as UInt64
        return String(format: "%016llx%016llx", a, b)
    }

    func isValidID(_ id: BlobID) -> Bool {
        id.utf8.count == 32 && id.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    func directory(of id: BlobID) -> String {
        let u = Array(id.utf8)
        return blobsDir + "/" + String(decoding: u[0..<2], as: UTF8.self) + "/" + String(decoding: u[2..<4], as: UTF8.self)
    }

    func path(of id: BlobID) -> String { directory(of: id) + "/" + id }

    public func makeWriter() throws -> any BlobWriter {
        let id = Self.newID()
        let tmp = tmpDir + "/" + id + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ioError("create temporary blob", errno) }
        return FileBlobWriter(store: self, id: id, tmpPath: tmp, fd: fd)
    }

    public func openReader(_ blob: BlobID) throws -> any BlobReader {
        guard isValidID(blob) else { throw CoreError.internalError("invalid blob id") }
        let fd = open(path(of: blob), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { throw BlobMissing(blob: blob) }
            throw ioError("open blob", errno)
        }
        return FileBlobReader(fd: fd)
    }

    public func delete(_ blob: BlobID) throws {
        guard isValidID(blob) else { return }
        if unlink(path(of: blob)) != 0 && errno != ENOENT { throw ioError("delete blob", errno) }
    }

    public func sweepTemporaries() throws -> Int {
        var n = 0
        for name in (try? FileManager.default.contentsOfDirectory(atPath: tmpDir)) ?? [] where name.hasSuffix(".tmp") {
            if unlink(tmpDir + "/" + name) == 0 { n += 1 }
        }
        return n
    }

    public func forEachBlob(modifiedBefore date: Date, _ body: (BlobID) throws -> Void) throws {
        let fm = FileManager.default
        let limit = date.timeIntervalSince1970
        for a in (try? fm.contentsOfDirectory(atPath: blobsDir)) ?? [] {
            for b in (try? fm.contentsOfDirectory(atPath: blobsDir + "/" + a)) ?? [] {
                let dir = blobsDir + "/" + a + "/" + b
                for id in (try? fm.contentsOfDirectory(atPath: dir)) ?? [] where isValidID(id) {
                    var st = stat()
                    guard stat(dir + "/" + id, &st) == 0 else { continue }
                    if Double(st.st_mtim.tv_sec) < limit { try body(id) }
                }
            }
        }
    }

    public func isWritable() -> Bool {
        var st = statvfs()
        guard statvfs(root, &st) == 0 else { return false }
        return access(tmpDir, W_OK) == 0 && st.f_bavail > 0
    }

    /// Makes a rename or unlink in `dir` durable.
    func syncDirectory(_ dir: String) {
        guard durable else { return }
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 { fsync(fd); close(fd) }
    }
}

/// A blob named by metadata but absent on disk (only possible after outside tampering or a lost file).
public struct BlobMissing: Error { public let blob: BlobID }

func ioError(_ what: String, _ err: Int32) -> CoreError {
    if err == ENOSPC || err == EDQUOT { return .storeFull }
    return .internalError("\(what): \(String(cString: strerror(err)))")
}

final class FileBlobWriter: BlobWriter, @unchecked Sendable {
    let store: FileBlobStore
    let id: BlobID
    let tmpPath: String
    var fd: Int32
    private(set) var bytesWritten: Int64 = 0
    /// Large blobs are flushed to disk in the background while they are written (every
    /// `flushEvery` bytes), so the fsync at commit waits for the tail only, not for the whole body.
    private var flusher: DispatchQueue?
    private var flushScheduledAt: Int64 = 0
    static let flushEvery: Int64 = 32 << 20

    init(store: FileBlobStore, id: BlobID, tmpPath: String, fd: Int32) {
        self.store = store; self.id = id; self.tmpPath = tmpPath; self.fd = fd
    }

    deinit { discard() }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard fd >= 0 else { throw CoreError.internalError("write after close") }
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw ioError("write blob", errno)
            }
            done += n
        }
        bytesWritten += Int64(bytes.count)
        if store.durable && bytesWritten - flushScheduledAt >= Self.flushEvery {
            flushScheduledAt = bytesWritten
            if flusher == nil { flusher = DispatchQueue(label: "tessera.blob-flush") }
            let fd = self.fd
            flusher!.async { _ = fdatasync(fd) }  // the fd stays open until the flusher is drained
        }
    }

    /// Waits for background flushes (before the fd is closed).
    private func drainFlusher() { flusher?.sync {} }

    func commit() throws -> BlobID {
        guard fd >= 0 else { throw CoreError.internalError("commit after close") }
        drainFlusher()
        if store.durable && fsync(fd) != 0 { throw ioError("fsync blob", errno) }
        close(fd); fd = -1
        let dir = store.directory(of: id)
        var rc = rename(tmpPath, dir + "/" + id)
        if rc != 0 && errno == ENOENT {
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            store.syncDirectory(store.blobsDir)
            rc = rename(tmpPath, dir + "/" + id)
        }
        guard rc == 0 else {
            let e = errno
            unlink(tmpPath)
            throw ioError("rename blob", e)
        }
        store.syncDirectory(dir)
        return id
    }

    func discard() {
        drainFlusher()
        if fd >= 0 { close(fd); fd = -1; unlink(tmpPath) }
    }
}

final class FileBlobReader: BlobReader, @unchecked Sendable {
    var fd: Int32
    init(fd: Int32) { self.fd = fd }
    deinit { close() }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int {
        while true {
            let n = pread(fd, buffer.baseAddress!, buffer.count, off_t(offset))
            if n >= 0 { return n }
            if errno != EINTR { throw ioError("read blob", errno) }
        }
    }

    func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }
}
