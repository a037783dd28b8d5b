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

    @Test func secretsAreRedactedWhateverTheCaller() {
        let line = TesseraLogHandler.render(format: .logfmt, timestamp: ts, level: .info, label: "t", message: "m", metadata: [
            "Authorization": "AWS4-HMAC-SHA256 Credential=AK/…, Signature=abc", "secret-key": "s3cr3t", "x-file-password": "pw",
            "bearer-token": "b3arerv4lue", "X-Amz-Signature": "5ig4ture", "key-id": "AKIDEXAMPLE",
        ])
        for secret in ["Signature=abc", "s3cr3t", "pw", "b3arerv4lue", "5ig4ture"] { #expect(!line.contains(secret)) }
        #expect(line.contains("key-id=AKIDEXAMPLE"))
    }
}
