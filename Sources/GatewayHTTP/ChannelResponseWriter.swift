import HTTPTypes
import Hummingbird
import NIOCore

/// Writes one request's `Response` to its connection through `RequestChannelHandler`: the head and
/// any body that is one buffer go out with the end in one flush; a longer body is flushed every
/// 64 KiB and waits while the connection's send buffer is full. Called from the request's task:
/// on the connection's event loop it calls the handler directly, elsewhere it hops there first.
///
/// Each writer belongs to one request (`number`); after that request's response has ended, the handler
/// ignores it, so a late call can never touch the next request's response.
struct ChannelResponseWriter: ResponseBodyWriter, Sendable {
    let handler: NIOLoopBound<RequestChannelHandler>
    let number: UInt64

    var eventLoop: any EventLoop { handler.eventLoop }

    /// Sends the response; a body that fails part-way closes the connection (its length was promised).
    func send(_ response: Response) async {
        var stamped = response.head
        stamped.headerFields[.date] = ResponseDateHeader.now
        let head = stamped
        let number = number
        do {
            try await onLoop { $0.writeHead(head, number: number) }
            try await response.body.write(self)
            // A body that did not say it finished still ends here.
            try await onLoop { $0.writeEnd(nil, number: number) }
        } catch {
            try? await onLoop { $0.abortResponse(error, number: number) }
        }
    }

    func write(_ buffer: ByteBuffer) async throws {
        let number = number
        try await onLoop { $0.writeBodyPart(buffer, number: number) }
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        let number = number
        try await onLoop { $0.writeEnd(trailingHeaders, number: number) }
    }

    /// Runs `call` on the connection's loop; the future it may return is awaited (the connection's
    /// send buffer is full, or it closed).
    private func onLoop(_ call: @escaping @Sendable (RequestChannelHandler) -> EventLoopFuture<Void>?) async throws {
        if eventLoop.inEventLoop {
            if let wait = call(handler.value) { try await wait.get() }
        } else {
            let handler = handler
            try await eventLoop.flatSubmit { call(handler.value) ?? handler.eventLoop.makeSucceededVoidFuture() }.get()
        }
    }
}
