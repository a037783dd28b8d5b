import Foundation
import SigV4
import Testing

/// The client-side signer against AWS's published GetObject example and against our own verifier.
@Suite struct RequestSignerTests {
    let signer = RequestSigner(accessKey: Fixtures.accessKey, secretKey: Fixtures.secret, region: "us-east-1")

    @Test func reproducesAWSGetObjectExample() {
        let request = IncomingRequest(method: "GET", path: "/test.txt", query: "",
                                      headers: [("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9")])
        let headers = signer.signatureHeaders(for: request, payloadHash: AWSExampleTests.emptyHash,
                                              at: Date(timeIntervalSince1970: AWSExampleTests.exampleTime))
        let authorization = headers.first { $0.name == "authorization" }?.value
        #expect(authorization == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    @Test func verifierAcceptsWhatItSigns() throws {
        let now = Date()
        let request = IncomingRequest(method: "PUT", path: "/bucket/a%20key/%E2%82%AC", query: "partNumber=3&uploadId=x%2By",
                                      headers: [("host", "127.0.0.1:9000"), ("content-length", "5"), ("content-md5", "XUFAKrxLKna5cZ2REBfFkg==")])
        var signed = request
        signed.headers += signer.signatureHeaders(for: request, payloadHash: RequestSigner.unsignedPayload, at: now)
        let verifier = Verifier(region: "us-east-1", credentials: { $0 == Fixtures.accessKey ? Fixtures.secret : nil }, now: { now })
        let auth = try #require(try verifier.verify(signed))
        #expect(auth.accessKey == Fixtures.accessKey)
        // A changed header or query no longer verifies.
        var tampered = signed
        tampered.query = "partNumber=4&uploadId=x%2By"
        #expect(throws: AuthError.self) { try verifier.verify(tampered) }
        let other = RequestSigner(accessKey: Fixtures.accessKey, secretKey: "not the secret", region: "us-east-1")
        var wrong = request
        wrong.headers += other.signatureHeaders(for: request, payloadHash: RequestSigner.unsignedPayload, at: now)
        #expect(throws: AuthError.self) { try verifier.verify(wrong) }
    }
}
