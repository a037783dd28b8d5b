import Foundation
import GatewayHTTP
import Logging
import S3API
import S3XML
import ServiceLifecycle
import StorageCore

/// Aborts incomplete multipart uploads: after the server-wide age, or sooner where a bucket's
/// lifecycle configuration has an AbortIncompleteMultipartUpload rule for the upload's key. Enforces the
/// buckets' expiry rules (Expiration, ExpiredObjectDeleteMarker, NoncurrentVersionExpiration; see
/// `VersionExpirySweep`). Also forgets completions older than `Storage.completedUploadRetention` (a day),
/// which answer retried completions.
struct UploadSweeper: Service {
    let storage: Storage
    let maxAge: TimeInterval
    let interval: TimeInterval
    let logger: Logger
    /// Added to the clock of every pass: `TESSERA_TEST_SWEEPER_CLOCK_SHIFT_DAYS` (tests only; see `clockShift(_:)`).
    var clockShift: TimeInterval = 0

    /// The environment variable that shifts the sweeper's clock forward by a number of days, so tests can see
    /// rules of whole days act without waiting. A test-only setting: not a flag, not in the config file.
    static let clockShiftVariable = "TESSERA_TEST_SWEEPER_CLOCK_SHIFT_DAYS"

    /// The shift `environment` asks for, in seconds; a value that is not a number of days is refused.
    static func clockShift(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> TimeInterval {
        guard let raw = environment[clockShiftVariable], !raw.isEmpty else { return 0 }
        guard let days = Double(raw), days.isFinite, abs(days) <= 36_500 else {
            throw ConfigError("\(clockShiftVariable): expected a number of days, got \"\(raw)\"")
        }
        return days * 86_400
    }

    func run() async throws {
        await runPeriodically(every: interval) { await sweepOnce() }
    }

    func sweepOnce(now: Date = Date()) async {
        let now = now.addingTimeInterval(clockShift)
        do {
            var n = try await storage.abortUploads(initiatedBefore: now.addingTimeInterval(-maxAge))
            var expired = VersionExpirySweep.Removed()
            for bucket in try await storage.listBuckets() {
                guard let rules = try await lifecycleRules(bucket: bucket.name) else { continue }
                n += try await abortUploads(bucket: bucket.name, rules: rules, now: now)
                let removed = try await VersionExpirySweep(storage: storage).run(bucket: bucket.name, rules: rules, now: now)
                if removed.total > 0 {
                    logger.info("expired object versions", metadata: [
                        "bucket": "\(bucket.name)", "expired_objects": "\(removed.expired)",
                        "noncurrent_versions": "\(removed.noncurrentVersions)", "delete_markers": "\(removed.deleteMarkers)",
                    ])
                }
                expired.add(removed)
            }
            if n > 0 { logger.info("aborted incomplete uploads", metadata: ["count": "\(n)"]) }
            let forgotten = try await storage.forgetCompletedUploads(now: now)
            ServerMetrics.sweeperRun("uploads", removed: [
                "uploads": n, "completed_uploads": forgotten, "expired_objects": expired.expired,
                "noncurrent_versions": expired.noncurrentVersions, "delete_markers": expired.deleteMarkers,
            ])
        } catch {
            logger.error("upload sweeper failed", metadata: ["error": "\(error)"])
            ServerMetrics.sweeperRun("uploads", failed: true)
        }
    }

    /// The bucket's lifecycle rules; nil when it has none. A stored document that no longer parses (stored by an
    /// older release that accepted more) is reported loudly and its rules are not enforced, never guessed at.
    private func lifecycleRules(bucket: String) async throws -> [LifecycleRule]? {
        guard let doc = try await storage.metadata.bucketConfig(bucket: bucket, name: S3Service.lifecycleConfig) else { return nil }
        do {
            return try S3RequestXML.lifecycleConfiguration(Array(doc.utf8))
        } catch {
            logger.error("bucket lifecycle configuration refused: its rules are not enforced until it is put again",
                         metadata: ["bucket": "\(bucket)", "error": "\(error.code): \(error.message) (\(error.reason))"])
            return nil
        }
    }

    /// Bucket rules may be shorter than the server-wide age.
    private func abortUploads(bucket: String, rules: [LifecycleRule], now: Date) async throws -> Int {
        let active = rules.filter { $0.enabled && $0.abortIncompleteDays != nil }
        guard let shortest = active.compactMap(\.abortIncompleteDays).min() else { return 0 }
        return try await storage.abortUploads(initiatedBefore: now.addingTimeInterval(-Double(shortest) * 86400)) { u in
            Array(u.bucket.utf8) == Array(bucket.utf8) && active.contains { r in
                r.applies(to: u.key) && u.initiated < now.addingTimeInterval(-Double(r.abortIncompleteDays!) * 86400)
            }
        }
    }
}
