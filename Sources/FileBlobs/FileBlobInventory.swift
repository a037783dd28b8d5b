import Foundation
import StorageCore
#if canImport(Glibc)
import Glibc
#endif

extension FileBlobStore: BlobInventory {
    public func missing(_ blobs: [BlobID]) async throws -> Set<BlobID> {
        guard !blobs.isEmpty else { return [] }
        return try await pool.run { [self] in
            offPoolCalls.check("stat blobs")
            var missing = Set<BlobID>()
            for blob in blobs {
                var st = stat()
                if !isValidID(blob) || stat(path(of: blob), &st) != 0 { missing.insert(blob) }
            }
            return missing
        }
    }

    public func diskSpace() async -> (available: Int64, total: Int64)? {
        let space: (Int64, Int64)?? = try? await pool.run { [self] in
            offPoolCalls.check("statvfs")
            var st = statvfs()
            guard statvfs(root, &st) == 0 else { return nil }
            let unit = Int64(st.f_frsize == 0 ? st.f_bsize : st.f_frsize)
            return (Int64(st.f_bavail) * unit, Int64(st.f_blocks) * unit)
        }
        return space.flatMap { $0 }.map { (available: $0.0, total: $0.1) }
    }

    public func probeWrite() async -> Bool {
        (try? await pool.run { [self] in
            offPoolCalls.check("write probe")
            // Not under tmp/ with a .tmp suffix: the start-up sweep would count it as a crash leftover.
            let probe = root + "/.write-probe-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            let fd = Glibc.open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else { return false }
            defer { unlink(probe) }
            let ok = "ok".withCString { Glibc.write(fd, $0, 2) } == 2
            close(fd)
            return ok
        }) ?? false
    }
}
