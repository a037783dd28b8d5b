import Foundation
import StorageCore
#if canImport(Glibc)
import Glibc
#endif

extension FileBlobStore: BlobInventory {
    public func exists(_ blob: BlobID) -> Bool {
        guard isValidID(blob) else { return false }
        var st = stat()
        return stat(path(of: blob), &st) == 0
    }

    public func forEachBlobWithDate(_ body: (BlobID, Date) throws -> Void) throws {
        let fm = FileManager.default
        for a in ((try? fm.contentsOfDirectory(atPath: blobsDir)) ?? []).sorted() {
            for b in ((try? fm.contentsOfDirectory(atPath: blobsDir + "/" + a)) ?? []).sorted() {
                let dir = blobsDir + "/" + a + "/" + b
                for id in (try? fm.contentsOfDirectory(atPath: dir)) ?? [] where isValidID(id) {
                    var st = stat()
                    guard stat(dir + "/" + id, &st) == 0 else { continue }
                    let mtime = Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9
                    try body(id, Date(timeIntervalSince1970: mtime))
                }
            }
        }
    }

    public func diskSpace() -> (available: Int64, total: Int64)? {
        var st = statvfs()
        guard statvfs(root, &st) == 0 else { return nil }
        let unit = Int64(st.f_frsize == 0 ? st.f_bsize : st.f_frsize)
        return (Int64(st.f_bavail) * unit, Int64(st.f_blocks) * unit)
    }

    public func probeWrite() -> Bool {
        // Not under tmp/ with a .tmp suffix: the start-up sweep would count it as a crash leftover.
        let probe = root + "/.write-probe-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return false }
        defer { unlink(probe) }
        let ok = "ok".withCString { Glibc.write(fd, $0, 2) } == 2
        close(fd)
        return ok
    }
}
