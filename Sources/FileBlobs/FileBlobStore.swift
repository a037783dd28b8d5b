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

/// O_DIRECT is not exported by Glibc's Swift module.
#if arch(x86_64)
private let oDirect: Int32 = 0o40000
#else
private let oDirect: Int32 = 0o200000  // arm64, and most other Linux architectures
#endif

final class FileBlobWriter: BlobWriter, @unchecked Sendable {
    let store: FileBlobStore
    let id: BlobID
    let tmpPath: String
    var fd: Int32
    private(set) var bytesWritten: Int64 = 0

    // Durable blobs bypass the page cache where the file system allows it (O_DIRECT): the body is
    // staged in aligned blocks that go straight to the device, so no CPU is spent copying it into
    // cache pages and the fsync at commit has only the tail left to flush. On the VM the bench runs
    // on, the page-cache path (copy, then writeback) was the slowest step of a large PUT.
    private var staging: UnsafeMutableRawPointer?
    private var staged = 0
    /// File offset of the staging block's first byte.
    private var stagedAt: Int64 = 0
    private var directFD: Int32 = -1
    private var directRefused = false
    static let blockSize = 2 << 20
    static let alignment = 4096

    // When blocks go through the page cache (no O_DIRECT, or fsync off), large blobs are flushed in
    // the background every `flushEvery` bytes, so the fsync at commit waits for the tail only.
    private var flusher: DispatchQueue?
    private var flushScheduledAt: Int64 = 0
    static let flushEvery: Int64 = 32 << 20

    init(store: FileBlobStore, id: BlobID, tmpPath: String, fd: Int32) {
        self.store = store; self.id = id; self.tmpPath = tmpPath; self.fd = fd
    }

    deinit { discard() }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard fd >= 0 else { throw CoreError.internalError("write after close") }
        if store.durable && staging == nil && !directRefused {
            if posix_memalign(&staging, Self.alignment, Self.blockSize) != 0 { staging = nil; directRefused = true }
        }
        guard let staging else {
            try writeAll(bytes.baseAddress!, bytes.count, at: bytesWritten)
            bytesWritten += Int64(bytes.count)
            return
        }
        var done = 0
        while done < bytes.count {
            let n = min(bytes.count - done, Self.blockSize - staged)
            memcpy(staging + staged, bytes.baseAddress! + done, n)
            staged += n
            done += n
            if staged == Self.blockSize { try writeStagedBlock() }
        }
        bytesWritten += Int64(bytes.count)
    }

    /// Writes the full staging block: O_DIRECT when the file system takes it, else through the cache.
    private func writeStagedBlock() throws {
        if directFD < 0 && !directRefused {
            directFD = open(tmpPath, O_WRONLY | O_CLOEXEC | oDirect)
            if directFD < 0 { directRefused = true }  // e.g. tmpfs
        }
        if !directRefused {
            let n = pwrite(directFD, staging!, Self.blockSize, off_t(stagedAt))
            if n == Self.blockSize {
                stagedAt += Int64(n); staged = 0
                return
            }
            if n < 0 && errno != EINVAL { throw ioError("write blob", errno) }
            directRefused = true  // refused or short: this block and the rest go through the cache
        }
        try writeAll(staging!, staged, at: stagedAt)
        stagedAt += Int64(staged); staged = 0
    }

    /// pwrite of all `count` bytes at `offset`, through the page cache.
    private func writeAll(_ base: UnsafeRawPointer, _ count: Int, at offset: Int64) throws {
        var done = 0
        while done < count {
            let n = pwrite(fd, base + done, count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw ioError("write blob", errno)
            }
            done += n
        }
        let end = offset + Int64(count)
        if store.durable && end - flushScheduledAt >= Self.flushEvery {
            flushScheduledAt = end
            if flusher == nil { flusher = DispatchQueue(label: "tessera.blob-flush") }
            let fd = self.fd
            flusher!.async { _ = fdatasync(fd) }  // the fd stays open until the flusher is drained
        }
    }

    /// Waits for background flushes (before the fd is closed).
    private func drainFlusher() { flusher?.sync {} }

    private func releaseStaging() {
        free(staging); staging = nil; staged = 0
        if directFD >= 0 { close(directFD); directFD = -1 }
    }

    func commit() throws -> BlobID {
        guard fd >= 0 else { throw CoreError.internalError("commit after close") }
        if staging != nil && staged > 0 { try writeAll(staging!, staged, at: stagedAt) }  // the tail, through the cache
        releaseStaging()
        drainFlusher()
        if store.durable && fsync(fd) != 0 { throw ioError("fsync blob", errno) }  // the inode: covers O_DIRECT blocks too
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
        releaseStaging()
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
