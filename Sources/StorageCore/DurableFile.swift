import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Small state files (credentials.json, keys.json) replaced so that a power cut leaves either the old
/// file or the new one, complete: the bytes go to `<path>.tmp`, which is fsynced, renamed over `path`,
/// and then the directory is fsynced so the rename itself is on disk.
public enum DurableFile {
    public struct WriteFailed: Error, CustomStringConvertible {
        public let path: String
        public let step: String
        public let errno: Int32
        public var description: String { "cannot write \(path): \(step) failed (\(String(cString: strerror(errno))))" }
    }

    /// Writes `data` to `path` (mode `mode` for a new file) durably; throws `WriteFailed` naming the
    /// step that failed, leaving `path` as it was.
    ///
    /// The file keeps its owner and mode: an admin command run as root against a daemon that runs as its
    /// own user (the systemd layout) must not leave it a file it cannot read. A new file gets `mode` and,
    /// when written by root, the owner of its directory (the data directory, the daemon's).
    public static func write(_ data: Data, to path: String, mode: mode_t = 0o600) throws {
        let tmp = path + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw WriteFailed(path: tmp, step: "open", errno: errno) }
        var failure: WriteFailed?
        let keep = ownership(replacing: path, newFileMode: mode)
        if fchmod(fd, keep.mode) != 0 { failure = WriteFailed(path: tmp, step: "chmod", errno: errno) }
        if failure == nil, geteuid() == 0, let owner = keep.owner, fchown(fd, owner.uid, owner.gid) != 0 {
            failure = WriteFailed(path: tmp, step: "chown", errno: errno)
        }
        if failure == nil { data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = WriteFailed(path: tmp, step: "write", errno: errno)
                    return
                }
                offset += n
            }
        } }
        if failure == nil && fsync(fd) != 0 { failure = WriteFailed(path: tmp, step: "fsync", errno: errno) }
        if close(fd) != 0 && failure == nil { failure = WriteFailed(path: tmp, step: "close", errno: errno) }
        if let failure {
            unlink(tmp)
            throw failure
        }
        guard rename(tmp, path) == 0 else {
            let e = errno
            unlink(tmp)
            throw WriteFailed(path: path, step: "rename", errno: e)
        }
        try syncDirectory(of: path)
    }

    /// The mode and owner the file at `path` has, else `newFileMode` and its directory's owner.
    static func ownership(replacing path: String, newFileMode: mode_t) -> (mode: mode_t, owner: (uid: uid_t, gid: gid_t)?) {
        var st = stat()
        if stat(path, &st) == 0 { return (st.st_mode & 0o7777, (st.st_uid, st.st_gid)) }
        let parent = (path as NSString).deletingLastPathComponent
        if stat(parent.isEmpty ? "." : parent, &st) == 0 { return (newFileMode, (st.st_uid, st.st_gid)) }
        return (newFileMode, nil)
    }

    /// fsync of the directory holding `path`, so that an entry just created or renamed there is on disk.
    public static func syncDirectory(of path: String) throws {
        let parent = (path as NSString).deletingLastPathComponent
        let dir = parent.isEmpty ? "." : parent
        let dirFD = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dirFD >= 0 else { throw WriteFailed(path: dir, step: "open directory", errno: errno) }
        defer { close(dirFD) }
        guard fsync(dirFD) == 0 else { throw WriteFailed(path: dir, step: "fsync directory", errno: errno) }
    }
}
