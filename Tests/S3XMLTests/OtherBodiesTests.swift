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
                <Filter><Prefix>tmp/</Prefix></Filter>
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

    @Test func tagAndSizeFilters() throws {
        let parse = S3RequestXML.lifecycleConfiguration
        let action = "<Status>Enabled</Status><Expiration><Days>1</Days></Expiration>"
        let tag = try parse(Self.rule("<Filter><Tag><Key>k</Key><Value> v </Value></Tag></Filter>" + action).bytes)
        #expect(tag.first?.filter == LifecycleFilter(tags: [LifecycleTag(key: "k", value: " v ")]))
        let noValue = try parse(Self.rule("<Filter><Tag><Key>k</Key></Tag></Filter>" + action).bytes)
        #expect(noValue.first?.filter.tags == [LifecycleTag(key: "k", value: "")])
        let and = try parse(Self.rule("""
            <Filter><And><Prefix>logs/</Prefix><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>b</Key><Value>2</Value></Tag>
            <ObjectSizeGreaterThan>10</ObjectSizeGreaterThan><ObjectSizeLessThan>20</ObjectSizeLessThan></And></Filter>
            """ + action).bytes)
        #expect(and.first?.filter == LifecycleFilter(prefix: "logs/", tags: [LifecycleTag(key: "a", value: "1"), LifecycleTag(key: "b", value: "2")],
                                                      sizeGreaterThan: 10, sizeLessThan: 20))
        let above = try parse(Self.rule("<Filter><ObjectSizeGreaterThan>5</ObjectSizeGreaterThan></Filter>" + action).bytes)
        #expect(above.first?.filter == LifecycleFilter(sizeGreaterThan: 5))
        let below = try parse(Self.rule("<Filter><ObjectSizeLessThan>5</ObjectSizeLessThan></Filter>" + action).bytes)
        #expect(below.first?.filter == LifecycleFilter(sizeLessThan: 5))
        // Tag keys differing only by canonical equivalence are two keys.
        let nfc = try parse(Self.rule("<Filter><And><Tag><Key>caf\u{E9}</Key><Value/></Tag><Tag><Key>cafe\u{301}</Key><Value/></Tag></And></Filter>" + action).bytes)
        #expect(nfc.first?.filter.tags.count == 2)
    }

    @Test func invalidFilters() {
        let parse = S3RequestXML.lifecycleConfiguration
        let action = "<Status>Enabled</Status><Expiration><Days>1</Days></Expiration>"
        let tag = "<Tag><Key>k</Key><Value>v</Value></Tag>"
        // Several predicates outside And.
        expectError(Self.rule("<Filter><Prefix>p</Prefix>\(tag)</Filter>" + action), parse)
        expectError(Self.rule("<Filter>\(tag)<ObjectSizeLessThan>5</ObjectSizeLessThan></Filter>" + action), parse)
        expectError(Self.rule("<Filter><Prefix>p</Prefix><And><Prefix>p</Prefix>\(tag)</And></Filter>" + action), parse)
        expectError(Self.rule("<Filter>\(tag)\(tag)</Filter>" + action), parse)
        // And with fewer than two predicates.
        expectError(Self.rule("<Filter><And><Prefix>p</Prefix></And></Filter>" + action), parse)
        expectError(Self.rule("<Filter><And>\(tag)</And></Filter>" + action), parse)
        expectError(Self.rule("<Filter><And/></Filter>" + action), parse)
        // Duplicate tag keys (S3's code and message).
        expectError(Self.rule("<Filter><And>\(tag)<Tag><Key>k</Key><Value>w</Value></Tag></And></Filter>" + action), code: "InvalidRequest", parse)
        // A Tag without Key; sizes that are not numbers or hold no size.
        expectError(Self.rule("<Filter><Tag><Value>v</Value></Tag></Filter>" + action), parse)
        expectError(Self.rule("<Filter><ObjectSizeGreaterThan>-1</ObjectSizeGreaterThan></Filter>" + action), parse)
        expectError(Self.rule("<Filter><ObjectSizeLessThan>lots</ObjectSizeLessThan></Filter>" + action), parse)
        expectError(Self.rule("<Filter><And><ObjectSizeGreaterThan>20</ObjectSizeGreaterThan><ObjectSizeLessThan>20</ObjectSizeLessThan></And></Filter>" + action),
                    code: "InvalidArgument", parse)
        // Actions on uploads and lone delete markers cannot take tag or size filters.
        for filter in ["<Filter>\(tag)</Filter>", "<Filter><ObjectSizeGreaterThan>1</ObjectSizeGreaterThan></Filter>"] {
            expectError(Self.rule(filter + "<Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>"),
                        code: "InvalidRequest", parse)
            expectError(Self.rule(filter + "<Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload>"),
                        code: "InvalidRequest", parse)
        }
        do {
            _ = try parse(Self.rule("<Filter>\(tag)</Filter><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload>").bytes)
            Issue.record("an abort rule with a tag filter was accepted")
        } catch {
            #expect(error.message == "AbortIncompleteMultipartUpload cannot be specified with Tags.")
        }
    }
}
