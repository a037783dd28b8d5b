import Foundation
import PostPolicy
import Testing
import WireFormats

/// POST policy decoding and evaluation (browser form uploads), without a server.
@Suite struct PostPolicyTests {
    /// The policy boto3 1.43.11 `generate_presigned_post` sent for the s3v4 signer (wire fixture).
    static let botoV4Policy =
        "eyJleHBpcmF0aW9uIjogIjIwMjYtMTEtMjFUMTc6MjQ6NTdaIiwgImNvbmRpdGlvbnMiOiBbeyJidWNrZXQiOiAid2lyZS1idWNrZXQifSwgeyJrZXkiOiAiYm90bzMvcHJlc2lnbmVkLXBvc3QtczN2NC50eHQifSwgeyJ4LWFtei1hbGdvcml0aG0iOiAiQVdTNC1ITUFDLVNIQTI1NiJ9LCB7IngtYW16LWNyZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAyNjExMjEvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LCB7IngtYW16LWRhdGUiOiAiMjAyNjExMjFUMTYyNDU3WiJ9XX0="

    static func policy(_ json: String) throws -> PostPolicyDocument {
        try PostPolicyDocument(json: Data(json.utf8))
    }

    static func error(_ body: () throws -> Void) -> PostPolicyError? {
        do { try body() } catch let e as PostPolicyError { return e } catch { Issue.record("unexpected \(error)") }
        return nil
    }

    static let future = "2099-01-01T00:00:00.000Z"
    static let now = 1_800_000_000.0

    static func form(_ pairs: [(String, String)]) throws -> PostForm { try PostForm(pairs) }

    // MARK: decoding

    @Test func decodesBotoV4Policy() throws {
        let p = try PostPolicyDocument(base64: Self.botoV4Policy)
        #expect(p.expiration == ISO8601Time.parse("2026-11-21T17:24:57Z"))
        #expect(p.conditions == [
            .equals(field: "bucket", value: "wire-bucket"),
            .equals(field: "key", value: "boto3/presigned-post-s3v4.txt"),
            .equals(field: "x-amz-algorithm", value: "AWS4-HMAC-SHA256"),
            .equals(field: "x-amz-credential", value: "AKIAIOSFODNN7EXAMPLE/20261121/us-east-1/s3/aws4_request"),
            .equals(field: "x-amz-date", value: "20261121T162457Z"),
        ])
        // The fixture's form passes at recording time.
        let form = try Self.form([
            ("key", "boto3/presigned-post-s3v4.txt"), ("x-amz-algorithm", "AWS4-HMAC-SHA256"),
            ("x-amz-credential", "AKIAIOSFODNN7EXAMPLE/20261121/us-east-1/s3/aws4_request"),
            ("x-amz-date", "20261121T162457Z"), ("policy", Self.botoV4Policy), ("x-amz-signature", "88749f"),
        ])
        try p.check(form, bucket: "wire-bucket", now: ISO8601Time.parse("2026-11-21T16:24:57Z")!)
        #expect(Self.error { try p.check(form, bucket: "other", now: 0) }?.message
            == "Invalid according to Policy: Policy Condition failed: [\"eq\", \"$bucket\", \"wire-bucket\"]")
    }

    @Test func decodesEveryConditionForm() throws {
        let p = try Self.policy("""
            {"expiration": "\(Self.future)", "conditions": [
              {"acl": "public-read"}, ["eq", "$key", "k"], ["starts-with", "$Content-Type", "image/"],
              ["content-length-range", 1, 1048576], ["StArTs-WiTh", "$x-amz-meta-tag", ""], ["content-length-range", "2", 10.0]
            ]}
            """)
        #expect(p.conditions == [
            .equals(field: "acl", value: "public-read"), .equals(field: "key", value: "k"),
            .startsWith(field: "content-type", prefix: "image/"), .contentLengthRange(min: 1, max: 1_048_576),
            .startsWith(field: "x-amz-meta-tag", prefix: ""), .contentLengthRange(min: 2, max: 10),
        ])
        #expect(p.sizeLimits?.min == 2)
        #expect(p.sizeLimits?.max == 10)
    }

    @Test(arguments: [
        ("not json", "Invalid Policy: Invalid JSON."),
        ("[1, 2]", "Invalid Policy: Invalid JSON."),
        ("{\"conditions\": []}", "Invalid Policy: Policy missing expiration."),
        ("{\"expiration\": \"\(future)\"}", "Invalid Policy: Policy missing conditions."),
        ("{\"expiration\": \"2099-01-01 00:00:00\", \"conditions\": []}", "Invalid Policy: Invalid 'expiration' value: '\"2099-01-01 00:00:00\"'"),
        ("{\"expiration\": \"\(future)\", \"conditions\": {}}", "Invalid Policy: Invalid 'conditions' value: must be a List."),
        ("{\"expiration\": \"\(future)\", \"conditions\": [{}]}", "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified."),
        ("{\"expiration\": \"\(future)\", \"conditions\": [[\"matches\", \"$key\", \"x\"]]}", "Invalid Policy: Invalid Condition: unknown operation \"matches\"."),
        ("{\"expiration\": \"\(future)\", \"conditions\": [[\"eq\", \"key\", \"x\"]]}", "Invalid Policy: Invalid Condition: field names must start with '$': [\"eq\", \"key\", \"x\"]"),
        ("{\"expiration\": \"\(future)\", \"conditions\": [[\"content-length-range\", 0]]}", "Invalid Policy: Invalid content-length-range: [\"content-length-range\", 0]"),
        ("{\"expiration\": \"\(future)\", \"conditions\": [[\"content-length-range\", -1, 0]]}", "Invalid Policy: Invalid content-length-range: [\"content-length-range\", -1, 0]"),
        ("{\"expiration\": \"\(future)\", \"conditions\": [[\"content-length-range\", 5, 1]]}", "Invalid Policy: Invalid content-length-range: [\"content-length-range\", 5, 1]"),
        ("{\"expiration\": \"\(future)\", \"conditions\": [\"key\"]}", "Invalid Policy: Invalid Condition: \"key\""),
    ])
    func rejectsInvalidPolicies(json: String, message: String) {
        let e = Self.error { _ = try Self.policy(json) }
        #expect(e?.code == "InvalidPolicyDocument")
        #expect(e?.message == message)
    }

    @Test func rejectsBadBase64() {
        #expect(Self.error { _ = try PostPolicyDocument(base64: "") }?.code == "InvalidPolicyDocument")
        #expect(Self.error { _ = try PostPolicyDocument(base64: "!!!!") }?.code == "InvalidPolicyDocument")
    }

    /// The expiration is an RFC 3339 time, read by WireFormats' ISO8601Time (whose own tests cover the format).
    @Test func parsesExpirationTimes() throws {
        func expiration(_ text: String) throws -> Double {
            try Self.policy(#"{"expiration": "\#(text)", "conditions": []}"#).expiration
        }
        #expect(try expiration("1970-01-01T00:00:00Z") == 0)
        #expect(try expiration("2007-12-01T12:00:00.000Z") == 1_196_510_400)
        #expect(try expiration("2007-12-01T12:00:00.5Z") == 1_196_510_400.5)
        #expect(try expiration("2007-12-01T13:00:00+01:00") == 1_196_510_400)
        for bad in ["2007-12-01T12:00:00", "2007-13-01T12:00:00Z", "2007-12-01T12:00:00.Z", "2007-02-30T12:00:00Z"] {
            #expect(Self.error { _ = try expiration(bad) }?.message == "Invalid Policy: Invalid 'expiration' value: '\"\(bad)\"'")
        }
    }

    // MARK: evaluation

    static let basic = """
        {"expiration": "\(future)", "conditions": [
          {"bucket": "b"}, ["starts-with", "$key", "uploads/"], ["starts-with", "$Content-Type", "image/"],
          ["eq", "$success_action_status", "201"], ["content-length-range", 10, 100]
        ]}
        """

    @Test func acceptsAMatchingForm() throws {
        let p = try Self.policy(Self.basic)
        let form = try Self.form([
            ("Key", "uploads/a.png"), ("AWSAccessKeyId", "AK"), ("Policy", "x"), ("Signature", "s"),
            ("content-type", "image/png"), ("success_action_status", "201"), ("x-ignore-me", "whatever"),
        ])
        try p.check(form, bucket: "b", now: Self.now)
    }

    @Test func expiredPolicyIsDenied() throws {
        let p = try Self.policy("{\"expiration\": \"2020-01-01T00:00:00Z\", \"conditions\": []}")
        let e = Self.error { try p.check(PostForm(), bucket: "b", now: Self.now) }
        #expect(e?.code == "AccessDenied")
        #expect(e?.message == "Invalid according to Policy: Policy expired.")
    }

    @Test func failedConditionsAreQuoted() throws {
        let p = try Self.policy(Self.basic)
        var e = Self.error {
            try p.check(Self.form([("key", "other/a.png"), ("content-type", "image/png"), ("success_action_status", "201")]),
                        bucket: "b", now: Self.now)
        }
        #expect(e?.code == "AccessDenied")
        #expect(e?.message == "Invalid according to Policy: Policy Condition failed: [\"starts-with\", \"$key\", \"uploads/\"]")
        // A field the policy names but the form lacks counts as empty.
        e = Self.error {
            try p.check(Self.form([("key", "uploads/a"), ("content-type", "image/png")]), bucket: "b", now: Self.now)
        }
        #expect(e?.message == "Invalid according to Policy: Policy Condition failed: [\"eq\", \"$success_action_status\", \"201\"]")
    }

    @Test func extraFieldsAreDenied() throws {
        let p = try Self.policy(Self.basic)
        let e = Self.error {
            try p.check(Self.form([("key", "uploads/a"), ("Content-Type", "image/png"), ("success_action_status", "201"),
                                   ("x-amz-meta-owner", "me"), ("acl", "private")]),
                        bucket: "b", now: Self.now)
        }
        #expect(e?.code == "AccessDenied")
        #expect(e?.message == "Invalid according to Policy: Extra input fields: x-amz-meta-owner, acl")
    }

    @Test func emptyStartsWithAllowsAnythingOrNothing() throws {
        let p = try Self.policy("""
            {"expiration": "\(Self.future)", "conditions": [["starts-with", "$key", ""], ["starts-with", "$success_action_redirect", ""]]}
            """)
        try p.check(Self.form([("key", "anything")]), bucket: "b", now: Self.now)
        try p.check(Self.form([("key", "x"), ("success_action_redirect", "http://example.com/")]), bucket: "b", now: Self.now)
    }

    @Test func contentTypeListsMatchEachEntry() throws {
        let p = try Self.policy("""
            {"expiration": "\(Self.future)", "conditions": [["starts-with", "$key", ""], ["starts-with", "$Content-Type", "image/"]]}
            """)
        try p.check(Self.form([("key", "k"), ("Content-Type", "image/jpeg, image/png")]), bucket: "b", now: Self.now)
        #expect(Self.error {
            try p.check(Self.form([("key", "k"), ("Content-Type", "image/jpeg,text/plain")]), bucket: "b", now: Self.now)
        }?.code == "AccessDenied")
    }

    @Test func sizeLimits() throws {
        let p = try Self.policy(Self.basic)
        try p.checkPartialSize(100)
        try p.checkFinalSize(10)
        var e = Self.error { try p.checkPartialSize(101) }
        #expect(e?.code == "EntityTooLarge")
        #expect(e?.details == [.init("ProposedSize", "101"), .init("MaxSizeAllowed", "100")])
        e = Self.error { try p.checkFinalSize(9) }
        #expect(e?.code == "EntityTooSmall")
        #expect(e?.details == [.init("ProposedSize", "9"), .init("MinSizeAllowed", "10")])
        let unlimited = try Self.policy("{\"expiration\": \"\(Self.future)\", \"conditions\": []}")
        try unlimited.checkFinalSize(0)
        try unlimited.checkPartialSize(Int64.max)
    }

    // MARK: form

    @Test func formCapsFieldSizes() throws {
        var form = PostForm()
        try form.append(name: "a", value: String(repeating: "x", count: PostForm.maxFieldBytes))
        #expect(Self.error { try form.append(name: "b", value: String(repeating: "x", count: PostForm.maxFieldBytes + 1)) }
            == .preDataTooLarge)
        var big = PostForm()
        let e = Self.error {
            for i in 0..<100 { try big.append(name: "f\(i)", value: String(repeating: "y", count: 20_000)) }
        }
        #expect(e?.code == "MaxPostPreDataLengthExceeded")
    }

    @Test func formLooksUpNamesInAnyCaseFirstWins() throws {
        let form = try Self.form([("Key", "one"), ("KEY", "two"), ("Content-Type", "text/plain")])
        #expect(form.value("key") == "one")
        #expect(form.value("content-type") == "text/plain")
        #expect(form.names == ["Key", "Content-Type"])
    }

    @Test func filenameIsSubstitutedWithItsLastComponent() throws {
        var form = try Self.form([("key", "uploads/${filename}"), ("x-amz-meta-name", "${filename}!")])
        form.substituteFilename("C:\\Users\\me\\photo.jpg")
        #expect(form.value("key") == "uploads/photo.jpg")
        #expect(form.value("x-amz-meta-name") == "photo.jpg!")
        var none = try Self.form([("key", "a/${filename}")])
        none.substituteFilename(nil)
        #expect(none.value("key") == "a/")
        #expect(PostForm.baseName("dir/sub/f.txt") == "f.txt")
        #expect(PostForm.baseName("f.txt") == "f.txt")
    }

    @Test func contentDispositionParsing() throws {
        var cd = try #require(ContentDisposition("form-data; name=\"file\"; filename=\"small.txt\""))
        #expect(cd.type == "form-data")
        #expect(cd.name == "file")
        #expect(cd.filename == "small.txt")
        cd = try #require(ContentDisposition("Form-Data;name=key"))
        #expect(cd.type == "form-data")
        #expect(cd.name == "key")
        #expect(cd.filename == nil)
        cd = try #require(ContentDisposition("form-data; name=\"a\\\"b\"; filename=\"C:\\dir\\x.txt\""))
        #expect(cd.name == "a\"b")
        #expect(cd.filename == "C:\\dir\\x.txt")
        cd = try #require(ContentDisposition("form-data; name=\"file\"; filename=\"x\"; filename*=UTF-8''na%C3%AFve.txt"))
        #expect(cd.filename == "naïve.txt")
        #expect(ContentDisposition("form-data; name=\"unterminated") == nil)
        #expect(ContentDisposition("") == nil)
        // The same grammar reads the request's boundary.
        let ct = try #require(ContentDisposition("multipart/form-data; boundary=\"----abc\""))
        #expect(ct.parameters["boundary"] == "----abc")
    }
}
