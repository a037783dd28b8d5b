import S3XML
import Testing

@Suite struct CreateBucketConfigurationTests {
    @Test func locationConstraint() throws {
        let body = #"<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>"#
        #expect(try S3RequestXML.createBucketConfiguration(body.bytes) == "eu-west-1")
        #expect(try S3RequestXML.createBucketConfiguration("<CreateBucketConfiguration>\n  <LocationConstraint> us-west-2 </LocationConstraint>\n</CreateBucketConfiguration>".bytes) == "us-west-2")
        #expect(try S3RequestXML.createBucketConfiguration("<CreateBucketConfiguration><LocationConstraint/></CreateBucketConfiguration>".bytes) == nil)
        #expect(try S3RequestXML.createBucketConfiguration("<CreateBucketConfiguration/>".bytes) == nil)
        expectError("<BucketConfiguration/>", S3RequestXML.createBucketConfiguration)
    }
}

@Suite struct LifecycleConfigurationTests {
    @Test func abortIncompleteMultipartUploadWithFilterPrefix() throws {
        let body = """
            <LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <Rule>
                <ID>abort-mpu</ID>
                <Filter><Prefix>uploads/ </Prefix></Filter>
                <Status>Enabled</Status>
                <AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload>
              </Rule>
              <Rule>
                <Filter/>
                <Status>Disabled</Status>
                <Expiration><Days>30</Days></Expiration>
                <Transition><Days>1</Days><StorageClass>GLACIER</StorageClass></Transition>
              </Rule>
              <Rule>
                <ID>legacy</ID>
                <Prefix>logs/</Prefix>
                <Status>Enabled</Status>
                <Expiration><Date>2030-01-01T00:00:00.000Z</Date></Expiration>
              </Rule>
              <Rule>
                <Filter><And><Prefix>tmp/</Prefix></And></Filter>
                <Status>Enabled</Status>
                <Expiration><Days>1</Days></Expiration>
                <AbortIncompleteMultipartUpload><DaysAfterInitiation>2</DaysAfterInitiation></AbortIncompleteMultipartUpload>
              </Rule>
            </LifecycleConfiguration>
            """
        let rules = try S3RequestXML.lifecycleConfiguration(body.bytes)
        #expect(rules == [
            LifecycleRule(id: "abort-mpu", enabled: true, prefix: "uploads/ ", abortIncompleteDays: 7),
            LifecycleRule(id: nil, enabled: false, prefix: "", expirationDays: 30),
            LifecycleRule(id: "legacy", enabled: true, prefix: "logs/"),
            LifecycleRule(id: nil, enabled: true, prefix: "tmp/", abortIncompleteDays: 2, expirationDays: 1),
        ])
    }

    static func rule(_ inner: String) -> String {
        "<LifecycleConfiguration><Rule>\(inner)</Rule></LifecycleConfiguration>"
    }

    @Test func invalidRules() {
        let parse = S3RequestXML.lifecycleConfiguration
        expectError("<LifecycleConfiguration/>", parse)
        expectError(Self.rule("<Filter/>"), parse)                                            // no Status
        expectError(Self.rule("<Status>enabled</Status>"), parse)                             // case-sensitive
        expectError(Self.rule("<Filter/><Prefix/><Status>Enabled</Status>"), parse)           // both
        expectError(Self.rule("<Filter><Prefix>a</Prefix><And/></Filter><Status>Enabled</Status>"), parse)
        expectError(Self.rule("<Status>Enabled</Status><Expiration><Days>x</Days></Expiration>"), parse)
        expectError(Self.rule("<Status>Enabled</Status><AbortIncompleteMultipartUpload/>"), parse)
        expectError(Self.rule("<Status>Enabled</Status><Expiration><Days>0</Days></Expiration>"), code: "InvalidArgument", parse)
        expectError(Self.rule("<ID>\(String(repeating: "x", count: 256))</ID><Status>Enabled</Status>"), code: "InvalidArgument", parse)
        expectError("<LifecycleConfiguration><Rule><ID>a</ID><Status>Enabled</Status></Rule><Rule><ID>a</ID><Status>Enabled</Status></Rule></LifecycleConfiguration>",
                    code: "InvalidArgument", parse)
    }

    /// Ignoring a tag or size filter would make an expiration rule delete more.
    @Test func unsupportedFiltersAreRefused() {
        let parse = S3RequestXML.lifecycleConfiguration
        expectError(Self.rule("<Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter><Status>Enabled</Status>"), code: "NotImplemented", parse)
        expectError(Self.rule("<Filter><And><Prefix>p</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></And></Filter><Status>Enabled</Status>"), code: "NotImplemented", parse)
        expectError(Self.rule("<Filter><ObjectSizeGreaterThan>5</ObjectSizeGreaterThan></Filter><Status>Enabled</Status>"), code: "NotImplemented", parse)
    }
}
