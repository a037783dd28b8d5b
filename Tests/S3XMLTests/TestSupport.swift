import S3XML
import Testing

extension String {
    var bytes: [UInt8] { Array(utf8) }
}

/// Asserts that `parse` rejects `body` with the given S3 error code.
func expectError<T>(_ body: [UInt8], code: String = "MalformedXML",
                    sourceLocation: SourceLocation = #_sourceLocation,
                    _ parse: ([UInt8]) throws(S3XMLError) -> T) {
    do {
        let value = try parse(body)
        Issue.record("expected \(code), parsed \(value)", sourceLocation: sourceLocation)
    } catch {
        #expect(error.code == code, "reason: \(error.reason)", sourceLocation: sourceLocation)
    }
}

func expectError<T>(_ body: String, code: String = "MalformedXML",
                    sourceLocation: SourceLocation = #_sourceLocation,
                    _ parse: ([UInt8]) throws(S3XMLError) -> T) {
    expectError(body.bytes, code: code, sourceLocation: sourceLocation, parse)
}
