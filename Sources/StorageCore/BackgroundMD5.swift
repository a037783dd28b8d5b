import Crypto
import Dispatch
import Foundation
import NIOCore

/// MD5 (the ETag) on its own thread, so that one large body is hashed on one core while another
/// receives it, computes its checksums and writes it. MD5 cannot be split (each block depends on the
/// last), and on one core it is slower than the rest of the path together.
///
/// Buffers are queued without copying (ByteBuffers are immutable once received); at most
/// `maxQueuedBytes` wait, after which `update` suspends until the hasher has caught up halfway.
final class BackgroundMD5: @unchecked Sendable {
    private var md5: Insecure.MD5
    private let queue = DispatchQueue(label: "tessera.md5", qos: .userInitiated)
    private let lock = NSLock()
    private var queuedBytes = 0
    private var waiter: CheckedContinuation<Void, Never>?
    static let maxQueuedBytes = 4 << 20

    /// Continues `md5`, which has hashed the body's start.
    init(continuing md5: Insecure.MD5) { self.md5 = md5 }

    func update(_ buffer: ByteBuffer) async {
        let n = buffer.readableBytes
        let full = lock.withLock { queuedBytes += n; return queuedBytes > Self.maxQueuedBytes }
        queue.async {
            buffer.withUnsafeReadableBytes { self.md5.update(bufferPointer: $0) }
            let resume: CheckedContinuation<Void, Never>? = self.lock.withLock {
                self.queuedBytes -= n
                guard self.queuedBytes <= Self.maxQueuedBytes / 2, let w = self.waiter else { return nil }
                self.waiter = nil
                return w
            }
            resume?.resume()
        }
        guard full else { return }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let caughtUp = lock.withLock {
                if queuedBytes <= Self.maxQueuedBytes / 2 { return true }
                waiter = c
                return false
            }
            if caughtUp { c.resume() }
        }
    }

    /// The digest, once every queued buffer is hashed.
    func finalize() async -> [UInt8] {
        await withCheckedContinuation { c in
            queue.async { c.resume(returning: Array(self.md5.finalize())) }
        }
    }
}
