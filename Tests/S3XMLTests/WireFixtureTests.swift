import S3XML
import Testing

/// Bodies exactly as recorded in /work/shared/fixtures/wire.
@Suite struct WireFixtureTests {
    @Test func botocoreWithNamespaceAndChecksums() throws {
        // awscli-1.45.11_https.jsonl seq 17 (s3transfer, default checksum config)
        let body = #"<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><ETag>"522a82173604cb710417e30d36329ce9"</ETag><PartNumber>1</PartNumber><ChecksumCRC32>0rkF4Q==</ChecksumCRC32></Part><Part><ETag>"bc21359dbe5e5e495b5f95fa724abeb4"</ETag><PartNumber>2</PartNumber><ChecksumCRC32>V8QrjQ==</ChecksumCRC32></Part><Part><ETag>"e761e0eaa51bd05728aab518aa22ad4b"</ETag><PartNumber>3</PartNumber><ChecksumCRC32>SDHX8Q==</ChecksumCRC32></Part></CompleteMultipartUpload>"#
        let parts = try S3RequestXML.completeMultipartUpload(body.bytes)
        #expect(parts == [
            CompletedPartEntry(partNumber: 1, etag: "522a82173604cb710417e30d36329ce9", checksums: ["ChecksumCRC32": "0rkF4Q=="]),
            CompletedPartEntry(partNumber: 2, etag: "bc21359dbe5e5e495b5f95fa724abeb4", checksums: ["ChecksumCRC32": "V8QrjQ=="]),
            CompletedPartEntry(partNumber: 3, etag: "e761e0eaa51bd05728aab518aa22ad4b", checksums: ["ChecksumCRC32": "SDHX8Q=="]),
        ])
    }

    @Test func botocoreManualFlowWithoutChecksums() throws {
        // awscli-1.45.11_http.jsonl seq 8
        let body = #"<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><ETag>"0f9d878a9dfae01eddb789ee54270280"</ETag><PartNumber>1</PartNumber></Part><Part><ETag>"bd77e7bf30c46731e9026a9d2af41c00"</ETag><PartNumber>2</PartNumber></Part></CompleteMultipartUpload>"#
        let parts = try S3RequestXML.completeMultipartUpload(body.bytes)
        #expect(parts == [
            CompletedPartEntry(partNumber: 1, etag: "0f9d878a9dfae01eddb789ee54270280"),
            CompletedPartEntry(partNumber: 2, etag: "bd77e7bf30c46731e9026a9d2af41c00"),
        ])
    }

    @Test func rcloneEscapedQuotes() throws {
        // rclone-1.60.1-DEV_http.jsonl seq 16 (element order varies per part)
        let body = #"<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><PartNumber>1</PartNumber><ETag>&#34;4c50d81cd1595075c5e639217002e442&#34;</ETag></Part><Part><ETag>&#34;1283e95652bee15b095e41f4873a4b04&#34;</ETag><PartNumber>2</PartNumber></Part><Part><PartNumber>3</PartNumber><ETag>&#34;6fac13b744feffe7261095cc1097baba&#34;</ETag></Part><Part><ETag>&#34;864db69c5d0d257decf162586a494b35&#34;</ETag><PartNumber>4</PartNumber></Part></CompleteMultipartUpload>"#
        let parts = try S3RequestXML.completeMultipartUpload(body.bytes)
        #expect(parts == Self.twentyMiBParts)
    }

    @Test func s3cmdWithoutNamespacePartNumberFirst() throws {
        // s3cmd-2.3.0_http.jsonl seq 9
        let body = #"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>4c50d81cd1595075c5e639217002e442</ETag></Part><Part><PartNumber>2</PartNumber><ETag>1283e95652bee15b095e41f4873a4b04</ETag></Part><Part><PartNumber>3</PartNumber><ETag>6fac13b744feffe7261095cc1097baba</ETag></Part><Part><PartNumber>4</PartNumber><ETag>864db69c5d0d257decf162586a494b35</ETag></Part></CompleteMultipartUpload>"#
        let parts = try S3RequestXML.completeMultipartUpload(body.bytes)
        #expect(parts == Self.twentyMiBParts)
    }

    static let twentyMiBParts = [
        CompletedPartEntry(partNumber: 1, etag: "4c50d81cd1595075c5e639217002e442"),
        CompletedPartEntry(partNumber: 2, etag: "1283e95652bee15b095e41f4873a4b04"),
        CompletedPartEntry(partNumber: 3, etag: "6fac13b744feffe7261095cc1097baba"),
        CompletedPartEntry(partNumber: 4, etag: "864db69c5d0d257decf162586a494b35"),
    ]
}
