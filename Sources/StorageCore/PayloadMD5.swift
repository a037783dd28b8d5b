import Crypto
import NIOCore

/// The MD5 of a payload as it streams: on the caller's task for the first `backgroundFrom` bytes
/// (small bodies are not worth a hand-off), then on `BackgroundMD5`'s own thread, so a large body is
/// hashed on one core while another receives and writes it.
public final class PayloadMD5: @unchecked Sendable {
    private var md5 = Insecure.MD5()
    private var background: BackgroundMD5?
    private var size: Int64 = 0
    private let backgroundFrom: Int64

    /// Past `backgroundFrom` bytes the hashing moves to its own thread (default: past the largest body
    /// kept inline, plus 1 MiB).
    public init(backgroundFrom: Int64 = Int64(Storage.inlineLimit) + (1 << 20)) {
        self.backgroundFrom = backgroundFrom
    }

    /// Hashes `buffer`; suspends only when the background hasher is too far behind.
    public func update(_ buffer: ByteBuffer) async {
        if let background {
            await background.update(buffer)
        } else if size + Int64(buffer.readableBytes) > backgroundFrom {
            let b = BackgroundMD5(continuing: md5)
            background = b
            await b.update(buffer)
        } else {
            buffer.withUnsafeReadableBytes { md5.update(bufferPointer: $0) }
        }
        size += Int64(buffer.readableBytes)
    }

    /// The digest of everything given to `update`.
    public func finalize() async -> [UInt8] {
        if let background { return await background.finalize() }
        return Array(md5.finalize())
    }
}
