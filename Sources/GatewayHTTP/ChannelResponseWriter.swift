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
        var head = response.head
        head.headerFields[.date] = ResponseDateHeader.now
        do {
            try await onLoop(.head(head))
            try await response.body.write(self)
            // A body that did not say it finished still ends here.
            try await onLoop(.end(nil))
        } catch {
            try? await onLoop(.abort(error))
        }
    }

    func write(_ buffer: ByteBuffer) async throws {
        try await onLoop(.body(buffer))
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        try await onLoop(.end(trailingHeaders))
    }

    /// Does `step` on the connection's loop, directly when this task runs there; the future it may
    /// return is awaited (the connection's send buffer is full, or it closed).
    private func onLoop(_ step: RequestChannelHandler.ResponseStep) async throws {
        if eventLoop.inEventLoop {
            if let wait = handler.value.perform(step, number: number) { try await wait.get() }
        } else {
            let handler = handler, number = number
            try await eventLoop.flatSubmit {
                handler.value.perform(step, number: number) ?? handler.eventLoop.makeSucceededVoidFuture()
            }.get()
        }
    }
}
