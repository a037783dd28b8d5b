import S3XML
import Testing

@Suite struct ObjectLockDocumentsTests {
    @Test func lockConfiguration() throws {
        let enabled = "<ObjectLockEnabled>Enabled</ObjectLockEnabled>"
        func doc(_ rule: String) -> String { "<ObjectLockConfiguration>\(enabled)\(rule)</ObjectLockConfiguration>" }
        #expect(try S3RequestXML.objectLockConfiguration(doc("").bytes) == ObjectLockConfigurationDocument())
        #expect(try S3RequestXML.objectLockConfiguration(doc("<Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>30</Days></DefaultRetention></Rule>").bytes)
            == ObjectLockConfigurationDocument(mode: "GOVERNANCE", days: 30))
        #expect(try S3RequestXML.objectLockConfiguration(doc("<Rule><DefaultRetention><Years>100</Years><Mode>COMPLIANCE</Mode></DefaultRetention></Rule>").bytes)
            == ObjectLockConfigurationDocument(mode: "COMPLIANCE", years: 100))
        let parse = S3RequestXML.objectLockConfiguration
        expectError("<ObjectLockConfiguration/>", parse)
        expectError("<ObjectLockConfiguration><ObjectLockEnabled>Disabled</ObjectLockEnabled></ObjectLockConfiguration>", parse)
        expectError(doc("<Rule/>"), parse)
        expectError(doc("<Rule><DefaultRetention><Days>1</Days></DefaultRetention></Rule>"), parse)                    // no Mode
        expectError(doc("<Rule><DefaultRetention><Mode>governance</Mode><Days>1</Days></DefaultRetention></Rule>"), parse)
        expectError(doc("<Rule><DefaultRetention><Mode>GOVERNANCE</Mode></DefaultRetention></Rule>"), parse)           // no period
        expectError(doc("<Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days><Years>1</Years></DefaultRetention></Rule>"), parse)
        for bad in ["<Days>0</Days>", "<Days>-1</Days>", "<Days>x</Days>", "<Days>36501</Days>", "<Years>101</Years>"] {
            expectError(doc("<Rule><DefaultRetention><Mode>COMPLIANCE</Mode>\(bad)</DefaultRetention></Rule>"), code: "InvalidArgument", parse)
        }
    }

    @Test func retentionAndLegalHold() throws {
        let r = try #require(try S3RequestXML.retention("<Retention><Mode>COMPLIANCE</Mode><RetainUntilDate>2030-01-02T03:04:05.000Z</RetainUntilDate></Retention>".bytes))
        #expect(r.mode == "COMPLIANCE" && r.retainUntil == "2030-01-02T03:04:05.000Z")
        #expect(try S3RequestXML.retention("<Retention/>".bytes) == nil)
        expectError("<Retention><Mode>COMPLIANCE</Mode></Retention>", S3RequestXML.retention)
        expectError("<Retention><RetainUntilDate>2030-01-02T03:04:05Z</RetainUntilDate></Retention>", S3RequestXML.retention)
        expectError("<Retention><Mode>LOCKED</Mode><RetainUntilDate>2030-01-02T03:04:05Z</RetainUntilDate></Retention>", S3RequestXML.retention)
        #expect(try S3RequestXML.legalHold("<LegalHold><Status>ON</Status></LegalHold>".bytes))
        #expect(try !S3RequestXML.legalHold("<LegalHold xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Status>OFF</Status></LegalHold>".bytes))
        expectError("<LegalHold><Status>on</Status></LegalHold>", S3RequestXML.legalHold)
        expectError("<LegalHold/>", S3RequestXML.legalHold)
    }
}
