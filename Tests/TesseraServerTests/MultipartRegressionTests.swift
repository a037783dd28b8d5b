import NIOCore
import Testing
@testable import TesseraServer

/// Crashes the formdata fuzz target found (inputs kept in Fuzz/corpus/formdata/regression-*).
@Suite struct MultipartRegressionTests {
    /// MultipartKit 4.7.1 indexed a 128-entry table with any header-name byte: one byte >= 0x80 in a
    /// part header's name trapped (PostObject and the task API's chunk upload; no credentials needed
    /// for PostObject). It is a syntax error now, before and after any other part.
    @Test func headerNameByteAbove127IsASyntaxError() {
        for byte: UInt8 in [0x80, 0x8b, 0xc3, 0xff] {
            for prefix in ["", "Content-Disposition: form-data; name=\"a\"\r\n"] {
                let parser = MultipartParser(boundary: "b")
                var headers: [String] = []
                parser.onHeader = { name, _ in headers.append(name) }
                var body = Array("--b\r\n\(prefix)Content-Dis".utf8)
                body += [byte] + Array("osition: form-data; name=\"file\"\r\n\r\ndata\r\n--b--\r\n".utf8)
                #expect(throws: (any Error).self) { try parser.execute(ByteBuffer(bytes: body)) }
                #expect(headers == (prefix.isEmpty ? [] : ["Content-Disposition"]))
            }
        }
        // Bytes >= 0x80 in header values and in data are fine.
        let parser = MultipartParser(boundary: "b")
        var value = ""
        var data: [UInt8] = []
        parser.onHeader = { _, v in value = v }
        parser.onBody = { data += $0.readableBytesView }
        let body = Array("--b\r\nContent-Disposition: form-data; name=\"na\u{EF}ve\"\r\n\r\n".utf8) + [0xff, 0x80]
            + Array("\r\n--b--\r\n".utf8)
        #expect(throws: Never.self) { try parser.execute(ByteBuffer(bytes: body)) }
        #expect(value == "form-data; name=\"na\u{EF}ve\"")
        #expect(data == [0xff, 0x80])
    }

    /// `boundary=""` gave the task API's chunk endpoint an empty boundary, on which MultipartParser's
    /// precondition trapped. No boundary means 400 now, as for a missing one.
    @Test func emptyBoundaryIsNoBoundary() {
        #expect(FormFieldStream.boundary("multipart/form-data; boundary=\"\"") == nil)
        #expect(FormFieldStream.boundary("multipart/form-data; boundary=\"") == nil)
        #expect(FormFieldStream.boundary("multipart/form-data; boundary=") == nil)
        #expect(FormFieldStream.boundary("multipart/form-data; boundary=\"abc\"") == "abc")
        #expect(FormFieldStream.boundary("Multipart/Form-Data; charset=utf-8; Boundary=x-1") == "x-1")
    }
}
