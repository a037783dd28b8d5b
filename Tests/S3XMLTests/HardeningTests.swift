import S3XML
import Testing

@Suite struct HardeningTests {
    static let validComplete = #"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>4c50d81cd1595075c5e639217002e442</ETag></Part><Part><PartNumber>2</PartNumber><ETag>1283e95652bee15b095e41f4873a4b04</ETag></Part></CompleteMultipartUpload>"#

    static let dtdAttacks = [
        // Classic XXE through an external general entity.
        #"<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><Delete><Object><Key>&e;</Key></Object></Delete>"#,
        // Same, with an XML declaration first.
        #"<?xml version="1.0"?><!DOCTYPE Delete [<!ENTITY e SYSTEM "file:///etc/passwd">]><Delete><Object><Key>&e;</Key></Object></Delete>"#,
        // Parameter entity pulling an external DTD.
        #"<!DOCTYPE x [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]><Delete><Object><Key>k</Key></Object></Delete>"#,
        // External DTD subset only.
        #"<!DOCTYPE Delete SYSTEM "file:///etc/passwd"><Delete><Object><Key>k</Key></Object></Delete>"#,
        #"<!DOCTYPE Delete PUBLIC "-//x//y" "http://127.0.0.1:1/x.dtd"><Delete><Object><Key>k</Key></Object></Delete>"#,
        // Harmless-looking internal entity: any DTD is refused.
        #"<!DOCTYPE Delete [<!ENTITY e "k">]><Delete><Object><Key>&e;</Key></Object></Delete>"#,
        #"<!DOCTYPE Delete><Delete><Object><Key>k</Key></Object></Delete>"#,
    ]

    @Test(arguments: dtdAttacks)
    func doctypeIsMalformedAndLeaksNothing(_ body: String) {
        do {
            let result = try S3RequestXML.deleteObjects(body.bytes)
            Issue.record("parsed: \(result)")
        } catch {
            #expect(error.code == "MalformedXML")
            #expect(!"\(error)".contains("root:"))
        }
    }

    @Test func undeclaredEntityIsMalformed() {
        expectError("<Delete><Object><Key>&e;</Key></Object></Delete>", S3RequestXML.deleteObjects)
        expectError("<Delete><Object><Key>&#0;</Key></Object></Delete>", S3RequestXML.deleteObjects)
    }

    @Test func billionLaughsFailsFast() {
        var body = #"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">"#
        body += #"<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">"#
        for i in 2...9 {
            body += "<!ENTITY lol\(i) \"" + String(repeating: "&lol\(i - 1);", count: 10) + "\">"
        }
        body += "]><CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&lol9;</ETag></Part></CompleteMultipartUpload>"
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            expectError(body, S3RequestXML.completeMultipartUpload)
        }
        #expect(elapsed < .seconds(1))
    }

    @Test func deepNesting() {
        let thousand = String(repeating: "<a>", count: 1000) + String(repeating: "</a>", count: 1000)
        expectError("<Delete><Object><Key>k</Key></Object>\(thousand)</Delete>", S3RequestXML.deleteObjects)
    }

    @Test func depthLimitIsThirtyTwo() throws {
        // Root is depth 1, so 31 nested unknown elements reach exactly 32.
        func body(extraDepth: Int) -> String {
            "<Delete><Object><Key>k</Key></Object>" + String(repeating: "<a>", count: extraDepth)
                + String(repeating: "</a>", count: extraDepth) + "</Delete>"
        }
        #expect(try S3RequestXML.deleteObjects(body(extraDepth: 31).bytes).objects.count == 1)
        expectError(body(extraDepth: 32), S3RequestXML.deleteObjects)
    }

    @Test func everyTruncationIsMalformed() {
        let full = Self.validComplete.bytes
        for length in 0..<full.count {
            expectError(Array(full[..<length]), S3RequestXML.completeMultipartUpload)
        }
    }

    @Test func notWellFormed() {
        let parse = S3RequestXML.completeMultipartUpload
        expectError("<CompleteMultipartUpload><Part></CompleteMultipartUpload>", parse)
        expectError(Self.validComplete + "<CompleteMultipartUpload/>", parse)   // two roots
        expectError(Self.validComplete + "trailing", parse)
        expectError("plain text", parse)
        expectError("   ", parse)
        expectError(#"<CompleteMultipartUpload a="1" a="2"/>"#, parse)
    }

    @Test(arguments: [
        [0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC3], [0x80], [0x00],
    ] as [[UInt8]])
    func invalidUTF8IsMalformed(_ bad: [UInt8]) {
        let body = "<Delete><Object><Key>a".bytes + bad + "b</Key></Object></Delete>".bytes
        expectError(body, S3RequestXML.deleteObjects)
    }

    @Test func utf16BodiesAreMalformed() {
        let text = "<Delete><Object><Key>k</Key></Object></Delete>"
        let le = text.utf16.flatMap { [UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)] }
        expectError([0xFF, 0xFE] + le, S3RequestXML.deleteObjects)
        expectError(le, S3RequestXML.deleteObjects)
    }

    @Test func utf8ByteOrderMarkIsAccepted() throws {
        let body: [UInt8] = [0xEF, 0xBB, 0xBF] + "<Delete><Object><Key>k</Key></Object></Delete>".bytes
        #expect(try S3RequestXML.deleteObjects(body).objects.map(\.key) == ["k"])
    }

    @Test func wrongRoot() {
        expectError("<Delete><Object><Key>k</Key></Object></Delete>", S3RequestXML.completeMultipartUpload)
        expectError(Self.validComplete, S3RequestXML.deleteObjects)
        expectError(Self.validComplete.replacingOccurrences("CompleteMultipartUpload", "completemultipartupload"),
                    S3RequestXML.completeMultipartUpload)
        expectError(#"<CompleteMultipartUpload xmlns="urn:other"><Part><PartNumber>1</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>"#,
                    S3RequestXML.completeMultipartUpload)
    }

    @Test func oversizedInputIsRejectedBeforeParsing() {
        let padding = [UInt8](repeating: UInt8(ascii: " "), count: 10 << 20)
        expectError(Self.validComplete.bytes + padding, S3RequestXML.completeMultipartUpload)
    }

    /// libxml2 state is per thread; hammer it from many tasks at once.
    @Test func concurrentParsing() async {
        let good = Self.validComplete.bytes
        let bad = Self.dtdAttacks[0].bytes
        let failures = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    var failures = 0
                    for i in 0..<200 {
                        if i.isMultiple(of: 2) {
                            if (try? S3RequestXML.completeMultipartUpload(good))?.count != 2 { failures += 1 }
                        } else if (try? S3RequestXML.deleteObjects(bad)) != nil {
                            failures += 1
                        }
                    }
                    return failures
                }
            }
            return await group.reduce(0, +)
        }
        #expect(failures == 0)
    }
}

extension String {
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
