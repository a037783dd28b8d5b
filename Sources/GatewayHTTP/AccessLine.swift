import Foundation
import Logging
import WireFormats

/// One request's access-log fields, as `AccessRecord` has them when the request ends.
struct AccessLine {
    var requestID: String
    var keyID: String
    var operation: String
    var method: String
    var bucket: String
    var key: String
    var status: Int
    var bytesIn: Int64
    var bytesOut: Int64
    var milliseconds: Double
    var error: String?

    /// The fields as log metadata: what any log handler is given.
    var metadata: Logger.Metadata {
        var m: Logger.Metadata = [
            "request-id": .string(requestID), "key-id": .string(keyID), "op": .string(operation), "method": .string(method),
            "bucket": .string(bucket), "key": .string(key), "status": .string(String(status)), "bytes-in": .string(String(bytesIn)),
            "bytes-out": .string(String(bytesOut)), "duration-ms": .string(TesseraLogHandler.milliseconds(milliseconds)),
        ]
        if let error { m["error"] = .string(error) }
        return m
    }

    /// Logs the line at info. With Tessera's own handler (and no metadata of the logger's own), the line
    /// is rendered straight to bytes — the same bytes `TesseraLogHandler` makes of `metadata` — since
    /// building, sorting and rendering a metadata dictionary cost ~8% of a small GET's CPU.
    func log(to logger: Logger) {
        guard logger.logLevel <= .info else { return }
        if let handler = logger.handler as? TesseraLogHandler, handler.metadata.isEmpty, handler.metadataProvider == nil {
            handler.output.write(bytes: render(format: handler.format, timestamp: Date(), label: handler.label), batched: true)
        } else {
            logger.info("access", metadata: metadata)
        }
    }

    /// The line as `TesseraLogHandler.render` writes it: ts, level, logger, msg, then the fields by name.
    func render(format: LogFormat, timestamp: Date, label: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256 + key.utf8.count + bucket.utf8.count)
        let json = format == .json
        if json { out.append(UInt8(ascii: "{")) }
        var first = true
        // Names are plain ASCII without quotes, spaces or '=': written as they are (quoted in JSON).
        func name(_ n: StaticString) {
            if !first { out.append(json ? UInt8(ascii: ",") : UInt8(ascii: " ")) }
            first = false
            if json { out.append(UInt8(ascii: "\"")) }
            out.append(contentsOf: UnsafeBufferPointer(start: n.utf8Start, count: n.utf8CodeUnitCount))
            out.append(contentsOf: json ? #"":""#.utf8 : "=".utf8)
        }
        func text(_ n: StaticString, _ v: String) {
            name(n)
            if json {
                if TesseraLogHandler.isJSONPlain(v) { out.append(contentsOf: v.utf8) } else { appendEscaped(v) }
                out.append(UInt8(ascii: "\""))
            } else if TesseraLogHandler.isLogfmtBare(v) {
                out.append(contentsOf: v.utf8)
            } else {
                out.append(UInt8(ascii: "\"")); appendEscaped(v); out.append(UInt8(ascii: "\""))
            }
        }
        func appendEscaped(_ v: String) {
            var s = ""
            TesseraLogHandler.appendJSON(v, to: &s)
            out.append(contentsOf: s.utf8.dropFirst().dropLast())
        }
        // Numbers and timestamps need neither quotes (logfmt) nor escapes.
        func number(_ n: StaticString, _ v: Int64) {
            name(n)
            if v >= 0 { DecimalDigits.append(Int(v), to: &out) } else { out.append(contentsOf: String(v).utf8) }  // rare, and exact
            if json { out.append(UInt8(ascii: "\"")) }
        }

        name("ts"); S3Time.appendISO8601(timestamp, to: &out); if json { out.append(UInt8(ascii: "\"")) }
        text("level", Logger.Level.info.rawValue)
        text("logger", label)
        text("msg", "access")
        text("bucket", bucket)
        number("bytes-in", bytesIn)
        number("bytes-out", bytesOut)
        name("duration-ms")
        let thousandths = Int((max(0, milliseconds) * 1000).rounded())
        DecimalDigits.append(thousandths / 1000, to: &out)
        out.append(UInt8(ascii: "."))
        DecimalDigits.append(thousandths % 1000, width: 3, to: &out)
        if json { out.append(UInt8(ascii: "\"")) }
        if let error { text("error", error) }
        text("key", key)
        text("key-id", keyID)
        text("method", method)
        text("op", operation)
        text("request-id", requestID)
        number("status", Int64(status))
        out.append(contentsOf: json ? "}\n".utf8 : "\n".utf8)
        return out
    }
}
