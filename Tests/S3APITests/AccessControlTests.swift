import HTTPTypes
import S3XML
import StorageCore
import Testing
@testable import S3API

/// ACLs: grant headers, canned ACLs, the AccessControlPolicy document both ways, who a grant includes,
/// the object gate, and what each endpoint requires.
@Suite struct AccessControlTests {
    let alice = User(name: "alice")
    let bob = User(name: "bob")

    func request(_ headers: [(String, String)], method: String = "PUT", target: String = "/b/k") throws -> S3Request {
        var fields = HTTPFields()
        for (n, v) in headers { fields.append(HTTPField(name: HTTPField.Name(n)!, value: v)) }
        let head = HTTPRequest(method: HTTPRequest.Method(method)!, scheme: "http", authority: "127.0.0.1:9000", path: target, headerFields: fields)
        return try S3Request(head: head, domain: nil)
    }

    func code(_ body: () throws -> Void) -> String? {
        do { try body(); return nil } catch let e as CoreError { return e.code } catch { return "\(error)" }
    }

    @Test func canonicalIDsAreStableDistinctAndShapedAsS3s() {
        #expect(alice.canonicalID == User(name: "alice").canonicalID)
        #expect(alice.canonicalID != bob.canonicalID)
        #expect(alice.canonicalID.utf8.count == 64 && alice.canonicalID.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        #expect(User.isValidName("alice.b+c=d,e@f_g-h") && !User.isValidName("") && !User.isValidName("a b")
                && !User.isValidName(String(repeating: "a", count: 65)) && !User.isValidName("é"))
    }

    @Test func grantHeadersNameUsersAndGroups() throws {
        let s3 = try request([("x-amz-grant-read", "id=\"\(bob.canonicalID)\", uri=\"http://acs.amazonaws.com/groups/global/AllUsers\""),
                              ("x-amz-grant-write-acp", "ID=\(bob.canonicalID.uppercased())")])
        let acl = try #require(try GrantHeaders.acl(s3, bucketOwner: alice))
        #expect(acl.grants == [Grant(.user(canonicalID: bob.canonicalID), .read), Grant(.group(.allUsers), .read),
                               Grant(.user(canonicalID: bob.canonicalID), .writeACP)])
        #expect(try GrantHeaders.acl(try request([]), bucketOwner: alice) == nil)
    }

    @Test func badGrantHeadersGetS3sErrors() throws {
        let cases: [([(String, String)], String)] = [
            ([("x-amz-acl", "private"), ("x-amz-grant-read", "id=\"\(bob.canonicalID)\"")], "InvalidRequest"),
            ([("x-amz-acl", "everyone")], "InvalidArgument"),
            ([("x-amz-grant-read", "id=\"abc\"")], "InvalidArgument"),
            ([("x-amz-grant-read", "uri=\"http://acs.amazonaws.com/groups/global/Everyone\"")], "InvalidArgument"),
            ([("x-amz-grant-read", "emailAddress=\"a@b.c\"")], "UnresolvableGrantByEmailAddress"),
            ([("x-amz-grant-read", "nonsense")], "InvalidArgument"),
            ([("x-amz-grant-read", "id=\"\(bob.canonicalID)\",")], "InvalidArgument"),
        ]
        for (headers, want) in cases {
            let s3 = try request(headers)
            #expect(code { _ = try GrantHeaders.acl(s3, bucketOwner: alice) } == want, "\(headers)")
        }
    }

    @Test func cannedACLsAreTheGrantsS3Documents() {
        #expect(CannedACL.private.acl(bucketOwner: alice).grants.isEmpty)
        #expect(CannedACL.publicRead.acl(bucketOwner: alice).grants == [Grant(.group(.allUsers), .read)])
        #expect(CannedACL.publicReadWrite.acl(bucketOwner: alice).grants.map(\.permission) == [.read, .write])
        #expect(CannedACL.authenticatedRead.acl(bucketOwner: alice).grants == [Grant(.group(.authenticatedUsers), .read)])
        #expect(CannedACL.bucketOwnerFullControl.acl(bucketOwner: alice).grants == [Grant(.user(canonicalID: alice.canonicalID), .fullControl)])
        #expect(CannedACL.bucketOwnerRead.acl(bucketOwner: alice).grants == [Grant(.user(canonicalID: alice.canonicalID), .read)])
    }

    @Test func grantsIncludeWhomTheyName() {
        let acl = AccessControlList(grants: [Grant(.user(canonicalID: bob.canonicalID), .read), Grant(.group(.authenticatedUsers), .readACP),
                                             Grant(.group(.allUsers), .writeACP)])
        #expect(acl.allows(.read, to: .user(bob)) && !acl.allows(.read, to: .user(alice)) && !acl.allows(.read, to: .anonymous))
        #expect(acl.allows(.readACP, to: .user(alice)) && !acl.allows(.readACP, to: .anonymous))
        #expect(acl.allows(.writeACP, to: .anonymous))
        #expect(!acl.allows(.write, to: .user(bob)))
        let full = AccessControlList(grants: [Grant(.user(canonicalID: bob.canonicalID), .fullControl)])
        #expect(Permission.allCases.allSatisfy { full.allows($0, to: .user(bob)) })
        #expect(!AccessControlList.private.allows(.read, to: .user(bob)))
        // The bucket's owner may do anything; names compare as bytes.
        let access = BucketAccess(owner: alice, acl: .private)
        #expect(access.allows(.write, to: .user(User(name: "alice"))) && !access.allows(.read, to: .user(bob)) && !access.allows(.read, to: .anonymous))
    }

    @Test func policyDocumentsRoundTrip() throws {
        let acl = AccessControlList(grants: [Grant(.user(canonicalID: bob.canonicalID), .write), Grant(.group(.allUsers), .read)])
        let text = AccessControl.policyDocument(owner: alice, acl: acl)
        #expect(text.contains("<ID>\(alice.canonicalID)</ID><DisplayName>alice</DisplayName>"))
        let s3 = try request([], target: "/b?acl")
        let back = try AccessControl.requested(s3, body: Array(text.utf8), owner: alice, bucketOwner: alice)
        #expect(back == acl)   // the owner's own FULL_CONTROL is implied, not kept
        // The body and ACL headers at once: UnexpectedContent; neither: MissingSecurityHeader.
        #expect(code { _ = try AccessControl.requested(try request([("x-amz-acl", "private")]), body: Array(text.utf8), owner: alice, bucketOwner: alice) }
                == "UnexpectedContent")
        #expect(code { _ = try AccessControl.requested(s3, body: [], owner: alice, bucketOwner: alice) } == "MissingSecurityHeader")
    }

    @Test func malformedPolicyDocumentsAreMalformedACLError() {
        let bodies = [
            "<AccessControlPolicy><AccessControlList><Grant><Grantee><ID>x</ID><URI>y</URI></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>",
            "<AccessControlPolicy><AccessControlList><Grant><Grantee><ID>x</ID></Grantee><Permission>OWN</Permission></Grant></AccessControlList></AccessControlPolicy>",
            "<AccessControlPolicy><AccessControlList><Grant><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>",
            "<AccessControlPolicy>",
            "<Other/>",
        ]
        for body in bodies {
            #expect(throws: S3XMLError.self) { _ = try S3RequestXML.accessControlPolicy(Array(body.utf8)) }
            do { _ = try S3RequestXML.accessControlPolicy(Array(body.utf8)) } catch { #expect(error.code == "MalformedACLError", "\(body)") }
        }
    }

    @Test func theObjectGateLetsThroughOnlyWhomTheObjectAllows() throws {
        var attributes = ObjectAttributes()
        attributes.acl = AccessControlList(grants: [Grant(.user(canonicalID: bob.canonicalID), .read)])
        let record = ObjectRecord(bucket: "b", key: "k", version: 1, size: 0, etag: "", lastModified: .init(), attributes: attributes, partsCount: nil)
        let gate = ObjectAccessGate(permission: .read, caller: .user(bob), mayList: false)
        #expect(!gate.wasPassed)
        try gate.pass(record)
        #expect(gate.wasPassed)
        #expect(code { try ObjectAccessGate(permission: .readACP, caller: .user(bob), mayList: false).pass(record) } == "AccessDenied")
        #expect(code { try ObjectAccessGate(permission: .read, caller: .anonymous, mayList: false).pass(record) } == "AccessDenied")
        // The object's writer owns it.
        var written = record
        written.attributes.ownerName = "carol"
        try ObjectAccessGate(permission: .writeACP, caller: .user(User(name: "carol")), mayList: false).pass(written)
        // A missing key is hidden from a caller who may not list the bucket.
        let hidden = ObjectAccessGate(permission: .read, caller: .anonymous, mayList: false).hide(CoreError.noSuchKey("k"))
        #expect((hidden as? CoreError)?.code == "AccessDenied")
        let shown = ObjectAccessGate(permission: .read, caller: .anonymous, mayList: true).hide(CoreError.noSuchKey("k"))
        #expect((shown as? CoreError)?.code == "NoSuchKey")
    }

    @Test func everyEndpointRequiresWhatS3Does() throws {
        func requirement(_ method: String, _ target: String) throws -> AccessRequirement {
            try S3Endpoint.resolve(try request([], method: method, target: target), maxParts: 10_000).requirement
        }
        #expect(try requirement("GET", "/") == .authenticated)
        #expect(try requirement("PUT", "/b") == .authenticated)
        #expect(try requirement("GET", "/b") == .bucket(.read))
        #expect(try requirement("GET", "/b?versions") == .bucket(.read))
        #expect(try requirement("PUT", "/b/k") == .bucket(.write))
        #expect(try requirement("DELETE", "/b/k") == .bucket(.write))
        #expect(try requirement("GET", "/b?acl") == .bucket(.readACP))
        #expect(try requirement("PUT", "/b?acl") == .bucket(.writeACP))
        #expect(try requirement("PUT", "/b?versioning") == .bucketOwner)
        #expect(try requirement("DELETE", "/b") == .bucketOwner)
        #expect(try requirement("GET", "/b/k") == .object(.read))
        #expect(try requirement("HEAD", "/b/k") == .object(.read))
        #expect(try requirement("GET", "/b/k?acl") == .object(.readACP))
        #expect(try requirement("PUT", "/b/k?acl") == .object(.writeACP))
        #expect(try requirement("OPTIONS", "/b/k") == .anyone)
    }
}
