import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// One listener (the S3 API, the admin endpoint, a JSON front end) as a service: HummingbirdCore's
/// `Server` on the given connection setup, run beside the listener's own services (its sweepers).
package struct GatewayListener: Service {
    let server: any Service
    let services: [any Service]
    let logger: Logger

    /// - Parameters:
    ///   - childChannel: how a connection is set up (`GatewayServerChannel`, maybe wrapped in TLS).
    ///   - onRunning: called with the bound port once the listener accepts connections.
    package init<Child: ServerChildChannel>(childChannel: Child, host: String, port: Int, services: [any Service] = [],
                                          logger: Logger, onRunning: @escaping @Sendable (Int) async -> Void) {
        self.server = childChannel.server(
            configuration: .init(address: .hostname(host, port: port)),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger)
        self.services = services
        self.logger = logger
    }

    package func run() async throws {
        let group = ServiceGroup(configuration: .init(services: services + [server], logger: logger))
        try await group.run()
    }
}
