import Hummingbird
import NIOCore

/// Response bodies that are one buffer in memory (a small object's GET). Hummingbird sends such a body
/// with the head in one write, but only as a plain `ResponseBody(byteBuffer:)`: the access record's
/// byte-counting wrapper would make it a stream, sent in two writes (two loopback segments, a second
/// syscall). A handler that makes one says so through the request's slot, and AccessLogMiddleware then counts the
/// bytes up front instead of wrapping the body.
package enum FixedResponseBody {
    /// Written by the request's own task only.
    final class Slot: @unchecked Sendable {
        var bytes: Int?
    }

    @TaskLocal static var slot: Slot?

    package static func body(_ buffer: ByteBuffer) -> ResponseBody {
        slot?.bytes = buffer.readableBytes
        return ResponseBody(byteBuffer: buffer)
    }
}
