import S3XML
import Testing

@Suite struct TaggingTests {
    @Test func tagSetIsReadInDocumentOrderExactlyAsSent() throws {
        let body = #"<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>b </Key><Value> 2</Value></Tag><Tag><Key>a</Key><Value></Value></Tag></TagSet></Tagging>"#
        let tags = try S3RequestXML.tagging(body.bytes)
        #expect(tags.map { $0.key } == ["b ", "a"])
        #expect(tags.map { $0.value } == [" 2", ""])
        #expect(try S3RequestXML.tagging("<Tagging><TagSet/></Tagging>".bytes).isEmpty)
    }

    @Test func schemaFaultsAreMalformedXML() {
        let parse = S3RequestXML.tagging
        expectError("<Tagging/>", parse)                                                       // no TagSet
        expectError("<Tagging><TagSet/><TagSet/></Tagging>", parse)                             // two
        expectError("<Tagging><TagSet><Tag><Value>v</Value></Tag></TagSet></Tagging>", parse)   // no Key
        expectError("<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>", parse)       // no Value
        expectError("<Tagging><TagSet><Tag><Key>k</Key><Key>j</Key><Value/></Tag></TagSet></Tagging>", parse)
        expectError("<Tags><TagSet/></Tags>", parse)
        expectError("<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag>", parse)          // not well-formed
    }

    @Test func documentRoundTrips() throws {
        let tags = [(key: "a&b", value: "<1>"), (key: "é", value: "")]
        let document = S3RequestXML.taggingDocument(tags)
        #expect(document.contains(#"<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>a&amp;b</Key>"#))
        let back = try S3RequestXML.tagging(document.bytes)
        #expect(back.map { $0.key } == tags.map { $0.key } && back.map { $0.value } == tags.map { $0.value })
        #expect(S3RequestXML.taggingDocument([]).hasSuffix("<Tagging xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><TagSet></TagSet></Tagging>"))
    }
}
