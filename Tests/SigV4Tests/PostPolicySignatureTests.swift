import Foundation
import Testing

@testable import SigV4

/// Browser-upload (PostObject) policy signatures, replayed from the boto3 wire fixtures.
@Suite struct PostPolicySignatureTests {
    /// The text fields of a recorded multipart/form-data body (a small splitter for tests only).
    static func formFields(_ record: WireRecord) throws -> [String: String] {
        let contentType = try #require(record.header("content-type"))
        let boundary = try #require(contentType.components(separatedBy: "boundary=").last)
        let body = String(decoding: try #require(record.wireBody), as: UTF8.self)
        var fields: [String: String] = [:]
        for part in body.components(separatedBy: "--" + boundary) {
            guard let split = part.range(of: "\r\n\r\n") else { continue }
            let head = part[..<split.lowerBound]
            guard let nameRange = head.range(of: "name=\"") else { continue }
            let name = head[nameRange.upperBound...].prefix { $0 != "\"" }
            var value = String(part[split.upperBound...])
            if value.hasSuffix("\r\n") { value.removeLast(1) }  // "\r\n" is one Character
            fields[name.lowercased()] = value
        }
        return fields
    }

    static func postRecords() throws -> [WireRecord] {
        try Fixtures.loadAll().filter { $0.op == "PostObject" }
    }

    static func verify(_ fields: [String: String], verifier: Verifier = Fixtures.verifier()) throws(AuthError) -> VerifiedAuth? {
        try verifier.verifyPostPolicy(field: { fields[$0] })
    }

    @Test func everyRecordedFormVerifies() throws {
        let records = try Self.postRecords()
        #expect(records.count >= 8)
        var versions = Set<Int>()
        for record in records {
            let fields = try Self.formFields(record)
            let auth = try #require(try Self.verify(fields), "\(record.label)")
            #expect(auth.accessKey == Fixtures.accessKey)
            versions.insert(auth.version)
        }
        #expect(versions == [2, 4])
    }

    @Test func signingHelpersReproduceTheRecordedSignatures() throws {
        for record in try Self.postRecords() {
            let f = try Self.formFields(record)
            let policy = try #require(f["policy"])
            if let credential = f["x-amz-credential"] {
                let date = String(credential.split(separator: "/")[1])
                #expect(Verifier.postPolicySignatureV4(policy: policy, secret: Fixtures.secret, date: date, region: "us-east-1")
                    == f["x-amz-signature"])
            } else {
                #expect(Verifier.postPolicySignatureV2(policy: policy, secret: Fixtures.secret) == f["signature"])
            }
        }
    }

    @Test func tamperedPoliciesAndSignaturesFail() throws {
        for record in try Self.postRecords() {
            var f = try Self.formFields(record)
            let sigField = f["x-amz-signature"] != nil ? "x-amz-signature" : "signature"
            var tampered = f
            tampered["policy"] = "e30=" + f["policy"]!
            var e = authError { _ = try Self.verify(tampered) }
            #expect(e?.code == "SignatureDoesNotMatch")
            #expect(e?.status == 403)
            #expect(e?.detail("StringToSign") == tampered["policy"])
            tampered = f
            tampered[sigField] = String(f[sigField]!.reversed())
            e = authError { _ = try Self.verify(tampered) }
            #expect(e?.code == "SignatureDoesNotMatch")
            // A wrong secret fails too.
            e = authError { _ = try Self.verify(f, verifier: Fixtures.verifier(credentials: { _ in "other" })) }
            #expect(e?.code == "SignatureDoesNotMatch")
            // An unknown access key.
            e = authError { _ = try Self.verify(f, verifier: Fixtures.verifier(credentials: { _ in nil })) }
            #expect(e?.code == "InvalidAccessKeyId")
            #expect(e?.status == 403)
            // A missing signature is a malformed form.
            f[sigField] = nil
            e = authError { _ = try Self.verify(f) }
            #expect(e?.code == "InvalidArgument")
            #expect(e?.status == 400)
            #expect(e?.detail("ArgumentName") == sigField)
        }
    }

    @Test func v4ScopeIsChecked() throws {
        let record = try #require(try Self.postRecords().first { $0.wireBody.map { String(decoding: $0, as: UTF8.self).contains("x-amz-credential") } ?? false })
        let f = try Self.formFields(record)
        var e = authError { _ = try Self.verify(f, verifier: Verifier(region: "eu-west-1", credentials: { _ in Fixtures.secret }, maxSkew: nil)) }
        #expect(e?.code == "AuthorizationQueryParametersError")
        #expect(e?.message.contains("the region 'us-east-1' is wrong; expecting 'eu-west-1'") == true)
        var g = f
        g["x-amz-date"] = "20200101T000000Z"
        e = authError { _ = try Self.verify(g) }
        #expect(e?.message.contains("Invalid credential date") == true)
        g = f
        g["x-amz-algorithm"] = "AWS4-HMAC-SHA1"
        e = authError { _ = try Self.verify(g) }
        #expect(e?.code == "InvalidArgument")
        g = f
        g["x-amz-credential"] = "nonsense"
        e = authError { _ = try Self.verify(g) }
        #expect(e?.code == "AuthorizationQueryParametersError")
    }

    @Test func formsWithoutCredentialsAreAnonymous() throws {
        #expect(try Self.verify(["key": "k", "policy": "e30="]) == nil)
        #expect(try Self.verify([:]) == nil)
    }
}
