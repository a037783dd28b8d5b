import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A regular file opened to be sent: its descriptor (closed with the object), size and modification time (what a
/// resume record must match for the file to count as the same), and the MD5 of each part of a plan.
final class LocalFile: Sendable {
    let path: String
    let descriptor: Int32
    let size: Int64
    let modified: Double

    init(_ source: String) throws {
        path = URL(fileURLWithPath: source).standardizedFileURL.path
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw TransferError("cannot open \(source): errno \(errno)") }
        var st = stat()
        guard fstat(descriptor, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            close(descriptor)
            throw TransferError("\(source) is not a regular file")
        }
        size = Int64(st.st_size)
        modified = Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9
    }

    deinit { close(descriptor) }

    var name: String { (path as NSString).lastPathComponent }

    /// The MD5 of every part of `plan`, in order: what Content-MD5 carries and what parts already sent are checked against.
    func partMD5s(_ plan: PartPlan) throws -> [[UInt8]] {
        try (1...plan.partCount).map { n in
            let r = plan.range(of: n)
            return try LocalDigests.md5(descriptor: descriptor, offset: r.offset, length: r.length)
        }
    }
}
