import Foundation

/// A bucket's Object Lock configuration: enabled (for good: S3 has no way to turn it off), and an
/// optional default retention given to every new version that sets none. Stored as the bucket config
/// "object-lock", as JSON; absent: the bucket has no Object Lock. A stored value that does not decode is
/// a damaged row: refused loudly, never read as "no lock".
public struct BucketObjectLock: Sendable, Equatable, Codable {
    public struct DefaultRetention: Sendable, Equatable, Codable {
        public var mode: ObjectRetention.Mode
        /// Exactly one of days and years, positive.
        public var days: Int?
        public var years: Int?

        public init(mode: ObjectRetention.Mode, days: Int? = nil, years: Int? = nil) {
            self.mode = mode; self.days = days; self.years = years
        }

        /// The retention of a version written at `now`: `days` × 24 h, or `years` calendar years (UTC).
        public func retention(from now: Date) -> ObjectRetention {
            var until = now
            if let days { until = now.addingTimeInterval(TimeInterval(days) * 86_400) }
            if let years {
                var calendar = Calendar(identifier: .gregorian)
                calendar.timeZone = TimeZone(identifier: "UTC")!
                until = calendar.date(byAdding: .year, value: years, to: now) ?? now.addingTimeInterval(TimeInterval(years) * 365 * 86_400)
            }
            return ObjectRetention(mode: mode, retainUntil: until)
        }
    }

    public var defaultRetention: DefaultRetention?

    public init(defaultRetention: DefaultRetention? = nil) { self.defaultRetention = defaultRetention }

    /// The attributes of a version made at `created` in a bucket with this configuration: its own retention
    /// if the write gave one, else the default retention counted from `created`, the moment the version
    /// comes to be (for a multipart object its completion, not CreateMultipartUpload). The one place every
    /// front end's writes (S3, the Worker and task APIs) get it: `Storage` calls it as it makes the version.
    public func newVersion(_ attributes: ObjectAttributes, created: Date) -> ObjectAttributes {
        guard attributes.retention == nil, let defaultRetention else { return attributes }
        var withRetention = attributes
        withRetention.retention = defaultRetention.retention(from: created)
        return withRetention
    }

    public static let configName = "object-lock"

    public init?(stored value: String?) throws {
        guard let value else { return nil }
        do {
            self = try JSONDecoder().decode(BucketObjectLock.self, from: Data(value.utf8))
        } catch {
            throw CoreError.internalError("corrupt metadata row: bucket object lock configuration \"\(value)\"")
        }
    }

    public var stored: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }
}
