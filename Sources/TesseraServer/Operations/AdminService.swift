import Foundation
import GatewayHTTP
import Hummingbird
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle
import StorageCore

/// The admin listener (`--admin-listen`): never S3, never authenticated, meant for loopback or a
/// private network.
///
/// - `GET /metrics`: Prometheus text format.
/// - `GET /health/live`: 200 while the process serves.
/// - `GET /health/ready`: 200 when the metadata store answers and the data directory takes writes, else 503
///   (with PostgreSQL, within `--metadata-timeout`: the store bounds its ping like every call).
enum AdminService {
    static func makeApplication(_ admin: ServerConfiguration.AdminListener, storage: Storage,
                                registry: PrometheusCollectorRegistry?, logger: Logger,
                                onRunning: @escaping @Sendable () -> Void = {}) -> some Service {
        _ = ServerMetrics.inFlight  // listed from the first scrape on, at 0
        let router = Router()
        router.get("/metrics") { _, _ -> Response in
            guard let registry else {
                return text(.notFound, "metrics are not enabled in this process\n")
            }
            await ServerMetrics.refreshGauges(storage: storage)
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        router.get("/health/live") { _, _ in text(.ok, "ok\n") }
        router.get("/health/ready") { _, _ -> Response in
            let checks = await readiness(storage)
            let ok = checks.allSatisfy { $0.ok }
            let lines = checks.map { "\($0.name): \($0.ok ? "ok" : "FAIL \($0.detail)")" }
            return text(ok ? .ok : .serviceUnavailable, (ok ? "ready\n" : "not ready\n") + lines.joined(separator: "\n") + "\n")
        }
        return GatewayListener(childChannel: GatewayServerChannel(responder: router.buildResponder()), host: admin.host, port: admin.port,
                               logger: logger) { port in
            logger.info("admin listening", metadata: ["address": "\(admin.host):\(port)"])
            onRunning()
        }
    }

    struct Check: Sendable {
        var name: String
        var ok: Bool
        var detail = ""
    }

    static func readiness(_ storage: Storage) async -> [Check] {
        var checks: [Check] = []
        if let inventory = storage.metadata as? any MetadataInventory {
            do {
                try await inventory.ping()
                checks.append(Check(name: "metadata", ok: true))
            } catch {
                checks.append(Check(name: "metadata", ok: false, detail: "\(error)"))
            }
        }
        if let blobs = storage.blobs as? any BlobInventory {
            let writable = await blobs.probeWrite()
            checks.append(Check(name: "data-dir", ok: writable, detail: writable ? "" : "not writable"))
        } else {
            checks.append(Check(name: "data-dir", ok: await storage.blobs.isWritable(), detail: "not writable"))
        }
        return checks
    }

    static func text(_ status: HTTPResponse.Status, _ body: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
