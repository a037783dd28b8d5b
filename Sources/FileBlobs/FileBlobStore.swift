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
    //
    // Two blocks: the connection fills one while `io` writes the other, so receiving and hashing go on
    // during the device's write (done on the connection's thread, it held a signed 1 GiB PUT ~0.5 s).
    private var blocks: [UnsafeMutableRawPointer] = []
    /// The block being filled.
    private var current = 0
    private var staged = 0
    /// File offset of the current block's first byte.
    private var stagedAt: Int64 = 0
    private var directFD: Int32 = -1
    private var directRefused = false
    private var io: DispatchQueue?
    /// Blocks free to fill besides the current one: a block is free again once `io` has written it.
    private let freeBlocks = DispatchSemaphore(value: 1)
    private let ioLock = NSLock()
    /// errno of a failed background write (the first), and whether O_DIRECT was refused there.
    private var ioFailure: Int32 = 0
    private var ioRefusedDirect = false
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
        if store.durable && blocks.isEmpty && !directRefused {
            for _ in 0..<2 {
                var p: UnsafeMutableRawPointer?
                guard posix_memalign(&p, Self.alignment, Self.blockSize) == 0, let p else { break }
                blocks.append(p)
            }
            if blocks.count < 2 { releaseStaging(); directRefused = true }
        }
        guard !blocks.isEmpty else {
            try writeAll(bytes.baseAddress!, bytes.count, at: bytesWritten)
            bytesWritten += Int64(bytes.count)
            return
        }
        var done = 0
        while done < bytes.count {
            let n = min(bytes.count - done, Self.blockSize - staged)
            memcpy(blocks[current] + staged, bytes.baseAddress! + done, n)
            staged += n
            done += n
            if staged == Self.blockSize { try submitCurrentBlock() }
        }
        bytesWritten += Int64(bytes.count)
    }

    /// Hands the full current block to `io` and moves to the other one, once that one is written.
    private func submitCurrentBlock() throws {
        try checkBackgroundWrites()
        if directFD < 0 && !directRefused {
            directFD = open(tmpPath, O_WRONLY | O_CLOEXEC | oDirect)
            if directFD < 0 { directRefused = true }  // e.g. tmpfs
        }
        // The block's address crosses as an integer: it stays allocated and untouched until `freeBlocks` says so.
        let (address, offset, direct, fd) = (UInt(bitPattern: blocks[current]), stagedAt, directRefused ? -1 : directFD, self.fd)
        if io == nil { io = DispatchQueue(label: "tessera.blob-write") }
        io!.async { [self] in
            let (failure, refused) = Self.writeBlock(UnsafeMutableRawPointer(bitPattern: address)!, at: offset, directFD: direct, fd: fd)
            ioLock.withLock {
                if failure != 0 && ioFailure == 0 { ioFailure = failure }
                if refused { ioRefusedDirect = true }
            }
            freeBlocks.signal()
        }
        stagedAt += Int64(Self.blockSize)
        staged = 0
        current ^= 1
        freeBlocks.wait()  // the block to fill next: its write (submitted before this one) is done
    }

    /// One full block: O_DIRECT when the file system takes it, else through the cache.
    /// Returns errno (0 when written) and whether O_DIRECT was refused.
    private static func writeBlock(_ block: UnsafeMutableRawPointer, at offset: Int64, directFD: Int32, fd: Int32) -> (Int32, Bool) {
        var refused = false
        if directFD >= 0 {
            let n = pwrite(directFD, block, blockSize, off_t(offset))
            if n == blockSize { return (0, false) }
            if n < 0 && errno != EINVAL { return (errno, false) }
            refused = true  // refused or short: this block and the rest go through the cache
        }
        var done = 0
        while done < blockSize {
            let n = pwrite(fd, block + done, blockSize - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                return (errno, refused)
            }
            done += n
        }
        return (0, refused)
    }

    /// Throws the first background write failure; notes a refused O_DIRECT for the next blocks.
    private func checkBackgroundWrites() throws {
        let (failure, refused) = ioLock.withLock { (ioFailure, ioRefusedDirect) }
        if refused { directRefused = true }
        if failure != 0 { throw ioError("write blob", failure) }
    }

    /// Waits until every submitted block is written.
    private func drainBlocks() { io?.sync {} }

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

    /// Frees the blocks; `io` must have nothing left to write (see `drainBlocks`).
    private func releaseStaging() {
        for b in blocks { free(b) }
        blocks = []; staged = 0
        if directFD >= 0 { close(directFD); directFD = -1 }
    }

    func commit() throws -> BlobID {
        guard fd >= 0 else { throw CoreError.internalError("commit after close") }
        drainBlocks()
        try checkBackgroundWrites()
        if !blocks.isEmpty && staged > 0 { try writeAll(blocks[current], staged, at: stagedAt) }  // the tail, through the cache
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
        drainBlocks()
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
