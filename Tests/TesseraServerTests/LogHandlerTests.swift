import Foundation
import Logging
import Testing
@testable import TesseraServer

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
}
