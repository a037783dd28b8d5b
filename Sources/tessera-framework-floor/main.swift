// The bench's framework floor: Hummingbird on the daemon's HTTP/1 settings, answering every GET with
// the same 4 KiB body, and nothing else (no routing, signature, store or access line). `make bench`
// measures it beside nginx and the daemon, so the report shows how much of a small GET's cost is the
// framework's and how much is Tessera's. Not part of the product.
//
//     tessera-framework-floor <port>
import Hummingbird
import Foundation
import NIOCore

struct FixedBodyResponder: HTTPResponder {
    typealias Context = BasicRequestContext
    let body: ByteBuffer

    func respond(to request: Request, context: Context) async throws -> Response {
        Response(status: .ok, headers: [.contentType: "application/octet-stream", .eTag: "\"floor\""],
                 body: ResponseBody(byteBuffer: body))
    }
}

let arguments = CommandLine.arguments
guard arguments.count == 2, let port = Int(arguments[1]) else {
    print("usage: tessera-framework-floor <port>")
    exit(2)
}
let app = Application(
    responder: FixedBodyResponder(body: ByteBuffer(repeating: UInt8(ascii: "x"), count: 4096)),
    server: .http1(configuration: .init(idleTimeout: .seconds(120))),
    configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: nil))
try await app.runService()
