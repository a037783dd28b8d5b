import FormData
import XCTest

/// What the parser reported, with consecutive body pieces joined (how a body is cut into pieces
/// depends on the chunks; its bytes must not).
enum Seen: Equatable, CustomStringConvertible {
    case header(String, String)
    case body([UInt8])
    case partEnd
    case end
    case error(MultipartFormError)

    var description: String {
        switch self {
        case .header(let n, let v): return "header(\(n): \(v))"
        case .body(let b): return "body(\(String(decoding: b, as: UTF8.self).debugDescription))"
        case .partEnd: return "partEnd"
        case .end: return "end"
        case .error(let e): return "error(\(e))"
        }
    }
}

/// Feeds `chunks` one after another, then calls `finish()`; an error ends the list.
func parse(_ boundary: String, _ chunks: [[UInt8]], finish: Bool = true) -> [Seen] {
    var seen: [Seen] = []
    do {
        var parser = try MultipartFormParser(boundary: boundary)
        for chunk in chunks {
            try parser.feed(chunk) { event in
                switch event {
                case .header(let name, let value):
                    seen.append(.header(name, String(decoding: value, as: UTF8.self)))
                case .body(let bytes):
                    XCTAssertFalse(bytes.isEmpty, "an empty body event")
                    if case .body(let before) = seen.last {
                        seen[seen.count - 1] = .body(before + bytes)
                    } else {
                        seen.append(.body(Array(bytes)))
                    }
                case .partEnd: seen.append(.partEnd)
                case .end: seen.append(.end)
                }
            }
        }
        if finish { try parser.finish() }
    } catch {
        seen.append(.error(error))
    }
    return seen
}

func parse(_ boundary: String, _ body: String, finish: Bool = true) -> [Seen] {
    parse(boundary, [Array(body.utf8)], finish: finish)
}

func body(_ text: String) -> Seen { .body(Array(text.utf8)) }

final class MultipartFormParserTests: XCTestCase {
    /// Parses `body` whole, byte by byte, and cut in two at every position: all must agree with `expected`.
    func assertEverySplit(
        _ boundary: String, _ body: [UInt8], _ expected: [Seen], file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(parse(boundary, [body]), expected, "whole", file: file, line: line)
        XCTAssertEqual(parse(boundary, body.map { [$0] }), expected, "byte by byte", file: file, line: line)
        for cut in 0...body.count {
            let seen = parse(boundary, [Array(body[..<cut]), Array(body[cut...])])
            XCTAssertEqual(seen, expected, "cut at \(cut)", file: file, line: line)
            if seen != expected { return }
        }
    }

    // MARK: RFC examples

    /// RFC 2046 §5.1.1's example: preamble, a part with no headers, a typed part, epilogue; a boundary
    /// with a space in it.
    func testRFC2046Example() {
        let text = """
            This is the preamble.  It is to be ignored, though it\r
            is a handy place for composition agents to include an\r
            explanatory note to non-MIME conformant readers.\r
            \r
            --simple boundary\r
            \r
            This is implicitly typed plain US-ASCII text.\r
            It does NOT end with a linebreak.\r
            --simple boundary\r
            Content-type: text/plain; charset=us-ascii\r
            \r
            This is explicitly typed plain US-ASCII text.\r
            It DOES end with a linebreak.\r
            \r
            --simple boundary--\r
            \r
            This is the epilogue.  It is also to be ignored.\r

            """
        assertEverySplit("simple boundary", Array(text.utf8), [
            body("This is implicitly typed plain US-ASCII text.\r\nIt does NOT end with a linebreak."), .partEnd,
            .header("Content-type", "text/plain; charset=us-ascii"),
            body("This is explicitly typed plain US-ASCII text.\r\nIt DOES end with a linebreak.\r\n"), .partEnd,
            .end,
        ])
    }

    /// RFC 7578 §4.5's part, in a form with a file part after it (as RFC 7578 §4.2 / PostObject send).
    func testRFC7578Form() {
        let text = """
            --AaB03x\r
            content-disposition: form-data; name="field1"\r
            content-type: text/plain;charset=UTF-8\r
            content-transfer-encoding: quoted-printable\r
            \r
            Joe owes =E2=82=AC100.\r
            --AaB03x\r
            Content-Disposition: form-data; name="file"; filename="file1.txt"\r
            Content-Type: text/plain\r
            \r
            ... contents of file1.txt ...\r
            --AaB03x--\r

            """
        assertEverySplit("AaB03x", Array(text.utf8), [
            .header("content-disposition", "form-data; name=\"field1\""),
            .header("content-type", "text/plain;charset=UTF-8"),
            .header("content-transfer-encoding", "quoted-printable"),
            body("Joe owes =E2=82=AC100."), .partEnd,
            .header("Content-Disposition", "form-data; name=\"file\"; filename=\"file1.txt\""),
            .header("Content-Type", "text/plain"),
            body("... contents of file1.txt ..."), .partEnd,
            .end,
        ])
    }

    // MARK: preamble, epilogue, padding

    func testPreambleIsIgnoredAndDashBoundaryCountsOnlyAtStartOrAfterCRLF() {
        // "--b" inside a preamble line is not a delimiter: taking it for one would make
        // "not a header" a header line (a syntax error).
        let text = "junk--b\r\nnot a header\r\n-\r\n--\r\n--b\r\nH: v\r\n\r\ndata\r\n--b--"
        assertEverySplit("b", Array(text.utf8), [.header("H", "v"), body("data"), .partEnd, .end])
        // The preamble may be just the CRLF before the first delimiter.
        XCTAssertEqual(parse("b", "\r\n--b\r\n\r\nx\r\n--b--"), [body("x"), .partEnd, .end])
    }

    func testEpilogueIsIgnored() {
        let text = "--b\r\n\r\nx\r\n--b--\r\n--b\r\nnot a header\r\n\r\n\u{0}\r\n--b--\r\n"
        assertEverySplit("b", Array(text.utf8), [body("x"), .partEnd, .end])
        // So are later chunks, and the close delimiter needs nothing after it.
        XCTAssertEqual(parse("b", [Array("--b\r\n\r\nx\r\n--b--".utf8), Array("\r\n\0garbage\r\n--b\r\n :\r".utf8)]),
                       [body("x"), .partEnd, .end])
    }

    func testTransportPaddingAfterBoundaries() {
        let text = "--b \t \r\nA: 1\r\n\r\nx\r\n--b\t\r\n\r\ny\r\n--b--  \t\r\n"
        assertEverySplit("b", Array(text.utf8), [.header("A", "1"), body("x"), .partEnd, body("y"), .partEnd, .end])
    }

    func testWhatMayFollowABoundary() {
        // The boundary line's end: only "--", padding then CRLF, or CRLF.
        for bad in ["--bX\r\n", "--b-\r\n", "--b -\r\n", "--b \tx\r\n", "--b\n", "--b -- \r\n"] {
            XCTAssertEqual(parse("b", bad + "\r\n\r\n--b--"), [.error(.malformedDelimiterLine)], bad.debugDescription)
        }
        // The same after a part's data: the part is not complete.
        XCTAssertEqual(parse("b", "--b\r\n\r\nx\r\n--bb\r\n"), [body("x"), .error(.malformedDelimiterLine)])
        XCTAssertEqual(parse("b", "--b\r\n\r\nx\r\n--b-x"), [body("x"), .error(.malformedDelimiterLine)])
    }

    // MARK: delimiters split across chunks, near misses

    func testNearMissDelimitersAreData() {
        let data = "a\r\n--boundar\r\n--boundarX\r\n--boundarY-\r\n-\r\r\r\n\r\n\r--boundary!-\r\n--bou\r\r\n--boundar"
        // "--boundary!" after a CRLF would be a delimiter; here it follows a lone CR, so it is data.
        let text = "--boundary\r\n\r\n" + data + "\r\n--boundary--"
        assertEverySplit("boundary", Array(text.utf8), [body(data), .partEnd, .end])
    }

    func testDataEndingInPartsOfTheDelimiter() {
        // The data's last bytes are a prefix of the delimiter, then the delimiter: the parser must not
        // lose or duplicate the held-back bytes.
        for tail in ["\r", "\r\n", "\r\n-", "\r\n--", "\r\n--b", "\r\n--bn", "\r\r", "\r\n\r\n--"] {
            let text = "--bnd\r\n\r\nx" + tail + "\r\n--bnd--"
            assertEverySplit("bnd", Array(text.utf8), [body("x" + tail), .partEnd, .end])
        }
    }

    func testChunkEndingInsideAPossibleDelimiterHoldsOnlyThoseBytes() throws {
        var parser = try MultipartFormParser(boundary: "bnd")
        var received: [UInt8] = []
        try parser.feed(Array("--bnd\r\n\r\n".utf8)) { if case .body(let b) = $0 { received += b } }
        // Plain data is handed on at once, all of it.
        try parser.feed(Array(repeating: UInt8(ascii: "x"), count: 1000)) { if case .body(let b) = $0 { received += b } }
        XCTAssertEqual(received.count, 1000)
        // "\r\n-" may begin the delimiter: only those 3 bytes wait.
        try parser.feed(Array("yz\r\n-".utf8)) { if case .body(let b) = $0 { received += b } }
        XCTAssertEqual(received.count, 1002)
        // They were data after all.
        try parser.feed(Array("q".utf8)) { if case .body(let b) = $0 { received += b } }
        XCTAssertEqual(received.count, 1006)
        XCTAssertEqual(Array(received.suffix(6)), Array("yz\r\n-q".utf8))
    }

    func testBodyBytesPointIntoTheChunk() throws {
        var parser = try MultipartFormParser(boundary: "b")
        let chunk = Array("--b\r\n\r\n".utf8) + Array(repeating: 7, count: 100_000) + Array("\r\n--b--".utf8)
        var pieces = 0
        try chunk.withUnsafeBytes { raw in
            try parser.feed(raw) { event in
                guard case .body(let bytes) = event else { return }
                pieces += 1
                XCTAssertEqual(bytes.count, 100_000)
                XCTAssertEqual(bytes.baseAddress, raw.baseAddress! + 7, "the part's bytes were copied")
            }
        }
        XCTAssertEqual(pieces, 1)
        XCTAssertTrue(parser.isComplete)
    }

    // MARK: line endings

    func testCRWithoutLF() {
        XCTAssertEqual(parse("b", "--b\r\nA: 1\rB: 2\r\n\r\nx\r\n--b--"), [.error(.bareCarriageReturn)])
        XCTAssertEqual(parse("b", "--b\r\nA: 1\r\n\rx\r\n--b--"), [.header("A", "1"), .error(.bareCarriageReturn)])
        XCTAssertEqual(parse("b", "--b\rA: 1\r\n\r\nx\r\n--b--"), [.error(.bareCarriageReturn)])
        XCTAssertEqual(parse("b", "--b\r\n\r\nx\r\n--b \r \r\n"), [body("x"), .error(.bareCarriageReturn)])
        // In data a lone CR is just a byte.
        XCTAssertEqual(parse("b", "--b\r\n\r\n\rx\r\r\n--b--"), [body("\rx\r"), .partEnd, .end])
    }

    func testBareLFIsNotALineEnd() {
        // In a name it is not a token character; in a value it is kept.
        XCTAssertEqual(parse("b", "--b\r\nA\n: 1\r\n\r\n\r\n--b--"), [.error(.malformedHeader)])
        XCTAssertEqual(parse("b", "--b\r\nA: 1\nB: 2\r\n\r\n\r\n--b--"), [.header("A", "1\nB: 2"), .partEnd, .end])
    }

    // MARK: truncated input

    func testMissingCloseDelimiter() {
        XCTAssertEqual(parse("b", ""), [.error(.truncated)])
        XCTAssertEqual(parse("b", "preamble only"), [.error(.truncated)])
        XCTAssertEqual(parse("b", "--b\r\nA: 1\r\n"), [.header("A", "1"), .error(.truncated)])
        // The last part's data arrives, but the part never ends.
        XCTAssertEqual(parse("b", "--b\r\n\r\nx"), [body("x"), .error(.truncated)])
        XCTAssertEqual(parse("b", "--b\r\n\r\nx\r\n--b"), [body("x"), .error(.truncated)])
        XCTAssertEqual(parse("b", "--b\r\n\r\nx\r\n--b-"), [body("x"), .error(.truncated)])
        XCTAssertEqual(parse("b", "--b\r\n\r\nx\r\n--b\r\n"), [body("x"), .partEnd, .error(.truncated)])
        XCTAssertEqual(parse("b", "--b\r\n\r\nx\r\n--b--"), [body("x"), .partEnd, .end])
    }

    // MARK: headers

    func testHeaderValuesAreTrimmedAndMayHoldAnyByteButCR() {
        let value: [UInt8] = [0x20, 0x09, 0x61, 0xC3, 0xAF, 0x00, 0xFF, 0x20, 0x62, 0x09, 0x20]
        let text = Array("--b\r\nX-Name:".utf8) + value + Array("\r\nEmpty:\r\nSpaces: \t \r\n\r\n\r\n--b--".utf8)
        var values: [[UInt8]] = []
        var parser = try! MultipartFormParser(boundary: "b")
        XCTAssertNoThrow(try parser.feed(text) { if case .header(_, let v) = $0 { values.append(Array(v)) } })
        XCTAssertEqual(values, [[0x61, 0xC3, 0xAF, 0x00, 0xFF, 0x20, 0x62], [], []])
        XCTAssertTrue(parser.isComplete)
    }

    func testHeaderNameBytes() {
        let tchars = Set("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
        for byte in 0...255 {
            let b = UInt8(byte)
            if b == UInt8(ascii: ":") || b == 0x0D { continue }
            let text = Array("--b\r\nA".utf8) + [b] + Array("Z: v\r\n\r\n\r\n--b--".utf8)
            let seen = parse("b", [text])
            if tchars.contains(b) {
                XCTAssertEqual(seen, [.header("A" + String(UnicodeScalar(b)) + "Z", "v"), .partEnd, .end], "byte \(byte)")
            } else {
                XCTAssertEqual(seen, [.error(.malformedHeader)], "byte \(byte)")
            }
        }
    }

    /// The formdata fuzz target's first find (in MultipartKit 4.7.1, which this parser replaced): a
    /// header-name byte >= 0x80 indexed past a 128-entry table. A syntax error, before or after another
    /// header, and whether or not it arrives alone.
    func testHeaderNameByteAbove127() {
        for byte: UInt8 in [0x80, 0x8B, 0xC3, 0xFF] {
            for prefix in ["", "Content-Disposition: form-data; name=\"a\"\r\n"] {
                let text = Array("--b\r\n\(prefix)Content-Dis".utf8) + [byte]
                    + Array("osition: form-data; name=\"file\"\r\n\r\ndata\r\n--b--\r\n".utf8)
                let expected: [Seen] = (prefix.isEmpty ? [] : [.header("Content-Disposition", "form-data; name=\"a\"")])
                    + [.error(.malformedHeader)]
                XCTAssertEqual(parse("b", [text]), expected)
                XCTAssertEqual(parse("b", text.map { [$0] }), expected)
            }
        }
    }

    func testMalformedHeaderLines() {
        for line in [": v", " A: v", "\tA: v", "A", "A B: v", "A\u{0}: v", "Ä: v", "A;: v", "A\u{7F}: v"] {
            XCTAssertEqual(parse("b", "--b\r\n\(line)\r\n\r\nx\r\n--b--"), [.error(.malformedHeader)], line.debugDescription)
        }
        // A colon in the value is the value's.
        XCTAssertEqual(parse("b", "--b\r\nA::b: c\r\n\r\n\r\n--b--"), [.header("A", ":b: c"), .partEnd, .end])
    }

    func testHeaderBlockLimit() {
        let limit = MultipartFormParser.maxHeaderBlockBytes
        // "X: " + value + CRLF + CRLF: 7 bytes besides the value.
        func form(_ valueLength: Int) -> String {
            "--b\r\nX: " + String(repeating: "v", count: valueLength) + "\r\n\r\nx\r\n--b--"
        }
        XCTAssertEqual(parse("b", form(limit - 7)).last, .end)
        // The header line is complete; the empty line's LF is one byte too many.
        let over = parse("b", form(limit - 6))
        XCTAssertEqual(over.count, 2)
        XCTAssertEqual(over.last, .error(.headerBlockTooLarge))
        XCTAssertEqual(parse("b", "--b\r\nX: " + String(repeating: "v", count: limit)), [.error(.headerBlockTooLarge)])
        // The limit is on the block, not one line.
        let many = String(repeating: "A: " + String(repeating: "v", count: 95) + "\r\n", count: limit / 100 + 1)
        XCTAssertEqual(parse("b", "--b\r\n" + many + "\r\n\r\n--b--"), [.header("A", String(repeating: "v", count: 95))]
            + Array(repeating: .header("A", String(repeating: "v", count: 95)), count: limit / 100 - 1) + [.error(.headerBlockTooLarge)])
        // It is per part: each of these blocks is just under it. (dropFirst: "\r\n" is one Character.)
        let part = "\r\n--b\r\nX: " + String(repeating: "v", count: limit - 7) + "\r\n\r\nx"
        XCTAssertEqual(parse("b", String(part.dropFirst()) + part + part + "\r\n--b--").filter { $0 == .partEnd }.count, 3)
        // Unending header data fails at the limit, whatever the chunks.
        var parser = try! MultipartFormParser(boundary: "b")
        var failed: MultipartFormError?
        do {
            try parser.feed(Array("--b\r\nX: ".utf8)) { _ in }
            for _ in 0..<100 { try parser.feed(Array(repeating: UInt8(ascii: "v"), count: 1000)) { _ in } }
        } catch {
            failed = error
        }
        XCTAssertEqual(failed, .headerBlockTooLarge)
    }

    // MARK: parts

    func testEmptyParts() {
        let text = "--b\r\n\r\n\r\n--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\"\r\n\r\n\r\n--b\r\n\r\n\r\n--b--"
        assertEverySplit("b", Array(text.utf8), [
            .partEnd,
            .header("Content-Disposition", "form-data; name=\"file\"; filename=\"\""), .partEnd,
            .partEnd, .end,
        ])
        // A form with no part at all.
        XCTAssertEqual(parse("b", "--b--\r\n"), [.end])
        XCTAssertEqual(parse("b", "preamble\r\n--b--"), [.end])
    }

    /// RFC 2046: body-part := MIME-part-headers [CRLF *OCTET]. Without the optional part, the header
    /// block's last CRLF is the delimiter's: the part has no body, and what follows is the next part.
    func testPartWithoutABodySection() {
        let text = "--b\r\nA: 1\r\n\r\n--b\r\nB: 2\r\n\r\nx\r\n--b\r\n\r\n--b--"
        assertEverySplit("b", Array(text.utf8), [.header("A", "1"), .partEnd, .header("B", "2"), body("x"), .partEnd, .partEnd, .end])
        // A body that starts like a dash-boundary but is not one.
        for data in ["-", "--", "--c", "--bb", "-\r\n-", "--\r\n--c"] {
            let bad = data == "--bb"  // "--b" then "b": a delimiter followed by junk
            let text = "--b\r\nA: 1\r\n\r\n" + data + "\r\n--b--"
            assertEverySplit("b", Array(text.utf8), bad ? [.header("A", "1"), .error(.malformedDelimiterLine)]
                : [.header("A", "1"), body(data), .partEnd, .end])
        }
    }

    // MARK: boundaries

    func testEmptyBoundaryIsRefused() {
        XCTAssertThrowsError(try MultipartFormParser(boundary: "")) { XCTAssertEqual($0 as? MultipartFormError, .emptyBoundary) }
        XCTAssertThrowsError(try MultipartFormParser(boundary: [UInt8]())) { XCTAssertEqual($0 as? MultipartFormError, .emptyBoundary) }
        for bad in ["a\rb", "a\nb", "\r\n"] {
            XCTAssertThrowsError(try MultipartFormParser(boundary: bad)) { XCTAssertEqual($0 as? MultipartFormError, .invalidBoundary) }
        }
        XCTAssertNoThrow(try MultipartFormParser(boundary: "-"))
    }

    func testLongBoundaries() {
        let chars = Array("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=? ".utf8)
        for length in [1, 69, 70, 71, 200, 1000] {
            let boundary = String(decoding: (0..<length).map { chars[$0 % chars.count] }, as: UTF8.self)
            // Data with the delimiter minus its last byte, and with its last byte changed.
            let nearMiss = "\r\n--" + String(boundary.dropLast())
            let data = nearMiss + "\r\n" + nearMiss + "#" + nearMiss
            let text = "--\(boundary)\r\nA: 1\r\n\r\n\(data)\r\n--\(boundary)--"
            let expected: [Seen] = [.header("A", "1"), body(data), .partEnd, .end]
            if length <= 200 {
                assertEverySplit(boundary, Array(text.utf8), expected)
            } else {
                XCTAssertEqual(parse(boundary, [Array(text.utf8)]), expected, "length \(length)")
                XCTAssertEqual(parse(boundary, Array(text.utf8).map { [$0] }), expected, "length \(length), byte by byte")
            }
        }
    }

    func testDelimiterWithOtherBoundaryPrefix() {
        // Boundary "ab": data "\r\n--a" then "\r\n--ab" (the near miss overlaps the real one).
        let text = "--ab\r\n\r\n\r\n--a\r\n--ab--"
        assertEverySplit("ab", Array(text.utf8), [body("\r\n--a"), .partEnd, .end])
    }

    // MARK: API

    func testFeedingAfterAnErrorOrTheEnd() throws {
        var parser = try MultipartFormParser(boundary: "b")
        var events = 0
        try parser.feed(Array("--b\r\n\r\nx\r\n--b--".utf8)) { _ in events += 1 }
        XCTAssertEqual(events, 3)
        try parser.feed(Array("\r\n--b\r\n\r\ny".utf8)) { _ in events += 1 }
        XCTAssertEqual(events, 3)
        XCTAssertNoThrow(try parser.finish())
    }

    func testAnErrorIsFinal() throws {
        var parser = try MultipartFormParser(boundary: "b")
        var events = 0
        XCTAssertThrowsError(try parser.feed(Array("--b\r\nA\u{80}: 1\r\n".utf8)) { _ in events += 1 }) {
            XCTAssertEqual($0 as? MultipartFormError, .malformedHeader)
        }
        // What follows would parse as a header and a part; the parser stays failed instead.
        XCTAssertThrowsError(try parser.feed(Array("B: 2\r\n\r\nx\r\n--b--".utf8)) { _ in events += 1 }) {
            XCTAssertEqual($0 as? MultipartFormError, .malformedHeader)
        }
        XCTAssertThrowsError(try parser.finish()) { XCTAssertEqual($0 as? MultipartFormError, .malformedHeader) }
        XCTAssertEqual(events, 0)
        XCTAssertFalse(parser.isComplete)
    }

    func testNonContiguousCollections() throws {
        var parser = try MultipartFormParser(boundary: "b")
        var data: [UInt8] = []
        try parser.feed("--b\r\n\r\nhello\r\n--b--".utf8.lazy.map { $0 }) { if case .body(let b) = $0 { data += b } }
        XCTAssertEqual(data, Array("hello".utf8))
        XCTAssertTrue(parser.isComplete)
    }
}
