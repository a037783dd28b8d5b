import Foundation
import Testing

@testable import SigV4

/// Error paths of the verifier, checked against S3's codes and statuses.
@Suite struct VerifierErrorTests {
    static let time: Double = 1_369_353_600

    static func verifier(region: String = "us-east-1") -> Verifier {
        Verifier(
            region: region, credentials: { $0 == Fixtures.accessKey ? Fixtures.secret : nil },
            now: { Date(timeIntervalSince1970: time) })
    }

    static func error(_ request: IncomingRequest, region: String = "us-east-1") -> AuthError? {
        authError { _ = try verifier(region: region).verify(request) }
    }

    static func withHeader(_ request: IncomingRequest, _ name: String, _ value: String?) -> IncomingRequest {
        var r = request
        r.headers.removeAll { $0.name.lowercased() == name.lowercased() }
        if let value { r.headers.append((name, value)) }
        return r
    }

    static let get = AWSExampleTests.getObject

    @Test func anonymousRequestsAreNotAuthenticated() throws {
        let request = IncomingRequest(
            method: "GET", path: "/bucket/key", query: "list-type=2&Signature-ish=1",
            headers: [("Host", "localhost")])
        #expect(try Self.verifier().verify(request) == nil)
    }

    @Test func wrongRegionNamesTheExpectedOne() throws {
        let error = try #require(Self.error(Self.get, region: "eu-west-1"))
        #expect(error.code == "AuthorizationHeaderMalformed")
        #expect(error.status == 400)
        #expect(error.message == "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-west-1'")
        #expect(error.detail("Region") == "eu-west-1")
        // A wildcard region accepts whatever the client signed for.
        #expect(try Self.verifier(region: "*").verify(Self.get) != nil)

        let presigned = try #require(Self.error(AWSExampleTests.presignedGet, region: "eu-west-1"))
        #expect(presigned.code == "AuthorizationQueryParametersError")
        #expect(presigned.message.contains("expecting 'eu-west-1'"))
    }

    @Test func wrongServiceAndMalformedCredential() {
        var request = Self.get
        request.headers[1].value = request.headers[1].value.replacingOccurrences(of: "/s3/", with: "/ec2/")
        #expect(Self.error(request)?.code == "AuthorizationHeaderMalformed")
        request.headers[1].value = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1, SignedHeaders=host, Signature=00"
        #expect(Self.error(request)?.code == "AuthorizationHeaderMalformed")
        request.headers[1].value = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, Signature=00"
        #expect(Self.error(request)?.code == "AuthorizationHeaderMalformed")
    }

    @Test func payloadHashHeaderIsRequiredAndChecked() {
        let missing = Self.error(Self.withHeader(Self.get, "x-amz-content-sha256", nil))
        #expect(missing?.code == "InvalidRequest")
        #expect(missing?.status == 400)
        #expect(missing?.message == "Missing required header for this request: x-amz-content-sha256")
        let bogus = Self.error(Self.withHeader(Self.get, "x-amz-content-sha256", "not-a-hash"))
        #expect(bogus?.code == "InvalidArgument")
        #expect(bogus?.detail("ArgumentName") == "x-amz-content-sha256")
    }

    @Test func dateIsRequiredAndMustMatchTheCredential() {
        let missing = Self.error(Self.withHeader(Self.get, "x-amz-date", nil))
        #expect(missing?.code == "AccessDenied")
        #expect(missing?.message == "AWS authentication requires a valid Date or x-amz-date header")
        let otherDay = Self.error(Self.withHeader(Self.get, "x-amz-date", "20130525T000000Z"))
        #expect(otherDay?.code == "AuthorizationHeaderMalformed")
    }

    @Test func unsignedAmzHeadersAreRejected() {
        let error = Self.error(Self.withHeader(Self.get, "x-amz-acl", "public-read"))
        #expect(error?.code == "AccessDenied")
        #expect(error?.message == "There were headers present in the request which were not signed")
        #expect(error?.detail("HeadersNotSigned") == "x-amz-acl")
    }

    @Test func oneAuthMechanismOnly() {
        var request = Self.get
        request.query = "X-Amz-Algorithm=AWS4-HMAC-SHA256"
        let error = Self.error(request)
        #expect(error?.code == "InvalidArgument")
        #expect(error?.status == 400)
        #expect(error?.detail("ArgumentName") == "Authorization")
    }

    @Test func unsupportedAuthorizationType() {
        let error = Self.error(Self.withHeader(Self.get, "Authorization", "Bearer abc"))
        #expect(error?.code == "InvalidArgument")
        #expect(error?.message == "Unsupported Authorization Type")
        let v2 = Self.error(Self.withHeader(Self.get, "Authorization", "AWS nocolon"))
        #expect(v2?.code == "InvalidArgument")
    }

    @Test func presignedParameterErrors() {
        func query(_ change: (inout String) -> Void) -> AuthError? {
            var request = AWSExampleTests.presignedGet
            change(&request.query)
            return Self.error(request)
        }
        let week = query { $0 = $0.replacingOccurrences(of: "X-Amz-Expires=86400", with: "X-Amz-Expires=604801") }
        #expect(week?.code == "AccessDenied" && week?.status == 403)
        #expect(week?.message == "X-Amz-Expires must be less than a week (in seconds) that is; 604800")
        // Zero and negative lifetimes have expired the moment they were signed: 403, even in the signing second.
        for lifetime in ["0", "-1000"] {
            var request = AWSExampleTests.presignedGet
            request.query = request.query.replacingOccurrences(of: "X-Amz-Expires=86400", with: "X-Amz-Expires=" + lifetime)
            let expired = authError { _ = try AWSExampleTests.verifier(at: AWSExampleTests.exampleTime).verify(request) }
            #expect(expired?.code == "AccessDenied" && expired?.status == 403, "X-Amz-Expires=\(lifetime)")
            #expect(expired?.message == "Request has expired")
        }
        let missing = query { $0 = $0.replacingOccurrences(of: "X-Amz-SignedHeaders=host&", with: "") }
        #expect(missing?.code == "AuthorizationQueryParametersError")
        let algorithm = query { $0 = $0.replacingOccurrences(of: "AWS4-HMAC-SHA256", with: "AWS4-HMAC-SHA1") }
        #expect(algorithm?.code == "AuthorizationQueryParametersError")
        let badDate = query { $0 = $0.replacingOccurrences(of: "X-Amz-Date=20130524T000000Z", with: "X-Amz-Date=2013-05-24") }
        #expect(badDate?.code == "AuthorizationQueryParametersError")
        let unknown = query { $0 = $0.replacingOccurrences(of: "AKIAIOSFODNN7EXAMPLE", with: "AKIAUNKNOWN") }
        #expect(unknown?.code == "InvalidAccessKeyId")
    }

    @Test func presignedPayloadHashFromQuery() throws {
        // X-Amz-Content-Sha256 in the query becomes the signed payload hash; here it breaks
        // the example's signature, which signed UNSIGNED-PAYLOAD.
        var request = AWSExampleTests.presignedGet
        request.query += "&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD"
        #expect(Self.error(request)?.code == "SignatureDoesNotMatch")
        request.query = AWSExampleTests.presignedQuery + "&X-Amz-Content-Sha256=STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
        #expect(Self.error(request)?.code == "InvalidArgument")
    }

    @Test func v2QueryNeedsAllParameters() {
        let request = IncomingRequest(
            method: "GET", path: "/k", query: "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=abc",
            headers: [("Host", "h")])
        let error = Self.error(request)
        #expect(error?.code == "AccessDenied")
        #expect(error?.status == 403)
    }

    /// Signing keys are cached and shared across concurrent verifications.
    @Test func concurrentVerification() async throws {
        let verifier = Self.verifier()
        let results = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<64 {
                group.addTask {
                    let request = i % 2 == 0 ? AWSExampleTests.getObject : AWSExampleTests.presignedGet
                    return (try? verifier.verify(request)) != nil
                }
            }
            var all: [Bool] = []
            for await ok in group { all.append(ok) }
            return all
        }
        #expect(results.count == 64 && results.allSatisfy { $0 })
    }
}

/// The building blocks of the canonical forms.
@Suite struct CanonicalizationTests {
    @Test(arguments: [
        ("uploads", "uploads="),
        ("uploads=", "uploads="),
        ("list-type=2&prefix=boto3%2F&encoding-type=url", "encoding-type=url&list-type=2&prefix=boto3%2F"),
        ("delimiter=&max-keys=1000&prefix=", "delimiter=&max-keys=1000&prefix="),
        ("a=b+c", "a=b%20c"),
        ("a=%7e%2f%2C", "a=~%2F%2C"),
        ("k=%zz", "k=%25zz"),
        ("b=2&a=2&a=1", "a=1&a=2&b=2"),
        ("key=ä b", "key=%C3%A4%20b"),
        ("", ""),
    ])
    func canonicalQuery(raw: String, canonical: String) {
        #expect(QueryString(raw).canonical() == canonical)
    }

    @Test func presignedQueryDropsOnlyTheSignature() {
        #expect(QueryString("X-Amz-Signature=abc&X-Amz-Date=1").canonical(excluding: "X-Amz-Signature") == "X-Amz-Date=1")
    }

    @Test func headerValues() {
        #expect(CanonicalRequest.normalizeHeaderValue("  a   b  c \t") == "a b c")
        let request = IncomingRequest(
            method: "GET", path: "/", query: "",
            headers: [("X-Amz-Meta-A", " one "), ("x-amz-meta-a", "two  words"), ("Host", "h")])
        #expect(CanonicalRequest.canonicalHeaders(["host", "x-amz-meta-a"], in: request) == "host:h\nx-amz-meta-a:one,two words\n")
    }

    @Test func authorizationHeaderWithAndWithoutSpaces() throws {
        for separator in [",", ", ", " ,  "] {
            let header = ["AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request", "SignedHeaders=host;x-amz-date", "Signature=abc"]
                .joined(separator: separator)
            let parsed = try Verifier.parseAuthorizationV4(header)
            #expect(parsed.credential == "AK/20130524/us-east-1/s3/aws4_request")
            #expect(parsed.signedHeaders == ["host", "x-amz-date"])
            #expect(parsed.signature == "abc")
        }
    }

    @Test func v2CanonicalResource() {
        let request = IncomingRequest(
            method: "PUT", path: "/k", query: "uploadId=x%2By&partNumber=1&foo=bar&uploads",
            headers: [], virtualHostBucket: "b")
        #expect(Verifier.canonicalResourceV2(request, query: QueryString(request.query)) == "/b/k?partNumber=1&uploadId=x+y&uploads")
    }
}
