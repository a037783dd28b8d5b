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
            LifecycleRule(id: "legacy", enabled: true, prefix: "logs/", expirationDate: 1_893_456_000),   // 2030-01-01T00:00:00Z
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
        let expire = "<Expiration><Days>1</Days></Expiration>"
        expectError("<LifecycleConfiguration><Rule><ID>a</ID><Status>Enabled</Status>\(expire)</Rule><Rule><ID>a</ID><Status>Enabled</Status>\(expire)</Rule></LifecycleConfiguration>",
                    code: "InvalidArgument", parse)
    }

    @Test func versionExpiryActions() throws {
        let body = """
            <LifecycleConfiguration>
              <Rule><ID>markers</ID><Filter></Filter><Status>Enabled</Status>
                <Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration></Rule>
              <Rule><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status>
                <NoncurrentVersionExpiration><NoncurrentDays>30</NoncurrentDays><NewerNoncurrentVersions>3</NewerNoncurrentVersions></NoncurrentVersionExpiration></Rule>
              <Rule><Status>Enabled</Status><Prefix></Prefix>
                <NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays></NoncurrentVersionExpiration>
                <Expiration><Days>7</Days></Expiration></Rule>
              <Rule><Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>false</ExpiredObjectDeleteMarker></Expiration></Rule>
              <Rule><Status>Enabled</Status><Transition><Days>1</Days><StorageClass>GLACIER</StorageClass></Transition></Rule>
            </LifecycleConfiguration>
            """
        let rules = try S3RequestXML.lifecycleConfiguration(body.bytes)
        #expect(rules == [
            LifecycleRule(id: "markers", enabled: true, expiredObjectDeleteMarker: true),
            LifecycleRule(enabled: true, prefix: "logs/", noncurrentDays: 30, newerNoncurrentVersions: 3),
            LifecycleRule(enabled: true, expirationDays: 7, noncurrentDays: 1),
            LifecycleRule(enabled: true),
            LifecycleRule(enabled: true),
        ])
        #expect(rules.map(\.expiresVersions) == [true, true, true, false, false])
    }

    /// Each as S3 answers it (codes from the S3 API reference and what AWS sends).
    @Test func invalidExpiryActions() {
        let parse = S3RequestXML.lifecycleConfiguration
        let enabled = "<Filter/><Status>Enabled</Status>"
        expectError(Self.rule(enabled), code: "InvalidRequest", parse)                                          // no action
        expectError(Self.rule(enabled + "<Expiration/>"), parse)                                                // empty Expiration
        expectError(Self.rule(enabled + "<Expiration><Days>1</Days><Date>2030-01-01T00:00:00Z</Date></Expiration>"), parse)
        expectError(Self.rule(enabled + "<Expiration><Days>1</Days><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>"), parse)
        expectError(Self.rule(enabled + "<Expiration><Date>2030-01-01T00:00:00Z</Date><ExpiredObjectDeleteMarker>false</ExpiredObjectDeleteMarker></Expiration>"), parse)
        expectError(Self.rule(enabled + "<Expiration><ExpiredObjectDeleteMarker>yes</ExpiredObjectDeleteMarker></Expiration>"), parse)
        expectError(Self.rule(enabled + "<Expiration><Days>-1</Days></Expiration>"), parse)
        expectError(Self.rule(enabled + "<Expiration><Date>2030-01-01T12:00:00Z</Date></Expiration>"), code: "InvalidArgument", parse)
        expectError(Self.rule(enabled + "<Expiration><Date>2030-01-01T00:00:00.5Z</Date></Expiration>"), code: "InvalidArgument", parse)
        expectError(Self.rule(enabled + "<Expiration><Date>next tuesday</Date></Expiration>"), parse)
        expectError(Self.rule(enabled + "<NoncurrentVersionExpiration/>"), parse)
        expectError(Self.rule(enabled + "<NoncurrentVersionExpiration><NoncurrentDays>0</NoncurrentDays></NoncurrentVersionExpiration>"),
                    code: "InvalidArgument", parse)
        for newer in ["0", "101"] {
            expectError(Self.rule(enabled + "<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>\(newer)</NewerNoncurrentVersions></NoncurrentVersionExpiration>"),
                        code: "InvalidArgument", parse)
        }
        // Within range: accepted.
        #expect((try? parse(Self.rule(enabled + "<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>100</NewerNoncurrentVersions></NoncurrentVersionExpiration>").bytes))?.first?.newerNoncurrentVersions == 100)
        #expect((try? parse(Self.rule(enabled + "<Expiration><Date>2030-01-01T00:00:00+00:00</Date></Expiration>").bytes))?.first?.expirationDate == 1_893_456_000)
    }

    /// Ignoring a tag or size filter would make an expiration rule delete more.
    @Test func unsupportedFiltersAreRefused() {
        let parse = S3RequestXML.lifecycleConfiguration
        expectError(Self.rule("<Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter><Status>Enabled</Status>"), code: "NotImplemented", parse)
        expectError(Self.rule("<Filter><And><Prefix>p</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></And></Filter><Status>Enabled</Status>"), code: "NotImplemented", parse)
        expectError(Self.rule("<Filter><ObjectSizeGreaterThan>5</ObjectSizeGreaterThan></Filter><Status>Enabled</Status>"), code: "NotImplemented", parse)
        expectError(Self.rule("<Filter><And><Prefix>p</Prefix><ObjectSizeLessThan>5</ObjectSizeLessThan></And></Filter><Status>Enabled</Status>"), code: "NotImplemented", parse)
        // The message names what is missing.
        do {
            _ = try parse(Self.rule("<Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration>").bytes)
            Issue.record("a tag filter was accepted")
        } catch {
            #expect(error.message.contains("tags"))
        }
    }
}
