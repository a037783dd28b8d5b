import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The embedded store's one owner: `tessera serve` holds an exclusive `flock` on `<data-dir>/serve.lock`
/// for its whole life, taken before the stores are opened or anything is swept. A second daemon on the
/// same directory would sweep the first one's in-flight temporaries as a crash's leftovers; it exits
/// instead, naming the process that holds the directory. The kernel drops the lock with its holder's
/// last descriptor, so a daemon killed with -9 leaves nothing to clean up. Admin commands take no lock:
/// they are safe beside a running daemon (docs/operator-guide.md).
final class DataDirectoryLock {
    private let descriptor: Int32
    let path: String

    /// Another daemon serves the directory.
    struct Held: Error, CustomStringConvertible {
        let dataDir: String
        let holder: String
        var description: String {
            "another tessera serve already owns the data directory \(dataDir)\(holder.isEmpty ? "" : " (pid \(holder))"); "
                + "one daemon per data directory (several gateways need a shared metadata store)"
        }
    }

    struct Failed: Error, CustomStringConvertible {
        let path: String
        let errno: Int32
        var description: String { "cannot lock \(path): \(String(cString: strerror(errno)))" }
    }

    init(dataDir: String) throws {
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        path = dataDir + "/serve.lock"
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Failed(path: path, errno: errno) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            let holder = Self.readHolder(descriptor)
            close(descriptor)
            if code == EWOULDBLOCK { throw Held(dataDir: dataDir, holder: holder) }
            throw Failed(path: path, errno: code)
        }
        // The holder's pid, for the next daemon's message (informational: the lock is the flock).
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
    }

    deinit { close(descriptor) }

    private static func readHolder(_ fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return "" }
        let text = String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.allSatisfy(\.isNumber) ? text : ""
    }
}
