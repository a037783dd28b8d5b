import S3XML
import Testing

@Suite struct CompleteMultipartUploadTests {
    static func body(partNumber: String, etag: String = "\"abc\"") -> String {
        "<CompleteMultipartUpload><Part><PartNumber>\(partNumber)</PartNumber><ETag>\(etag)</ETag></Part></CompleteMultipartUpload>"
    }

    @Test(arguments: ["abc", "-1", "1180591620717411303424", "9223372036854775808", "", "1.5", "+1", "0x10", "1 2", "１"])
    func badPartNumbersAreMalformed(_ partNumber: String) {
        expectError(Self.body(partNumber: partNumber), S3RequestXML.completeMultipartUpload)
    }

    @Test func partNumberAroundWhitespaceAndLeadingZeros() throws {
        #expect(try S3RequestXML.completeMultipartUpload(Self.body(partNumber: " \n7\t").bytes)[0].partNumber == 7)
        #expect(try S3RequestXML.completeMultipartUpload(Self.body(partNumber: "007").bytes)[0].partNumber == 7)
        // Range checks belong to the caller (S3 gives InvalidArgument, not MalformedXML).
        #expect(try S3RequestXML.completeMultipartUpload(Self.body(partNumber: "0").bytes)[0].partNumber == 0)
    }

    @Test(arguments: [
        ("\"abc\"", "abc"), ("abc", "abc"), ("&#34;abc&#34;", "abc"), ("&quot;abc&quot;", "abc"),
        ("  \"abc-2\"  ", "abc-2"), ("<![CDATA[\"abc\"]]>", "abc"),
    ])
    func etagQuotesStripped(_ sent: String, _ expected: String) throws {
        #expect(try S3RequestXML.completeMultipartUpload(Self.body(partNumber: "1", etag: sent).bytes)[0].etag == expected)
    }

    @Test func emptyPartListIsMalformed() {
        expectError("<CompleteMultipartUpload/>", S3RequestXML.completeMultipartUpload)
        expectError(#"<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></CompleteMultipartUpload>"#,
                    S3RequestXML.completeMultipartUpload)
    }

    @Test func missingOrRepeatedFieldsAreMalformed() {
        let cases = [
            "<CompleteMultipartUpload><Part><ETag>a</ETag></Part></CompleteMultipartUpload>",
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>",
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><PartNumber>2</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>",
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>a</ETag><ETag>b</ETag></Part></CompleteMultipartUpload>",
            "<CompleteMultipartUpload><Part><PartNumber><X>1</X></PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>",
        ]
        for body in cases { expectError(body, S3RequestXML.completeMultipartUpload) }
    }

    @Test func unknownElementsCommentsAndPrettyPrintingAreIgnored() throws {
        let body = """
            <?xml version="1.0" encoding="UTF-8"?>
            <!-- written by hand -->
            <CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <Part>
                <PartNumber>1</PartNumber>
                <ETag>"a"</ETag>
                <ChecksumCRC32C>yZRlqg==</ChecksumCRC32C>
                <ChecksumType>FULL_OBJECT</ChecksumType>
                <ChecksumXYZ>ignored</ChecksumXYZ>
                <?pi ignored?>
              </Part>
              <MpuObjectSize>123</MpuObjectSize>
            </CompleteMultipartUpload>
            """
        let parts = try S3RequestXML.completeMultipartUpload(body.bytes)
        #expect(parts == [CompletedPartEntry(partNumber: 1, etag: "a", checksums: ["ChecksumCRC32C": "yZRlqg=="])])
    }

    @Test func allChecksumElementsAreCollected() throws {
        let body = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>a</ETag>"
            + "<ChecksumCRC32>1</ChecksumCRC32><ChecksumCRC32C>2</ChecksumCRC32C><ChecksumCRC64NVME>3</ChecksumCRC64NVME>"
            + "<ChecksumSHA1>4</ChecksumSHA1><ChecksumSHA256>5</ChecksumSHA256></Part></CompleteMultipartUpload>"
        let parts = try S3RequestXML.completeMultipartUpload(body.bytes)
        #expect(parts[0].checksums == ["ChecksumCRC32": "1", "ChecksumCRC32C": "2", "ChecksumCRC64NVME": "3",
                                       "ChecksumSHA1": "4", "ChecksumSHA256": "5"])
    }

    @Test func namespacePrefixesAndForeignNamespaces() throws {
        let prefixed = #"<s3:CompleteMultipartUpload xmlns:s3="http://s3.amazonaws.com/doc/2006-03-01/"><s3:Part><s3:PartNumber>1</s3:PartNumber><s3:ETag>a</s3:ETag></s3:Part></s3:CompleteMultipartUpload>"#
        #expect(try S3RequestXML.completeMultipartUpload(prefixed.bytes) == [CompletedPartEntry(partNumber: 1, etag: "a")])
        // A Part in another namespace is not an S3 Part, so the list is empty.
        expectError(#"<CompleteMultipartUpload><Part xmlns="urn:other"><PartNumber>1</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>"#,
                    S3RequestXML.completeMultipartUpload)
        // Undeclared prefix: not namespace-well-formed.
        expectError("<CompleteMultipartUpload><x:Part><PartNumber>1</PartNumber><ETag>a</ETag></x:Part></CompleteMultipartUpload>",
                    S3RequestXML.completeMultipartUpload)
    }

    @Test func tenThousandPartsAccepted() throws {
        let parts = (1...10_000).map { "<Part><PartNumber>\($0)</PartNumber><ETag>\"e\($0)\"</ETag></Part>" }.joined()
        let result = try S3RequestXML.completeMultipartUpload("<CompleteMultipartUpload>\(parts)</CompleteMultipartUpload>".bytes)
        #expect(result.count == 10_000)
        #expect(result.last == CompletedPartEntry(partNumber: 10_000, etag: "e10000"))
        let tooMany = parts + "<Part><PartNumber>10001</PartNumber><ETag>x</ETag></Part>"
        expectError("<CompleteMultipartUpload>\(tooMany)</CompleteMultipartUpload>", S3RequestXML.completeMultipartUpload)
    }
}
