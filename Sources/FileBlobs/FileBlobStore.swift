import Foundation
import NIOCore
import StorageCore
import WireFormats
#if canImport(Glibc)
import Glibc
#endif

/// Blobs as files under `<root>/blobs/ab/cd/<id>`; temporaries under `<root>/tmp`.
///
/// IDs are made here (`newID`: hex of a cluster, the time and random bits), so keys never become paths
/// and nothing a client sends can name a file.
/// Every file system call runs on the `BlockingPool` (the `…Now` functions, called only from there).
public final class FileBlobStore: BlobStore, @unchecked Sendable {
    public let root: String
    let blobsDir: String
    let tmpDir: String
    /// fsync files and directories on commit. Off only for tests.
    let durable: Bool
    let pool: BlockingPool
    /// File system calls made off the pool (debug builds; see `OffPoolCalls`).
    public let offPoolCalls = OffPoolCalls()

    /// Opens the store under `root` (creating its directories), on the pool.
    public static func open(root: String, durable: Bool = true, pool: BlockingPool) async throws -> FileBlobStore {
        try await pool.run { try FileBlobStore(root: root, durable: durable, pool: pool) }
    }

    /// Blocks on the file system: `open` runs it on the pool.
    init(root: String, durable: Bool = true, pool: BlockingPool) throws {
        self.root = root
        blobsDir = root + "/blobs"
        tmpDir = root + "/tmp"
        self.durable = durable
        self.pool = pool
        offPoolCalls.check("create \(root)")
        for d in [root, blobsDir, tmpDir] {
            try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        }
        // The entries blobs/ and tmp/ (and the data directory's own, when this made it) survive a power cut.
        syncDirectory(root)
        syncDirectory((root as NSString).deletingLastPathComponent)
    }

    /// 32 lowercase hex digits: a 16-bit cluster, 48 bits of the time in milliseconds, 64 random bits.
    ///
    /// The cluster is a hash of `cluster` (a multipart upload's ID) or, without one, random. A blob's
    /// directory is its first four digits, the cluster, so a directory still holds an even share of the
    /// blobs (a 10,000-part upload's parts share one). An upload's part IDs sort together and roughly in
    /// the order they were written, so the metadata's indexes by blob (`parts_by_blob`,
    /// `segments_by_blob`) take a completion's 10,000 deletions and insertions in one stretch of pages:
    /// measured with SQLite at 10,000 parts over five earlier uploads, 55 ms for those statements and
    /// their commit against 82–108 ms with 128 random bits, the gap growing with the table.
    /// IDs written before this format (128 random bits) have the same shape and stay where they are.
    static func newID(cluster: String? = nil, now: Date = Date()) -> BlobID {
        var g = SystemRandomNumberGenerator()
        let group: UInt64 = cluster.map { UInt64(clusterHash($0)) } ?? (g.next() & 0xFFFF)
        let millis = UInt64(max(0, now.timeIntervalSince1970 * 1000)) & 0xFFFF_FFFF_FFFF
        return Hex.fixedWidth(group << 48 | millis) + Hex.fixedWidth(g.next())
    }

    /// The 16-bit cluster of a name (FNV-1a over its UTF-8 bytes, folded): the same in every process.
    static func clusterHash(_ name: String) -> UInt16 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in name.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return UInt16(truncatingIfNeeded: h ^ h >> 16 ^ h >> 32 ^ h >> 48)
    }

    func isValidID(_ id: BlobID) -> Bool {
        id.utf8.count == 32 && id.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    func directory(of id: BlobID) -> String {
        let u = Array(id.utf8)
        return blobsDir + "/" + String(decoding: u[0..<2], as: UTF8.self) + "/" + String(decoding: u[2..<4], as: UTF8.self)
    }

    func path(of id: BlobID) -> String { directory(of: id) + "/" + id }

    public func makeWriter(cluster: String?) async throws -> any BlobWriter {
        try await pool.run { [self] in
            offPoolCalls.check("create temporary blob")
            let id = Self.newID(cluster: cluster)
            let tmp = tmpDir + "/" + id + ".tmp"
            let fd = Glibc.open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw ioError("create temporary blob", errno) }
            return FileBlobWriter(store: self, id: id, tmpPath: tmp, fd: fd)
        }
    }

    /// Opens nothing yet: the file is opened by the first read, on the pool, so a GET's first chunk
    /// costs one hop. A missing file is reported then (`BlobMissing`).
    public func openReader(_ blob: BlobID) async throws -> any BlobReader {
        guard isValidID(blob) else { throw CoreError.internalError("invalid blob id") }
        return FileBlobReader(store: self, blob: blob)
    }

    public func delete(_ blobs: [BlobID]) async throws {
        let ids = blobs.filter(isValidID)
        guard !ids.isEmpty else { return }
        try await pool.run { [self] in
            offPoolCalls.check("delete blobs")
            for id in ids where unlink(path(of: id)) != 0 && errno != ENOENT { throw ioError("delete blob", errno) }
        }
    }

    /// Without a cutoff every temporary counts as a crash's (start-up, when no other process writes here);
    /// with one, only those last modified before it (several gateways share the directory).
    public func sweepTemporaries(olderThan cutoff: Date?) async throws -> Int {
        try await pool.run { [self] in
            offPoolCalls.check("sweep temporaries")
            var n = 0
            for name in (try? FileManager.default.contentsOfDirectory(atPath: tmpDir)) ?? [] where name.hasSuffix(".tmp") {
                let path = tmpDir + "/" + name
                if let cutoff {
                    var st = stat()
                    guard stat(path, &st) == 0, Self.modified(st) < cutoff else { continue }
                }
                if unlink(path) == 0 { n += 1 }
            }
            return n
        }
    }

    static func modified(_ st: stat) -> Date {
        Date(timeIntervalSince1970: Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9)
    }

    public func listBlobs(after: BlobID?, limit: Int) async throws -> [StoredBlob] {
        guard limit > 0 else { return [] }
        return try await pool.run { [self] in listBlobsNow(after: after.flatMap { isValidID($0) ? $0 : nil }, limit: limit) }
    }

    /// The directories `ab/cd` in order from `after`'s, each listed, its IDs sorted: ID order.
    private func listBlobsNow(after: BlobID?, limit: Int) -> [StoredBlob] {
        offPoolCalls.check("list blobs")
        let fm = FileManager.default
        let start = after.map { Array($0.utf8) }
        let startA = start.map { String(decoding: $0[0..<2], as: UTF8.self) } ?? ""
        let startB = start.map { String(decoding: $0[2..<4], as: UTF8.self) } ?? ""
        var out: [StoredBlob] = []
        for a in ((try? fm.contentsOfDirectory(atPath: blobsDir)) ?? []).sorted() where a >= startA {
            for b in ((try? fm.contentsOfDirectory(atPath: blobsDir + "/" + a)) ?? []).sorted() where a > startA || b >= startB {
                let dir = blobsDir + "/" + a + "/" + b
                let ids = ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).filter { isValidID($0) && (after == nil || $0 > after!) }
                for id in ids.sorted() {
                    var st = stat()
                    guard stat(dir + "/" + id, &st) == 0 else { continue }
                    out.append(StoredBlob(id: id, modified: Self.modified(st)))
                    if out.count == limit { return out }
                }
            }
        }
        return out
    }

    public func isWritable() async -> Bool {
        (try? await pool.run { [self] in
            offPoolCalls.check("statvfs")
            var st = statvfs()
            guard statvfs(root, &st) == 0 else { return false }
            return access(tmpDir, W_OK) == 0 && st.f_bavail > 0
        }) ?? false
    }

    /// Makes a rename or unlink in `dir` durable.
    func syncDirectory(_ dir: String) {
        guard durable else { return }
        let fd = Glibc.open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
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

/// Touched by one pool thread at a time: its owner awaits each call before the next.
final class FileBlobWriter: BlobWriter, @unchecked Sendable {
    let store: FileBlobStore
    let id: BlobID
    let tmpPath: String
    private var fd: Int32
    private(set) var bytesWritten: Int64 = 0

    // Durable blobs bypass the page cache where the file system allows it (O_DIRECT): the body is
    // staged in an aligned block that goes straight to the device, so no CPU is spent copying it into
    // cache pages and the fsync at commit has only the tail left to flush. On the VM the bench runs
    // on, the page-cache path (copy, then writeback) was the slowest step of a large PUT.
    //
    // The device's write overlaps the receiving of what follows because `Storage.receive` hands over
    // one batch while it gathers the next (it used to be two blocks here, written by a queue of their own).
    private var block: UnsafeMutableRawPointer?
    /// Bytes in `block`.
    private var staged = 0
    /// File offset of the block's first byte.
    private var stagedAt: Int64 = 0
    private var directFD: Int32 = -1
    private var directRefused = false
    static let blockSize = 2 << 20
    static let alignment = 4096

    init(store: FileBlobStore, id: BlobID, tmpPath: String, fd: Int32) {
        self.store = store; self.id = id; self.tmpPath = tmpPath; self.fd = fd
    }

    /// Abandoned without commit or discard: the descriptors and the temporary go on the pool.
    deinit {
        if let block { free(block) }
        let (fd, directFD, tmpPath) = (fd, directFD, tmpPath)
        guard fd >= 0 || directFD >= 0 else { return }
        let cleanUp: @Sendable () -> Void = {
            if directFD >= 0 { close(directFD) }
            if fd >= 0 { close(fd); unlink(tmpPath) }
        }
        store.pool.submit(whenStopped: cleanUp, cleanUp)
    }

    func write(_ bytes: ByteBuffer) async throws {
        try await store.pool.run { [self] in try writeNow(bytes) }
    }

    private func writeNow(_ bytes: ByteBuffer) throws {
        store.offPoolCalls.check("write blob")
        guard fd >= 0 else { throw CoreError.internalError("write after close") }
        guard bytes.readableBytes > 0 else { return }
        if store.durable && block == nil && !directRefused {
            var p: UnsafeMutableRawPointer?
            if posix_memalign(&p, Self.alignment, Self.blockSize) == 0, let p { block = p } else { directRefused = true }
        }
        try bytes.withUnsafeReadableBytes { raw in
            guard let block else {
                try writeAll(raw.baseAddress!, raw.count, at: bytesWritten)
                return
            }
            var done = 0
            while done < raw.count {
                let n = min(raw.count - done, Self.blockSize - staged)
                memcpy(block + staged, raw.baseAddress! + done, n)
                staged += n
                done += n
                if staged == Self.blockSize { try writeBlock(block) }
            }
        }
        bytesWritten += Int64(bytes.readableBytes)
    }

    /// The full block: O_DIRECT when the file system takes it, else (from then on) through the cache.
    private func writeBlock(_ block: UnsafeMutableRawPointer) throws {
        if directFD < 0 && !directRefused {
            directFD = open(tmpPath, O_WRONLY | O_CLOEXEC | oDirect)
            if directFD < 0 { directRefused = true }  // e.g. tmpfs
        }
        var written = false
        if directFD >= 0 && !directRefused {
            let n = pwrite(directFD, block, Self.blockSize, off_t(stagedAt))
            if n == Self.blockSize {
                written = true
            } else if n < 0 && errno != EINVAL {
                throw ioError("write blob", errno)
            } else {
                directRefused = true  // refused or short: this block and the rest go through the cache
            }
        }
        if !written { try writeAll(block, Self.blockSize, at: stagedAt) }
        stagedAt += Int64(Self.blockSize)
        staged = 0
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
    }

    private func releaseStaging() {
        if let block { free(block) }
        block = nil; staged = 0
        if directFD >= 0 { close(directFD); directFD = -1 }
    }

    func commit() async throws -> BlobID {
        try await store.pool.run { [self] in try commitNow() }
    }

    private func commitNow() throws -> BlobID {
        store.offPoolCalls.check("commit blob")
        guard fd >= 0 else { throw CoreError.internalError("commit after close") }
        if let block, staged > 0 { try writeAll(block, staged, at: stagedAt) }  // the tail, through the cache
        releaseStaging()
        if store.durable && fsync(fd) != 0 { throw ioError("fsync blob", errno) }  // the inode: covers O_DIRECT blocks too
        close(fd); fd = -1
        let dir = store.directory(of: id)
        var rc = rename(tmpPath, dir + "/" + id)
        if rc != 0 && errno == ENOENT {
            // blobs/ab/cd: each new entry is durable only once its own directory is fsynced (blobs/ for
            // ab, blobs/ab for cd); the rename below is made durable by the fsync of blobs/ab/cd.
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            store.syncDirectory(store.blobsDir)
            store.syncDirectory((dir as NSString).deletingLastPathComponent)
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

    /// On the pool; when the pool is gone the temporary stays, for the next start-up sweep.
    func discard() async {
        _ = try? await store.pool.run { [self] in discardNow() }
    }

    private func discardNow() {
        store.offPoolCalls.check("discard blob")
        releaseStaging()
        if fd >= 0 { close(fd); fd = -1; unlink(tmpPath) }
    }
}

/// Touched by one pool thread at a time, like the writer; `close` by its owner between reads.
final class FileBlobReader: BlobReader, @unchecked Sendable {
    let store: FileBlobStore
    let blob: BlobID
    /// Opened by the first read.
    private var fd: Int32 = -1

    init(store: FileBlobStore, blob: BlobID) { self.store = store; self.blob = blob }
    deinit { close() }

    func read(at offset: Int64, count: Int) async throws -> ByteBuffer {
        try await store.pool.run { [self] in try readNow(at: offset, count: count) }
    }

    private func readNow(at offset: Int64, count: Int) throws -> ByteBuffer {
        store.offPoolCalls.check("read blob")
        if fd < 0 {
            fd = open(store.path(of: blob), O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                if errno == ENOENT { throw BlobMissing(blob: blob) }
                throw ioError("open blob", errno)
            }
        }
        var buffer = ByteBufferAllocator().buffer(capacity: count)
        while buffer.readableBytes < count {
            let got = buffer.readableBytes
            let n = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count - got) { p in
                while true {
                    let n = pread(fd, p.baseAddress!, count - got, off_t(offset) + off_t(got))
                    if n >= 0 { return n }
                    if errno != EINTR { throw ioError("read blob", errno) }
                }
            }
            if n == 0 { break }  // the end
        }
        return buffer
    }

    /// close(2) of a descriptor opened for reading does no I/O.
    func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }
}
