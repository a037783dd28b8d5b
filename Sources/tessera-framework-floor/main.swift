// The bench's framework floor: the daemon's HTTP/1 connection (GatewayServerChannel, as every listener
// uses it) doing nothing but read the request body and answer: a GET with the same 4 KiB body, any
// other method with an empty 200. No routing, signature, store or access line. `make bench` measures
// it beside nginx and the daemon, so the report shows how much of a small request's cost is the
// connection's and how much is Tessera's. With `hummingbird`, the same answer through Hummingbird's own
// HTTP1Channel and Application instead (what the daemon used before session 17), for comparison by hand.
// Not part of the product.
//
//     tessera-framework-floor <port> [hummingbird]
import Foundation
import Hummingbird
import NIOCore
import NIOPosix
import GatewayHTTP
import Logging
import ServiceLifecycle

struct FixedAnswerResponder: HTTPResponder {
    typealias Context = BasicRequestContext
    let body: ByteBuffer

    func respond(to request: Request, context: Context) async throws -> Response {
        var request = request
        let received = try await request.collectBody(upTo: 1 << 20)
        if request.method == .get {
            return Response(status: .ok, headers: [.contentType: "application/octet-stream", .eTag: "\"floor\""],
                            body: ResponseBody(byteBuffer: body))
        }
        return Response(status: .ok, headers: [.eTag: "\"\(received.readableBytes)\""])
    }
}

let arguments = CommandLine.arguments
guard arguments.count == 2 || (arguments.count == 3 && arguments[2] == "hummingbird"), let port = Int(arguments[1]) else {
    print("usage: tessera-framework-floor <port> [hummingbird]")
    exit(2)
}
// As in the daemon (Tessera.swift): Swift tasks run on NIO's event loops.
_ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
if arguments.count == 2 {
    var logger = Logger(label: "floor")
    logger.logLevel = .warning
    let listener = GatewayListener(childChannel: GatewayServerChannel(responder: FixedAnswerResponder(body: ByteBuffer(repeating: UInt8(ascii: "x"), count: 4096))),
                                   host: "127.0.0.1", port: port, logger: logger) { _ in }
    try await ServiceGroup(configuration: .init(services: [listener], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)).run()
    exit(0)
}
let app = Application(
    responder: FixedAnswerResponder(body: ByteBuffer(repeating: UInt8(ascii: "x"), count: 4096)),
    server: .http1(configuration: .init(idleTimeout: .seconds(120))),
    configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: nil))
try await app.runService()
