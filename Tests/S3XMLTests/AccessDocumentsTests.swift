import S3XML
import Testing

/// The bucket access documents: PublicAccessBlockConfiguration, OwnershipControls and AccessControlPolicy.
@Suite struct AccessDocumentsTests {
    func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    @Test func publicAccessBlockReadsEachSettingAndWritesThemBack() throws {
        let c = try S3RequestXML.publicAccessBlockConfiguration(bytes(
            "<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>"))
        #expect(c.blockPublicAcls && !c.ignorePublicAcls && !c.blockPublicPolicy && c.restrictPublicBuckets)
        #expect(try S3RequestXML.publicAccessBlockConfiguration(bytes(S3RequestXML.publicAccessBlockDocument(c))) == c)
        for bad in ["<PublicAccessBlockConfiguration><BlockPublicAcls>yes</BlockPublicAcls></PublicAccessBlockConfiguration>",
                    "<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls><BlockPublicAcls>true</BlockPublicAcls></PublicAccessBlockConfiguration>",
                    "<Other/>"] {
            #expect(throws: S3XMLError.self) { _ = try S3RequestXML.publicAccessBlockConfiguration(bytes(bad)) }
        }
    }

    @Test func ownershipControlsHoldOneKnownRule() throws {
        for o in ObjectOwnership.allCases {
            #expect(try S3RequestXML.ownershipControls(bytes(S3RequestXML.ownershipControlsDocument(o))) == o)
        }
        for bad in ["<OwnershipControls/>", "<OwnershipControls><Rule><ObjectOwnership>Mine</ObjectOwnership></Rule></OwnershipControls>",
                    "<OwnershipControls><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule></OwnershipControls>"] {
            #expect(throws: S3XMLError.self) { _ = try S3RequestXML.ownershipControls(bytes(bad)) }
        }
    }

    @Test func accessControlPoliciesNameTheirGranteesByElement() throws {
        let p = try S3RequestXML.accessControlPolicy(bytes("""
            <AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>abc</ID></Owner><AccessControlList>
            <Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>abc</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant>
            <Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant>
            <Grant><Grantee><EmailAddress>a@b.c</EmailAddress></Grantee><Permission>WRITE</Permission></Grant>
            </AccessControlList></AccessControlPolicy>
            """))
        #expect(p.ownerID == "abc")
        #expect(p.grants == [.init(grantee: .canonicalUser(id: "abc"), permission: "FULL_CONTROL"),
                             .init(grantee: .group(uri: "http://acs.amazonaws.com/groups/global/AllUsers"), permission: "READ"),
                             .init(grantee: .email("a@b.c"), permission: "WRITE")])
    }
}
