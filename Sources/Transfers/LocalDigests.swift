import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import S3Client
import WireFormats

/// MD5s of local file ranges: each part's (to send as Content-MD5 and to compare with what a server holds) and the
/// multipart ETag S3 gives the whole (MD5 of the parts' binary MD5s, "-N").
public enum LocalDigests {
    public static func md5(descriptor: Int32, offset: Int64, length: Int64) throws -> [UInt8] {
        var hasher = Insecure.MD5()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var position = offset
        let end = offset + length
        while position < end {
            let want = Int(min(Int64(buffer.count), end - position))
            let n = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, want, off_t(position)) }
            guard n > 0 else { throw FileReadError(errno: n == 0 ? 0 : errno, offset: position) }
            hasher.update(data: buffer[0..<n])
            position += Int64(n)
        }
        return Array(hasher.finalize())
    }

    public static func multipartETag(_ partMD5s: [[UInt8]]) -> String {
        var hasher = Insecure.MD5()
        for d in partMD5s { hasher.update(data: d) }
        return "\"" + Hex.encode(hasher.finalize()) + "-\(partMD5s.count)\""
    }

    public static func singleETag(_ md5: [UInt8]) -> String { "\"" + Hex.encode(md5) + "\"" }

    /// An ETag without its quotes (some servers omit them), lowercased, for comparison.
    public static func bare(_ etag: String) -> String {
        var t = Substring(etag)
        if t.hasPrefix("W/") { t = t.dropFirst(2) }
        if t.hasPrefix("\"") { t = t.dropFirst() }
        if t.hasSuffix("\"") { t = t.dropLast() }
        return t.lowercased()
    }
}
