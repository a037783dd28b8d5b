import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Metrics
import NIOCore
import StorageCore

/// Metric names (Prometheus text format on the admin listener's /metrics). Recorded through
/// swift-metrics: the CLI bootstraps the Prometheus backend once; without it they cost nothing.
public enum MetricName {
    public static let requests = "tessera_s3_requests_total"                    // counter {operation, status}
    public static let requestDuration = "tessera_s3_request_duration_seconds"   // histogram {operation}
    public static let receivedBytes = "tessera_s3_received_bytes_total"         // counter {operation}: request bodies (Content-Length)
    public static let sentBytes = "tessera_s3_sent_bytes_total"                 // counter {operation}: response bodies as written
    public static let inFlight = "tessera_s3_requests_in_flight"                // gauge
    public static let uploadsActive = "tessera_multipart_uploads_active"        // gauge, read at scrape time
    public static let partsStored = "tessera_multipart_parts_stored"            // gauge, read at scrape time
    public static let partsStoredBytes = "tessera_multipart_parts_stored_bytes" // gauge, read at scrape time
    public static let objectsStored = "tessera_objects_stored"                  // gauge, read at scrape time
    public static let bucketsStored = "tessera_buckets"                         // gauge, read at scrape time
    public static let garbagePending = "tessera_garbage_blobs_pending"          // gauge, read at scrape time
    public static let sweeperRuns = "tessera_sweeper_runs_total"                // counter {sweeper: startup|uploads|files}
    public static let sweeperErrors = "tessera_sweeper_errors_total"            // counter {sweeper}
    public static let sweeperRemoved = "tessera_sweeper_removed_total"          // counter {sweeper, what}
    public static let diskFree = "tessera_disk_free_bytes"                      // gauge, read at scrape time
    public static let diskTotal = "tessera_disk_total_bytes"                    // gauge, read at scrape time
}

package enum ServerMetrics {
    package static let inFlight = Meter(label: MetricName.inFlight)

    package static func sweeperRun(_ sweeper: String, removed: [String: Int] = [:], failed: Bool = false) {
        Counter(label: MetricName.sweeperRuns, dimensions: [("sweeper", sweeper)]).increment()
        if failed { Counter(label: MetricName.sweeperErrors, dimensions: [("sweeper", sweeper)]).increment() }
        for (what, n) in removed where n > 0 {
            Counter(label: MetricName.sweeperRemoved, dimensions: [("sweeper", sweeper), ("what", what)]).increment(by: n)
        }
    }

    /// Store-wide gauges, refreshed just before each scrape.
    package static func refreshGauges(storage: Storage) async {
        if let inventory = storage.metadata as? any MetadataInventory, let c = try? await inventory.counts() {
            Gauge(label: MetricName.uploadsActive).record(c.uploads)
            Gauge(label: MetricName.partsStored).record(c.parts)
            Gauge(label: MetricName.partsStoredBytes).record(c.partBytes)
            Gauge(label: MetricName.objectsStored).record(c.objects)
            Gauge(label: MetricName.bucketsStored).record(c.buckets)
            Gauge(label: MetricName.garbagePending).record(c.garbage)
        }
        if let blobs = storage.blobs as? any BlobInventory, let space = await blobs.diskSpace() {
            Gauge(label: MetricName.diskFree).record(space.available)
            Gauge(label: MetricName.diskTotal).record(space.total)
        }
    }
}

/// Request metric handles, made once per operation and status: making one goes through the backend's
/// registry (locks, name checks), which cost ~2% of a small GET when done four times per request.
/// There are few distinct pairs (operations × statuses).
final class RequestMeters: @unchecked Sendable {
    static let shared = RequestMeters()

    struct Handles {
        let requests: Counter   // {operation, status}
        let duration: Timer     // {operation}
        let received: Counter   // {operation}
        let sent: Counter       // {operation}
    }
    private struct Pair: Hashable {
        let operation: String
        let status: Int
    }
    private let lock = NSLock()
    private var handles: [Pair: Handles] = [:]

    func handles(operation: String, status: Int) -> Handles {
        let pair = Pair(operation: operation, status: status)
        lock.lock(); defer { lock.unlock() }
        if let h = handles[pair] { return h }
        let op = ("operation", operation)
        let h = Handles(requests: Counter(label: MetricName.requests, dimensions: [op, ("status", String(status))]),
                        duration: Timer(label: MetricName.requestDuration, dimensions: [op]),
                        received: Counter(label: MetricName.receivedBytes, dimensions: [op]),
                        sent: Counter(label: MetricName.sentBytes, dimensions: [op]))
        handles[pair] = h
        return h
    }
}

/// One S3 request's access-log line and metrics. Finished once the response body has been written
/// (or dropped unwritten), so durations and bytes cover the whole transfer; a body that is one buffer
/// in memory is counted when handed over (`finish(sending:)`).
///
/// Holds no secrets: the access key ID, never the secret, the Authorization header, a signature, or
/// the query string (presigned URLs carry their signature there).
package final class AccessRecord: @unchecked Sendable {
    private let lock = NSLock()
    let requestID: String
    var method = "-"
    let start = ContinuousClock.now
    var logger: Logger
    package var operation = "Unknown"
    /// The key ID written for a request no key signed.
    static let noKey = "-"
    var keyID = noKey
    package var bucket = ""
    package var key = ""
    var status = 0
    var bytesIn: Int64 = 0
    private var bytesOut: Int64 = 0
    private var finished = false

    init(requestID: String, logger: Logger) {
        self.requestID = requestID
        self.logger = logger
        ServerMetrics.inFlight.increment()
    }

    deinit { finish(error: nil) }

    func wrap(_ body: ResponseBody) -> ResponseBody {
        ResponseBody(contentLength: body.contentLength) { writer in
            do {
                try await body.write(writer.map { buffer in
                    self.addSent(buffer.readableBytes)
                    return buffer
                })
                self.finish(error: nil)
            } catch {
                self.finish(error: error)
                throw error
            }
        }
    }

    /// For a body already in memory, handed to Hummingbird whole: counts it and finishes now (the line
    /// precedes the write by the time the write takes, which for such a body is one syscall).
    func finish(sending bytes: Int) {
        addSent(bytes)
        finish(error: nil)
    }

    private func addSent(_ n: Int) {
        lock.lock(); bytesOut += Int64(n); lock.unlock()
    }

    func finish(error: (any Error)?) {
        lock.lock()
        guard !finished else { lock.unlock(); return }
        finished = true
        let sent = bytesOut
        lock.unlock()

        let elapsed = ContinuousClock.now - start
        ServerMetrics.inFlight.decrement()
        let meters = RequestMeters.shared.handles(operation: operation, status: status)
        meters.requests.increment()
        meters.duration.recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
        if bytesIn > 0 { meters.received.increment(by: bytesIn) }
        if sent > 0 { meters.sent.increment(by: sent) }

        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        AccessLine(requestID: requestID, keyID: keyID.isEmpty ? Self.noKey : keyID, operation: operation, method: method, bucket: bucket,
                   key: key, status: status, bytesIn: bytesIn, bytesOut: sent, milliseconds: ms,
                   error: error.map { "\(type(of: $0))" }).log(to: logger)
    }
}
