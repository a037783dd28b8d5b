import NIOCore
import NIOHTTPTypes

/// Lets a connection read up to 1 MiB at a time (NIO's default stops at 64 KiB). A large upload then
/// takes a sixteenth of the reads, and of the work behind each one (HTTP parsing, the body stream's
/// hand-off, MD5's queue, the checksum calls): a 1 GiB PUT made 16,467 reads and 14,225 futex calls.
/// NIO grows a connection's buffer only while reads fill it, so small requests keep small buffers.
///
/// A connection keeps its receive buffers for reuse, as many as it reads messages per wake-up (NIO's
/// default: 4), and a kept buffer never shrinks. With 1 MiB reads that was up to 4 MiB held by every
/// keep-alive connection that once carried a large body: 64 clients of the load test grew the daemon's
/// RSS by about 100 MiB in 150 s, and heaptrack found the receive buffers holding it. One read per
/// wake-up keeps one buffer: at most 1 MiB per connection, bounded by `--max-connections`.
package final class LargeReads: ChannelInboundHandler, RemovableChannelHandler {
    package typealias InboundIn = HTTPRequestPart
    static let maximum = 1 << 20

    package init() {}

    package func handlerAdded(context: ChannelHandlerContext) {
        let allocator = AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 2048, maximum: Self.maximum)
        _ = context.channel.setOption(ChannelOptions.recvAllocator, value: allocator)
        _ = context.channel.setOption(ChannelOptions.maxMessagesPerRead, value: 1)
    }
}
