import Testing
@testable import TesseraServer

@Suite struct S3EndpointTests {
    func resolve(_ method: String, _ bucket: String?, _ key: String?, _ query: [String: String] = [:], copy: Bool = false) -> S3Endpoint {
        S3Endpoint.resolve(method: method, bucket: bucket, key: key, query: query, hasCopySource: copy)
    }

    @Test func everyOperationHasOneRoute() {
        #expect(resolve("GET", nil, nil) == .listBuckets)
        #expect(resolve("PUT", "b", nil) == .createBucket)
        #expect(resolve("GET", "b", nil, ["list-type": "2"]) == .listObjectsV2)
        #expect(resolve("GET", "b", nil, ["delimiter": "", "prefix": ""]) == .listObjects)
        #expect(resolve("GET", "b", nil, ["uploads": ""]) == .listMultipartUploads)
        #expect(resolve("GET", "b", nil, ["location": ""]) == .getBucketLocation)
        #expect(resolve("GET", "b", nil, ["versioning": ""]) == .getBucketDefault(subresource: "versioning"))
        #expect(resolve("POST", "b", nil, ["delete": ""]) == .deleteObjects)
        #expect(resolve("POST", "b", "k", ["uploads": ""]) == .createMultipartUpload)
        #expect(resolve("PUT", "b", "k", ["partNumber": "1", "uploadId": "u"]) == .uploadPart)
        #expect(resolve("PUT", "b", "k", ["uploadId": "u", "partNumber": "1"], copy: true) == .uploadPartCopy)
        #expect(resolve("GET", "b", "k", ["uploadId": "u"]) == .listParts)
        #expect(resolve("POST", "b", "k", ["uploadId": "u"]) == .completeMultipartUpload)
        #expect(resolve("DELETE", "b", "k", ["uploadId": "u"]) == .abortMultipartUpload)
        #expect(resolve("PUT", "b", "k", copy: true) == .copyObject)
        #expect(resolve("HEAD", "b", "k") == .headObject)
        if case .notImplemented = resolve("PUT", "b", nil, ["policy": ""]) {} else { Issue.record("PUT ?policy must be NotImplemented") }
        if case .notImplemented = resolve("PATCH", "b", "k") {} else { Issue.record("PATCH must be NotImplemented") }
    }

    @Test func queryAndPathDecoding() throws {
        #expect(try S3Request.parseQuery("uploads=&prefix=a%2Fb+c&x") == ["uploads": "", "prefix": "a/b c", "x": ""])
        #expect(try S3Request.decode("odd%20key/%C3%A4%20b%2Bc%3Dd%26e~%281%29.txt") == "odd key/ä b+c=d&e~(1).txt")
        #expect(throws: (any Error).self) { try S3Request.decode("%zz") }
        #expect(throws: (any Error).self) { try S3Request.decode("%C3%28") }  // invalid UTF-8
    }

    @Test func rangeHeaders() {
        #expect(ByteRange.parse("bytes=0-9", size: 100) == .range(0...9))
        #expect(ByteRange.parse("bytes=90-200", size: 100) == .range(90...99))
        #expect(ByteRange.parse("bytes=-10", size: 100) == .range(90...99))
        #expect(ByteRange.parse("bytes=100-", size: 100) == .unsatisfiable)
        #expect(ByteRange.parse("bytes=5-1", size: 100) == .none)
        #expect(ByteRange.parse("bytes=0-1,3-4", size: 100) == .none)
        #expect(ByteRange.parse("items=0-1", size: 100) == .none)
        #expect(ByteRange.parse("bytes=abc-", size: 100) == .none)
    }

    @Test func continuationTokensAndURLEncoding() {
        for key in ["a", "ä/b c", "x+y=z&", ""] { #expect(ContinuationToken.decode(ContinuationToken.encode(key)) == key) }
        #expect(ContinuationToken.decode("!!!") == nil)
        #expect(URLEncoding.s3("a b/ä+~") == "a%20b/%C3%A4%2B~")
    }
}
