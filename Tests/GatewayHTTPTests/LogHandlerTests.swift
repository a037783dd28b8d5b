import Foundation
import Logging
import Testing
@testable import GatewayHTTP

@Suite struct LogHandlerTests {
    let ts = Date(timeIntervalSince1970: 1_700_000_000.25)

    @Test func logfmtLine() {
        let line = TesseraLogHandler.render(format: .logfmt, timestamp: ts, level: .info, label: "tessera", message: "access",
                                            metadata: ["status": "200", "key": "a b=c", "empty": ""])
        #expect(line == "ts=2023-11-14T22:13:20.250Z level=info logger=tessera msg=access empty=\"\" key=\"a b=c\" status=200\n")
    }

    @Test func jsonLineParses() throws {
        let line = TesseraLogHandler.render(format: .json, timestamp: ts, level: .warning, label: "tessera", message: "say \"hi\"\n",
                                            metadata: ["key": "dir/\u{1}x", "n": .stringConvertible(5)])
        #expect(line.hasSuffix("}\n"))
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(obj["level"] == "warning")
        #expect(obj["msg"] == "say \"hi\"\n")
        #expect(obj["key"] == "dir/\u{1}x")
        #expect(obj["n"] == "5")
        #expect(obj["ts"] == "2023-11-14T22:13:20.250Z")
    }

    @Test func jsonLineIsExactWithAndWithoutEscapes() {
        let line = TesseraLogHandler.render(format: .json, timestamp: ts, level: .info, label: "t", message: "m",
                                            metadata: ["plain": "a/b ü", "quoted": "x\"y\\z\t", "del": "\u{7F}"])
        #expect(line == #"{"ts":"2023-11-14T22:13:20.250Z","level":"info","logger":"t","msg":"m","del":"\u007f","plain":"a/b ü","quoted":"x\"y\\z\t"}"# + "\n")
    }

    @Test func secretsAreRedactedWhateverTheCaller() {
        let line = TesseraLogHandler.render(format: .logfmt, timestamp: ts, level: .info, label: "t", message: "m", metadata: [
            "Authorization": "AWS4-HMAC-SHA256 Credential=AK/…, Signature=abc", "secret-key": "s3cr3t", "x-file-password": "pw",
            "bearer-token": "b3arerv4lue", "X-Amz-Signature": "5ig4ture", "key-id": "AKIDEXAMPLE",
        ])
        for secret in ["Signature=abc", "s3cr3t", "pw", "b3arerv4lue", "5ig4ture"] { #expect(!line.contains(secret)) }
        #expect(line.contains("key-id=AKIDEXAMPLE"))
    }

    /// Access lines are batched; a warning writes the batch and itself at once, in order; a lone batch
    /// goes out by itself shortly after, and `flush()` writes it now.
    @Test func batchedLinesKeepTheirOrderAndGoOut() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("log-\(UUID().uuidString)").path
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        #expect(fd >= 0)
        defer { close(fd); unlink(path) }
        let out = LogOutput(fd: fd)
        func text() -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

        out.write("a1\n", batched: true)
        out.write("a2\n", batched: true)
        out.write("w\n")
        #expect(text() == "a1\na2\nw\n")

        out.write("a3\n", batched: true)
        let deadline = Date().addingTimeInterval(5)
        while text() != "a1\na2\nw\na3\n" && Date() < deadline { usleep(10_000) }
        #expect(text() == "a1\na2\nw\na3\n")   // by the timer

        out.write("a4\n", batched: true)
        out.flush()
        #expect(text() == "a1\na2\nw\na3\na4\n")
        out.flush()                                // nothing twice
        #expect(text() == "a1\na2\nw\na3\na4\n")
    }

    /// The access line is rendered straight from its fields: byte for byte what the handler makes of
    /// the same fields as metadata, in both formats, whatever the values hold.
    @Test(arguments: LogFormat.allCases) func accessLineMatchesTheGeneralRenderer(format: LogFormat) {
        let values = ["", "plain", "a b", "x=y", "q\"uote", "back\\slash", "tab\t", "nl\n", "\u{1}", "\u{7F}", "ü/ñ 日本",
                      "dir/file.txt", "-"]
        var generator = SystemRandomNumberGenerator()
        for i in 0..<400 {
            func pick() -> String { values.randomElement(using: &generator)! }
            let line = AccessLine(requestID: pick(), keyID: pick(), operation: pick(), method: pick(), bucket: pick(), key: pick(),
                                  status: [200, 404, 503][i % 3], bytesIn: [0, 4096, -1, Int64.max, Int64.min][i % 5],
                                  bytesOut: Int64(i) * 1_000_003, milliseconds: [0, 0.0004, 0.0005, 1.5, 12.3456, 99_999.9999][i % 6],
                                  error: i % 5 == 0 ? nil : pick())
            let label = i % 7 == 0 ? pick() : "tessera"
            let fast = String(decoding: line.render(format: format, timestamp: ts.addingTimeInterval(Double(i) * 3.7), label: label),
                              as: UTF8.self)
            let general = TesseraLogHandler.render(format: format, timestamp: ts.addingTimeInterval(Double(i) * 3.7), level: .info,
                                                   label: label, message: "access", metadata: line.metadata)
            #expect(fast == general)
        }
    }

    /// S3's two time formats against Foundation's formatters, over dates spread across years, months and days.
    @Test func s3TimeFormats() {
        let http = DateFormatter()
        http.locale = Locale(identifier: "en_US_POSIX")
        http.timeZone = TimeZone(identifier: "GMT")
        http.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let iso = DateFormatter()
        iso.locale = Locale(identifier: "en_US_POSIX")
        iso.timeZone = TimeZone(identifier: "GMT")
        iso.dateFormat = "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"
        for i in 0..<2000 {
            // Eighths of a second are exact in binary: truncation and rounding agree on their milliseconds.
            let date = Date(timeIntervalSince1970: Double(i) * 1_234_567 + Double(i % 8) / 8)
            #expect(S3Time.http(date) == http.string(from: date))
            #expect(S3Time.iso8601(date) == iso.string(from: date))
        }
        #expect(S3Time.iso8601(ts) == "2023-11-14T22:13:20.250Z")
        #expect(S3Time.http(ts) == "Tue, 14 Nov 2023 22:13:20 GMT")
    }
}
