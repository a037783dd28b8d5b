import S3XML
import Testing

@Suite struct DeleteObjectsTests {
    @Test func quietAndOddKeys() throws {
        let body = """
            <Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <Quiet>true</Quiet>
              <Object><Key>s3cmd/odd key/ä b+c=d&amp;e~(1).txt</Key></Object>
              <Object><Key>  leading and trailing spaces  </Key><VersionId> v1 </VersionId></Object>
              <Object><Key>a&lt;b&gt;c&quot;d&apos;e</Key></Object>
              <Object><Key>日本語/😀&#x1F600;</Key></Object>
              <Object><Key><![CDATA[x<y&z]]></Key></Object>
              <Object><Key>line&#10;break&#13;</Key></Object>
              <Object><Key></Key></Object>
            </Delete>
            """
        let result = try S3RequestXML.deleteObjects(body.bytes)
        #expect(result.quiet)
        #expect(result.objects.map(\.key) == [
            "s3cmd/odd key/ä b+c=d&e~(1).txt",
            "  leading and trailing spaces  ",
            "a<b>c\"d'e",
            "日本語/😀😀",
            "x<y&z",
            "line\nbreak\r",
            "",
        ])
        #expect(result.objects.map(\.versionId) == [nil, "v1", nil, nil, nil, nil, nil])
    }

    @Test func quietDefaultsToFalse() throws {
        let result = try S3RequestXML.deleteObjects("<Delete><Object><Key>k</Key></Object></Delete>".bytes)
        #expect(!result.quiet)
        #expect(try !S3RequestXML.deleteObjects("<Delete><Quiet>false</Quiet><Object><Key>k</Key></Object></Delete>".bytes).quiet)
        expectError("<Delete><Quiet>yes</Quiet><Object><Key>k</Key></Object></Delete>", S3RequestXML.deleteObjects)
    }

    @Test func objectCountLimits() throws {
        let object = "<Object><Key>k</Key></Object>"
        let thousand = String(repeating: object, count: 1000)
        #expect(try S3RequestXML.deleteObjects("<Delete>\(thousand)</Delete>".bytes).objects.count == 1000)
        expectError("<Delete>\(thousand)\(object)</Delete>", S3RequestXML.deleteObjects)
        expectError("<Delete><Quiet>true</Quiet></Delete>", S3RequestXML.deleteObjects)
        expectError("<Delete><Object><VersionId>v</VersionId></Object></Delete>", S3RequestXML.deleteObjects)
    }

    @Test func encodingDeclarationCannotReinterpretUTF8() throws {
        // The body is UTF-8 whatever it claims; "ä" must not become "Ã¤".
        let body = #"<?xml version="1.0" encoding="ISO-8859-1"?><Delete><Object><Key>ä</Key></Object></Delete>"#
        #expect(try S3RequestXML.deleteObjects(body.bytes).objects.map(\.key) == ["ä"])
    }
}
