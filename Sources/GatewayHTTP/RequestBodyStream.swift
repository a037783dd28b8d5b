import HTTPTypes
import NIOCore

/// A request's body as the handlers read it: an async sequence of the parts the connection receives,
/// fed by `RequestChannelHandler` with backpressure (reads stop at 10 waiting parts and resume at 2,
/// NIO's defaults for an async channel).
enum RequestBodyStream {
    typealias Sequence = NIOThrowingAsyncSequenceProducer<
        ByteBuffer, any Error, NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark, Delegate
    >
    typealias Source = Sequence.Source

    /// Tells the connection's handler, on its event loop, when the reader of request `number`'s body
    /// wants more or is gone (the handler ignores a word about a request that is no longer the current one).
    struct Delegate: NIOAsyncSequenceProducerDelegate {
        let handler: NIOLoopBound<RequestChannelHandler>
        let number: UInt64

        func produceMore() {
            let handler = handler, number = number
            handler.eventLoop.execute { handler.value.bodyWantsMore(number: number) }
        }

        func didTerminate() {
            let handler = handler, number = number
            handler.eventLoop.execute { handler.value.bodyAbandoned(number: number) }
        }
    }

    static func make(handler: NIOLoopBound<RequestChannelHandler>, number: UInt64) -> (Source, Sequence) {
        let made = Sequence.makeSequence(
            elementType: ByteBuffer.self, failureType: (any Error).self,
            backPressureStrategy: .init(lowWatermark: 2, highWatermark: 10), finishOnDeinit: false,
            delegate: Delegate(handler: handler, number: number))
        return (made.source, made.sequence)
    }

    /// Whether a request head announces a body (RFC 9112 §6.3: a request has one only with
    /// Transfer-Encoding or a Content-Length; a zero length is an empty body).
    static func expected(_ head: HTTPRequest) -> Bool {
        if head.headerFields[.transferEncoding] != nil { return true }
        guard let length = head.headerFields[.contentLength] else { return false }
        return length != "0"
    }
}
