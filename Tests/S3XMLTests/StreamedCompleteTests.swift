@testable import S3XML
import Testing

/// CompleteMultipartUpload is read from libxml2's SAX events; the tree reading it replaced is the
/// reference: both must accept the same documents with the same parts, and refuse the same ones.
@Suite struct StreamedCompleteTests {
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// true when both accepted the document.
    @discardableResult
    func agree(_ body: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        let streamed = Result { () throws(S3XMLError) in try S3RequestXML.completeMultipartUpload(body) }
        let tree = Result { () throws(S3XMLError) in try S3RequestXML.completeMultipartUploadFromTree(body) }
        switch (streamed, tree) {
        case (.success(let a), .success(let b)):
            #expect(a == b, "\(String(decoding: body, as: UTF8.self))", sourceLocation: sourceLocation)
            return true
        case (.failure(let a), .failure(let b)):
            #expect(a == b, "\(String(decoding: body, as: UTF8.self))", sourceLocation: sourceLocation)
        default:
            Issue.record("streamed \(streamed), tree \(tree): \(String(decoding: body, as: UTF8.self))", sourceLocation: sourceLocation)
        }
        return false
    }

    static let handWritten = [
        HardeningTests.validComplete,
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"a\"</ETag></Part></CompleteMultipartUpload>",
        "<CompleteMultipartUpload/>",
        "<CompleteMultipartUpload><Part/></CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>a</ETag><ETag>b</ETag></Part></CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part><PartNumber><X>1</X></PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part><PartNumber>1<y:X xmlns:y=\"urn:o\">2</y:X></PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part><PartNumber> 1 </PartNumber><ETag>&quot;a&quot;</ETag><ChecksumCRC32><![CDATA[ x ]]>y</ChecksumCRC32></Part></CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><!-- c --><ETag>a<!-- c -->b<?pi x?>c</ETag></Part><Extra><Part><PartNumber>x</PartNumber></Part></Extra></CompleteMultipartUpload>",
        "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Part><PartNumber>1</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>",
        "<s3:CompleteMultipartUpload xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\"><s3:Part><PartNumber>1</PartNumber><s3:ETag>a</s3:ETag></s3:Part></s3:CompleteMultipartUpload>",
        "<CompleteMultipartUpload xmlns=\"urn:other\"><Part><PartNumber>1</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part xmlns=\"urn:other\"><PartNumber>1</PartNumber><ETag>a</ETag></Part><Part><PartNumber>2</PartNumber><ETag>b</ETag></Part></CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part><PartNumber xmlns=\"urn:o\">1</PartNumber><PartNumber>2</PartNumber><ETag>b</ETag></Part></CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part><PartNumber xmlns=\"\">1</PartNumber><ETag>b</ETag></Part></CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&e;</ETag></Part></CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part><PartNumber>&#49;</PartNumber><ETag>&#x22;é&#x22;</ETag></Part></CompleteMultipartUpload>",
        "<!DOCTYPE x><CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload><!-- after -->",
        "\u{FEFF}<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>ä</ETag></Part></CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>a</ETag></Part><Part><ETag>a</ETag></Part></CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part><PartNumber>99999999999999999999</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part a=\"1\" xml:id=\"1x\"><PartNumber>1</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>",
        "<x:CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>a</ETag></Part></x:CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>a</ETag></Part></completemultipartupload>",
        "<CompleteMultipartUpload>" + String(repeating: "<a>", count: 30) + String(repeating: "</a>", count: 30)
            + "<Part><PartNumber>1</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>",
        "<CompleteMultipartUpload>" + String(repeating: "<a>", count: 31) + String(repeating: "</a>", count: 31)
            + "<Part><PartNumber>1</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>",
        "<CompleteMultipartUpload><f:a xmlns:f=\"urn:f\">" + String(repeating: "<b>", count: 40) + String(repeating: "</b>", count: 40)
            + "</f:a><Part><PartNumber>1</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>",
    ]

    /// strippingQuotes' byte path for ASCII agrees with the Character-based one.
    @Test func strippingQuotesAgrees() {
        func reference(_ etag: String) -> String {
            var s = Substring(etag)
            if s.hasPrefix("\"") { s = s.dropFirst() }
            if s.hasSuffix("\"") { s = s.dropLast() }
            return String(s)
        }
        var g = SplitMix64(state: 42)
        let pieces = ["\"", "a", "Z", " ", "\r", "\n", "\r\n", "é", "\u{301}", "-", "0"]
        var cases = ["", "\"", "\"\"", "\"\"\"", "\"abc\"", "\"\u{301}a\"", "a\"\u{301}"]
        for _ in 0..<3000 { cases.append((0..<Int.random(in: 0...5, using: &g)).map { _ in pieces.randomElement(using: &g)! }.joined()) }
        for c in cases { #expect(S3RequestXML.strippingQuotes(c) == reference(c), "\(Array(c.unicodeScalars))") }
    }

    @Test func handWrittenDocumentsAgree() {
        for body in Self.handWritten { agree(Array(body.utf8)) }
    }

    @Test func partLimitsAgree() {
        func doc(_ n: Int) -> [UInt8] {
            Array(("<CompleteMultipartUpload>" + (1...n).map { "<Part><PartNumber>\($0)</PartNumber><ETag>\"e\($0)\"</ETag></Part>" }.joined()
                + "</CompleteMultipartUpload>").utf8)
        }
        agree(doc(10_000))
        agree(doc(10_001))
        // The element budget: 200,000 elements, counted as the tree copy counts them.
        let many = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>a</ETag></Part>"
        agree(Array((many + String(repeating: "<x/>", count: 199_996) + "</CompleteMultipartUpload>").utf8))
        agree(Array((many + String(repeating: "<x/>", count: 199_997) + "</CompleteMultipartUpload>").utf8))
        agree(Array((many + "<f:x xmlns:f=\"urn:f\">" + String(repeating: "<x/>", count: 199_997) + "</f:x></CompleteMultipartUpload>").utf8))
    }

    /// Random documents from the elements that matter, with namespaces, CDATA, comments, entities,
    /// repeats and nesting, then some of them truncated or with a byte changed.
    @Test func randomDocumentsAgree() {
        var g = SplitMix64(state: 0x7E55_E7A0)
        let names = ["Part", "PartNumber", "ETag", "ChecksumCRC32", "ChecksumCRC32C", "ChecksumCRC64NVME", "ChecksumSHA1",
                     "ChecksumSHA256", "ChecksumType", "Other", "CompleteMultipartUpload"]
        let texts = ["1", "2", " 7 ", "007", "-1", "x", "\"abc\"", "&quot;ab&quot;", "&#34;q&#34;", "<![CDATA[\"c\"]]>", "a<!-- c -->b",
                     "a<?p i?>b", "", " ", "é", "&amp;", "&lt;x&gt;", "\t\n", "AbC=="]
        func element(_ depth: Int) -> String {
            let name = names.randomElement(using: &g)!
            var open = name, close = name
            switch Int.random(in: 0..<12, using: &g) {
            case 0: open = "f:\(name) xmlns:f=\"urn:f\""; close = "f:\(name)"
            case 1: open = "s:\(name) xmlns:s=\"http://s3.amazonaws.com/doc/2006-03-01/\""; close = "s:\(name)"
            case 2: open = "\(name) xmlns=\"urn:d\""
            case 3: open = "\(name) a=\"v\""
            default: break
            }
            var inner = ""
            for _ in 0..<Int.random(in: 0...4, using: &g) {
                if depth < 5 && Bool.random(using: &g) { inner += element(depth + 1) } else { inner += texts.randomElement(using: &g)! }
            }
            return Int.random(in: 0..<10, using: &g) == 0 ? "<\(open)/>" : "<\(open)>\(inner)</\(close)>"
        }
        // A clean part has its two fields, valid, and unique text-only extras; the others anything.
        func part(clean: Bool) -> String {
            var fields: [String] = []
            if clean || Int.random(in: 0..<8, using: &g) > 0 {
                fields.append("<PartNumber>\((clean ? ["1", "2", " 3 ", "007", "10001"] : ["1", "x", "-1", ""]).randomElement(using: &g)!)</PartNumber>")
            }
            if clean || Int.random(in: 0..<8, using: &g) > 0 { fields.append("<ETag>\(texts.randomElement(using: &g)!)</ETag>") }
            if clean {
                for name in names[3...].shuffled(using: &g).prefix(Int.random(in: 0...3, using: &g)) where name != "CompleteMultipartUpload" {
                    fields.append("<\(name)>\(texts.randomElement(using: &g)!)</\(name)>")
                }
            } else {
                for _ in 0..<Int.random(in: 0...3, using: &g) { fields.append(element(3)) }
            }
            fields.shuffle(using: &g)
            return "<Part>" + fields.joined(separator: Bool.random(using: &g) ? "" : "\n  ") + "</Part>"
        }
        var accepted = 0, acceptedParts = 0
        for _ in 0..<6000 {
            var children: [String] = []
            let clean = Int.random(in: 0..<3, using: &g) > 0
            for _ in 0..<Int.random(in: 0...5, using: &g) {
                children.append(Int.random(in: 0..<(clean ? 8 : 4), using: &g) == 0 ? element(2) : part(clean: clean || Bool.random(using: &g)))
            }
            let root: (String, String)
            switch Int.random(in: 0..<10, using: &g) {
            case 0: root = ("CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"", "CompleteMultipartUpload")
            case 1: root = ("f:CompleteMultipartUpload xmlns:f=\"urn:f\"", "f:CompleteMultipartUpload")
            case 2: root = ("Delete", "Delete")
            default: root = ("CompleteMultipartUpload", "CompleteMultipartUpload")
            }
            var body = Array(("<\(root.0)>" + children.joined() + "</\(root.1)>").utf8)
            switch Int.random(in: 0..<6, using: &g) {
            case 0: body = Array(body.prefix(Int.random(in: 0...body.count, using: &g)))
            case 1 where !body.isEmpty: body[Int.random(in: 0..<body.count, using: &g)] = Array("<>/&;\"x =".utf8).randomElement(using: &g)!
            case 2 where !body.isEmpty: body.remove(at: Int.random(in: 0..<body.count, using: &g))
            default: break
            }
            if agree(body) {
                accepted += 1
                acceptedParts += (try? S3RequestXML.completeMultipartUpload(body).count) ?? 0
            }
        }
        // Enough of them are valid for the comparison of results to mean something.
        #expect(accepted > 1500 && acceptedParts > 3000, "\(accepted) documents, \(acceptedParts) parts accepted")
    }
}
