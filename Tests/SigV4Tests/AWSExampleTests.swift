import Foundation
import SigV4
import Testing

/// AWS's published signing examples (S3 API reference: "Signature Calculations for the
/// Authorization Header", "Authenticating Requests: Using Query Parameters", and the SigV2
/// "Signing and Authenticating REST Requests" examples).
@Suite struct AWSExampleTests {
    static let emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    /// 2013-05-24T00:00:00Z, the time of every SigV4 example.
    static let exampleTime: Double = 1_369_353_600

    static func verifier(at time: Double, maxSkew: TimeInterval? = 900) -> Verifier {
        Verifier(
            region: "us-east-1", credentials: { $0 == Fixtures.accessKey ? Fixtures.secret : nil }, maxSkew: maxSkew,
            now: { Date(timeIntervalSince1970: time) })
    }

    static func v4Authorization(_ signedHeaders: String, _ signature: String) -> String {
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=\(signedHeaders),Signature=\(signature)"
    }

    static let getObject = IncomingRequest(
        method: "GET", path: "/test.txt", query: "",
        headers: [
            ("Host", "examplebucket.s3.amazonaws.com"),
            ("Authorization", v4Authorization(
                "host;range;x-amz-content-sha256;x-amz-date",
                "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")),
            ("Range", "bytes=0-9"),
            ("x-amz-content-sha256", emptyHash),
            ("x-amz-date", "20130524T000000Z"),
        ])

    @Test func getObjectWithRange() throws {
        let auth = try #require(try Self.verifier(at: Self.exampleTime + 60).verify(Self.getObject))
        #expect(auth.accessKey == "AKIAIOSFODNN7EXAMPLE")
        #expect(auth.version == 4 && !auth.presigned)
        #expect(auth.payload == .sha256(Self.emptyHash))
        #expect(auth.chunkSigner == nil)
    }

    /// The canonical request and string to sign match the ones the documentation prints.
    @Test func getObjectCanonicalForms() throws {
        var request = Self.getObject
        request.headers[1].value = Self.v4Authorization("host;range;x-amz-content-sha256;x-amz-date", String(repeating: "0", count: 64))
        let error = try #require(authError { _ = try Self.verifier(at: Self.exampleTime).verify(request) })
        #expect(error.code == "SignatureDoesNotMatch")
        #expect(error.detail("CanonicalRequest") == """
            GET
            /test.txt

            host:examplebucket.s3.amazonaws.com
            range:bytes=0-9
            x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            x-amz-date:20130524T000000Z

            host;range;x-amz-content-sha256;x-amz-date
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            """)
        #expect(error.detail("StringToSign") == """
            AWS4-HMAC-SHA256
            20130524T000000Z
            20130524/us-east-1/s3/aws4_request
            7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972
            """)
    }

    @Test func putObjectWithEncodedKey() throws {
        let request = IncomingRequest(
            method: "PUT", path: "/test%24file.text", query: "",
            headers: [
                ("Host", "examplebucket.s3.amazonaws.com"),
                ("Date", "Fri, 24 May 2013 00:00:00 GMT"),
                ("Authorization", Self.v4Authorization(
                    "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
                    "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")),
                ("x-amz-date", "20130524T000000Z"),
                ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
                ("x-amz-content-sha256", "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"),
            ])
        let auth = try #require(try Self.verifier(at: Self.exampleTime).verify(request))
        #expect(auth.payload == .sha256("44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"))
        var hasher = PayloadSHA256()
        hasher.update(Array("Welcome to Amazon S3.".utf8))
        #expect(throws: Never.self) { try hasher.verify(expectedHex: "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072") }
    }

    @Test(arguments: [
        ("lifecycle", "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"),
        ("lifecycle=", "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"),
        ("max-keys=2&prefix=J", "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
        ("prefix=J&max-keys=2", "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
    ])
    func bucketRequestsWithQuery(query: String, signature: String) throws {
        let request = IncomingRequest(
            method: "GET", path: "/", query: query,
            headers: [
                ("Host", "examplebucket.s3.amazonaws.com"),
                ("x-amz-date", "20130524T000000Z"),
                ("x-amz-content-sha256", Self.emptyHash),
                ("Authorization", Self.v4Authorization("host;x-amz-content-sha256;x-amz-date", signature)),
            ])
        #expect(try Self.verifier(at: Self.exampleTime).verify(request) != nil)
    }

    static let presignedQuery =
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"

    static let presignedGet = IncomingRequest(
        method: "GET", path: "/test.txt", query: presignedQuery,
        headers: [("Host", "examplebucket.s3.amazonaws.com")])

    @Test func presignedURL() throws {
        let auth = try #require(try Self.verifier(at: Self.exampleTime + 3600).verify(Self.presignedGet))
        #expect(auth.version == 4 && auth.presigned)
        #expect(auth.payload == .unsigned)
    }

    @Test func presignedURLExpires() throws {
        #expect(throws: Never.self) { try Self.verifier(at: Self.exampleTime + 86400).verify(Self.presignedGet) }
        let error = authError { _ = try Self.verifier(at: Self.exampleTime + 86401).verify(Self.presignedGet) }
        #expect(error?.code == "AccessDenied")
        #expect(error?.message == "Request has expired")
        #expect(error?.status == 403)
        #expect(error?.detail("Expires") == "2013-05-25T00:00:00Z")
        // Expiry is not checked when clock checks are off (fixture replay).
        #expect(throws: Never.self) {
            try Self.verifier(at: Self.exampleTime + 1e9, maxSkew: nil).verify(Self.presignedGet)
        }
    }

    // MARK: SigV2

    static func v2Verifier(at time: Double) -> Verifier { verifier(at: time) }

    static func v2Request(
        _ method: String, _ path: String, query: String = "", bucket: String = "johnsmith",
        headers: [(name: String, value: String)]
    ) -> IncomingRequest {
        IncomingRequest(method: method, path: path, query: query, headers: headers, virtualHostBucket: bucket)
    }

    @Test func v2ObjectGet() throws {
        let request = Self.v2Request(
            "GET", "/photos/puppy.jpg",
            headers: [
                ("Host", "johnsmith.s3.amazonaws.com"), ("Date", "Tue, 27 Mar 2007 19:36:42 +0000"),
                ("Authorization", "AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU="),
            ])
        let auth = try #require(try Self.v2Verifier(at: 1_175_024_202).verify(request))
        #expect(auth.version == 2 && !auth.presigned && auth.payload == .unsigned)
    }

    @Test func v2ObjectPut() throws {
        let request = Self.v2Request(
            "PUT", "/photos/puppy.jpg",
            headers: [
                ("Content-Type", "image/jpeg"), ("Content-Length", "94328"), ("Host", "johnsmith.s3.amazonaws.com"),
                ("Date", "Tue, 27 Mar 2007 21:15:45 +0000"),
                ("Authorization", "AWS AKIAIOSFODNN7EXAMPLE:MyyxeRY7whkBe+bq8fHCL/2kKUg="),
            ])
        #expect(try Self.v2Verifier(at: 1_175_030_145).verify(request) != nil)
    }

    @Test func v2ListAndAcl() throws {
        let list = Self.v2Request(
            "GET", "/", query: "prefix=photos&max-keys=50&marker=puppy",
            headers: [
                ("User-Agent", "Mozilla/5.0"), ("Host", "johnsmith.s3.amazonaws.com"),
                ("Date", "Tue, 27 Mar 2007 19:42:41 +0000"),
                ("Authorization", "AWS AKIAIOSFODNN7EXAMPLE:htDYFYduRNen8P9ZfE/s9SuKy0U="),
            ])
        #expect(try Self.v2Verifier(at: 1_175_024_561).verify(list) != nil)
        let acl = Self.v2Request(
            "GET", "/", query: "acl",
            headers: [
                ("Host", "johnsmith.s3.amazonaws.com"), ("Date", "Tue, 27 Mar 2007 19:44:46 +0000"),
                ("Authorization", "AWS AKIAIOSFODNN7EXAMPLE:c2WLPFtWHVgbEmeEG93a4cG37dM="),
            ])
        #expect(try Self.v2Verifier(at: 1_175_024_686).verify(acl) != nil)
    }

    /// Content-MD5, Content-Type and repeated x-amz-meta-* headers, on a CNAME bucket.
    @Test func v2UploadWithAmzHeaders() throws {
        let request = Self.v2Request(
            "PUT", "/db-backup.dat.gz", bucket: "static.johnsmith.net",
            headers: [
                ("User-Agent", "curl/7.15.5"), ("Host", "static.johnsmith.net:8080"),
                ("Date", "Tue, 27 Mar 2007 21:06:08 +0000"), ("x-amz-acl", "public-read"),
                ("content-type", "application/x-download"), ("Content-MD5", "4gJE4saaMU4BqNR0kLY+lw=="),
                ("X-Amz-Meta-ReviewedBy", "joe@johnsmith.net"), ("X-Amz-Meta-ReviewedBy", "jane@johnsmith.net"),
                ("X-Amz-Meta-FileChecksum", "0x02661779"), ("X-Amz-Meta-ChecksumAlgorithm", "crc32"),
                ("Content-Disposition", "attachment; filename=database.dat"), ("Content-Encoding", "gzip"),
                ("Content-Length", "5913339"),
                ("Authorization", "AWS AKIAIOSFODNN7EXAMPLE:ilyl83RwaSoYIEdixDQcA4OnAnc="),
            ])
        #expect(try Self.v2Verifier(at: 1_175_029_568).verify(request) != nil)
    }

    @Test func v2QueryString() throws {
        let request = Self.v2Request(
            "GET", "/photos/puppy.jpg",
            query: "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D",
            headers: [("Host", "johnsmith.s3.amazonaws.com")])
        let auth = try #require(try Self.v2Verifier(at: 1_175_139_000).verify(request))
        #expect(auth.version == 2 && auth.presigned && auth.payload == .unsigned)
        let error = authError { _ = try Self.v2Verifier(at: 1_175_139_621).verify(request) }
        #expect(error?.code == "AccessDenied")
        #expect(error?.message == "Request has expired")
    }

    @Test func v2HeaderSkew() throws {
        let request = Self.v2Request(
            "GET", "/photos/puppy.jpg",
            headers: [
                ("Host", "johnsmith.s3.amazonaws.com"), ("Date", "Tue, 27 Mar 2007 19:36:42 +0000"),
                ("Authorization", "AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU="),
            ])
        let error = authError { _ = try Self.v2Verifier(at: 1_175_024_202 + 1000).verify(request) }
        #expect(error?.code == "RequestTimeTooSkewed")
    }
}

/// boto3's default presigning (SigV2) of a request on a bucket itself: botocore signs "/bucket/" and sends
/// "/bucket". Signatures computed with botocore's HmacV1QueryAuth for the fixture secret.
@Suite struct SigV2BucketPathTests {
    static let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    let verifier = Verifier(region: "us-east-1", credentials: { $0 == "AKIAIOSFODNN7EXAMPLE" ? SigV2BucketPathTests.secret : nil },
                            now: { Date(timeIntervalSince1970: 1_796_603_000) })

    func request(_ path: String, _ query: String) -> IncomingRequest {
        IncomingRequest(method: "GET", path: path, query: query, headers: [("Host", "127.0.0.1:9567")])
    }

    @Test func bucketLevelPresignedURLsSignedWithATrailingSlash() throws {
        let list = request("/v2b", "encoding-type=url&AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=lWj2PL5nMAezkUSXvdM%2BxQ%2FV%2Fpg%3D&Expires=1796603151")
        #expect(try verifier.verify(list)?.presigned == true)
        let location = request("/v2b", "location&AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=chQ9cnIkIhPrb1yrqBYntS4BEFc%3D&Expires=1796603151")
        #expect(try verifier.verify(location) != nil)
        // Signed without the slash works too; a key path gets no second form.
        let plain = request("/v2b", "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=G0L%2B183j7YTz64zkoUtteW5vjls%3D&Expires=1796603151")
        #expect(try verifier.verify(plain) != nil)
        let keyPath = request("/v2b/x", "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=lWj2PL5nMAezkUSXvdM%2BxQ%2FV%2Fpg%3D&Expires=1796603151")
        #expect(throws: AuthError.self) { try verifier.verify(keyPath) }
        // The slash form is no licence for another resource: ?location signed as a plain listing fails.
        let swapped = request("/v2b", "location&AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=lWj2PL5nMAezkUSXvdM%2BxQ%2FV%2Fpg%3D&Expires=1796603151")
        #expect(throws: AuthError.self) { try verifier.verify(swapped) }
    }
}
