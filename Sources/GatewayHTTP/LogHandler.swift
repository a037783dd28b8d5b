import Foundation
import Logging
import WireFormats

public enum LogFormat: String, Sendable, CaseIterable {
    case json, logfmt
}

/// One line per log event on stderr, as JSON or logfmt:
///
///     {"ts":"2025-01-02T03:04:05.678Z","level":"info","logger":"tessera","msg":"access","request-id":"…","status":"200"}
///     ts=2025-01-02T03:04:05.678Z level=info logger=tessera msg=access request-id=… status=200
///
/// Metadata whose name says it holds a secret (authorization, signature, secret, password, token,
/// credential) is written as "[redacted]", whatever a caller passes.
public struct TesseraLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let format: LogFormat
    let output: LogOutput

    public init(label: String, format: LogFormat, output: LogOutput = .standardError) {
        self.label = label
        self.format = format
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all: Logger.Metadata
        if metadata.isEmpty && metadataProvider == nil {
            all = event.metadata ?? [:]  // the access-log case: no copies
        } else {
            all = metadata
            if let provided = metadataProvider?.get() { all.merge(provided) { _, new in new } }
            if let m = event.metadata { all.merge(m) { _, new in new } }
        }
        // Info and below (access lines) are batched; a warning or an error goes out at once, after them.
        output.write(Self.render(format: format, timestamp: Date(), level: event.level, label: label,
                                 message: event.message.description, metadata: all, source: event.source),
                     batched: event.level <= .info)
    }

    /// Names that mark a secret; matched case-insensitively as substrings.
    static let secretMarkers = ["authorization", "signature", "secret", "password", "token", "credential"]

    static func isSecret(_ key: String) -> Bool {
        if plainKeys.contains(key) { return false }
        // Bytewise: Foundation's String.contains(String) went through CFStringFind, ~7% of a small GET.
        let k = Array(key.utf8).map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }
        return secretMarkerBytes.contains { marker in
            k.count >= marker.count && (0...(k.count - marker.count)).contains { i in k[i..<(i + marker.count)].elementsEqual(marker) }
        }
    }
    static let secretMarkerBytes = secretMarkers.map { Array($0.utf8) }
    /// The access line's names, known to hold no secret: not searched on every line.
    static let plainKeys: Set<String> = ["request-id", "key-id", "op", "method", "bucket", "key", "status", "bytes-in", "bytes-out",
                                         "duration-ms", "error"]

    /// One line, fields in a fixed order (ts, level, logger, msg, then metadata by name), built in one
    /// string: the access line is written for every request.
    public static func render(format: LogFormat, timestamp: Date, level: Logger.Level, label: String, message: String,
                              metadata: Logger.Metadata, source: String? = nil) -> String {
        var out = format == .json ? "{" : ""
        out.reserveCapacity(320)
        var first = true
        func add(_ name: String, _ value: String) {
            switch format {
            case .json:
                if !first { out += "," }
                appendJSON(name, to: &out); out += ":"; appendJSON(value, to: &out)
            case .logfmt:
                if !first { out += " " }
                out += logfmtKey(name); out += "="; out += logfmtValue(value)
            }
            first = false
        }
        add("ts", timestampString(timestamp))
        add("level", level.rawValue)
        add("logger", label)
        add("msg", message)
        for key in metadata.keys.sorted() {
            add(key, isSecret(key) ? "[redacted]" : flatten(metadata[key]!))
        }
        out += format == .json ? "}\n" : "\n"
        return out
    }

    static func flatten(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let s): return s
        case .stringConvertible(let c): return c.description
        case .array(let a): return "[" + a.map(flatten).joined(separator: ",") + "]"
        case .dictionary(let d):
            return "{" + d.keys.sorted().map { "\($0)=\(isSecret($0) ? "[redacted]" : flatten(d[$0]!))" }.joined(separator: ",") + "}"
        }
    }

    static func timestampString(_ date: Date) -> String { S3Time.iso8601(date) }

    /// "12.345" (three decimals) without String(format:).
    static func milliseconds(_ ms: Double) -> String {
        let thousandths = Int((max(0, ms) * 1000).rounded())
        let frac = thousandths % 1000
        return "\(thousandths / 1000)." + (frac < 10 ? "00" : frac < 100 ? "0" : "") + "\(frac)"
    }

    static func jsonString(_ s: String) -> String {
        var out = ""
        appendJSON(s, to: &out)
        return out
    }

    static func appendJSON(_ s: String, to out: inout String) {
        out += "\""
        defer { out += "\"" }
        // Most names and values need no escapes.
        if isJSONPlain(s) {
            out += s
            return
        }
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20 || u.value == 0x7F: out += "\\u00" + Hex.encode(CollectionOfOne(UInt8(u.value)))
            default: out.unicodeScalars.append(u)
            }
        }
    }

    static func logfmtKey(_ s: String) -> String {
        if s.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "=") && $0 != UInt8(ascii: "\"") }) { return s }
        return String(s.unicodeScalars.map { $0 == " " || $0 == "=" || $0 == "\"" || $0.value < 0x21 ? "_" : Character($0) })
    }

    /// Bare when it has no spaces, quotes, '=' or control characters; else quoted with escapes.
    static func logfmtValue(_ s: String) -> String {
        isLogfmtBare(s) ? s : jsonString(s)
    }

    static func isLogfmtBare(_ s: String) -> Bool {
        // Bytewise: every byte of a multi-byte UTF-8 sequence is >= 0x80, so none is mistaken for these.
        !s.isEmpty && !s.utf8.contains { $0 == 0x20 || $0 == UInt8(ascii: "=") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 < 0x20 || $0 == 0x7F }
    }

    /// Needs no escape inside JSON quotes.
    static func isJSONPlain(_ s: String) -> Bool {
        s.utf8.allSatisfy { $0 >= 0x20 && $0 != 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
    }
}

/// Where log lines go, whole lines only, serialized, so lines from different threads never interleave.
///
/// Batched lines (the access log) are written together at most `flushInterval` later, or as soon as
/// `bufferLimit` bytes wait, instead of a write(2) on every request's path. Any other line
/// is written at once, with the batch before it; `flush()` is called when the daemon stops. A SIGKILL
/// can lose the last `flushInterval` of access lines, never a warning or an error.
public final class LogOutput: @unchecked Sendable {
    private let lock = NSLock()
    private let fd: Int32
    private var pending: [UInt8] = []
    private var flushScheduled = false
    private let timer = DispatchQueue(label: "tessera.log-flush")
    static let flushInterval = DispatchTimeInterval.milliseconds(50)
    static let bufferLimit = 64 << 10
    public static let standardError = LogOutput(fd: 2)

    public init(fd: Int32) { self.fd = fd }

    func write(_ line: String, batched: Bool = false) {
        write(bytes: line.utf8, batched: batched)
    }

    func write(bytes line: some Collection<UInt8>, batched: Bool) {
        lock.lock(); defer { lock.unlock() }
        pending.append(contentsOf: line)
        if !batched || pending.count >= Self.bufferLimit {
            drainLocked()
        } else if !flushScheduled {
            flushScheduled = true
            timer.asyncAfter(deadline: .now() + Self.flushInterval) { self.flush() }
        }
    }

    /// Writes whatever waits.
    public func flush() {
        lock.lock(); defer { lock.unlock() }
        drainLocked()
    }

    private func drainLocked() {
        flushScheduled = false
        guard !pending.isEmpty else { return }
        pending.withUnsafeBytes { p in
            var done = 0
            while done < p.count {
                let n = Foundation.write(fd, p.baseAddress! + done, p.count - done)
                if n < 0 { if errno == EINTR { continue }; break }
                done += n
            }
        }
        pending.removeAll(keepingCapacity: pending.count <= Self.bufferLimit)
    }
}
