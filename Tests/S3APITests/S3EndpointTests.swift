import HTTPTypes
import StorageCore
import Testing
@testable import GatewayHTTP
@testable import S3API

@Suite struct S3EndpointTests {
    /// The endpoint of a request with this method and target ("/bucket/key?query"), as S3Service resolves it.
    func resolve(_ method: String, _ target: String, copy: Bool = false) throws -> S3Endpoint {
        var fields = HTTPFields()
        if copy { fields[HTTPField.Name("x-amz-copy-source")!] = "/src/k" }
        let head = HTTPRequest(method: HTTPRequest.Method(method)!, scheme: "http", authority: "127.0.0.1:9000", path: target,
                               headerFields: fields)
        return try S3Endpoint.resolve(S3Request(head: head, domain: nil), maxParts: 10_000)
    }

    @Test func everyOperationHasOneRouteWithItsParameters() throws {
        #expect(try resolve("GET", "/") == .listBuckets)
        #expect(try resolve("PUT", "/b") == .createBucket(bucket: "b"))
        #expect(try resolve("GET", "/b?list-type=2") == .listObjectsV2(bucket: "b"))
        #expect(try resolve("GET", "/b?delimiter=&prefix=") == .listObjects(bucket: "b"))
        #expect(try resolve("GET", "/b?uploads") == .listMultipartUploads(bucket: "b"))
        #expect(try resolve("GET", "/b?location") == .getBucketLocation(bucket: "b"))
        #expect(try resolve("GET", "/b?versioning") == .getBucketVersioning(bucket: "b"))
        #expect(try resolve("PUT", "/b?versioning") == .putBucketVersioning(bucket: "b"))
        #expect(try resolve("POST", "/b?delete") == .deleteObjects(bucket: "b"))
        #expect(try resolve("POST", "/b/k?uploads") == .createMultipartUpload(bucket: "b", key: "k"))
        #expect(try resolve("PUT", "/b/k%20x?partNumber=7&uploadId=u") == .uploadPart(bucket: "b", key: "k x", partNumber: 7, uploadID: "u"))
        #expect(try resolve("PUT", "/b/k?uploadId=u&partNumber=1", copy: true)
            == .uploadPartCopy(bucket: "b", key: "k", partNumber: 1, uploadID: "u"))
        #expect(try resolve("GET", "/b/k?uploadId=u") == .listParts(bucket: "b", key: "k", uploadID: "u"))
        #expect(try resolve("POST", "/b/k?uploadId=u") == .completeMultipartUpload(bucket: "b", key: "k", uploadID: "u"))
        #expect(try resolve("DELETE", "/b/k?uploadId=u") == .abortMultipartUpload(bucket: "b", key: "k", uploadID: "u"))
        #expect(try resolve("PUT", "/b/k", copy: true) == .copyObject(bucket: "b", key: "k"))
        #expect(try resolve("HEAD", "/b/k") == .headObject(bucket: "b", key: "k"))
        #expect(try resolve("GET", "/b?versions&prefix=a") == .listObjectVersions(bucket: "b"))
        #expect(try resolve("GET", "/b/k?versionId=null") == .getObject(bucket: "b", key: "k"))
        #expect(try resolve("GET", "/b/k?attributes") == .getObjectAttributes(bucket: "b", key: "k"))
        #expect(try resolve("GET", "/b/k?attributes&versionId=null").access == .read)
        #expect(throws: CoreError.self) { try resolve("GET", "/b/k?attributes&versionId=v2") }
        #expect(try resolve("DELETE", "/b/k?versionId=null") == .deleteObject(bucket: "b", key: "k"))
        #expect(try resolve("GET", "/b?cors") == .getBucketCors(bucket: "b"))
        #expect(try resolve("PUT", "/b?cors") == .putBucketCors(bucket: "b"))
        #expect(try resolve("DELETE", "/b?cors") == .deleteBucketCors(bucket: "b"))
        #expect(try resolve("GET", "/b?encryption") == .getBucketEncryption(bucket: "b"))
        #expect(try resolve("PUT", "/b?encryption") == .putBucketEncryption(bucket: "b"))
        #expect(try resolve("DELETE", "/b?encryption") == .deleteBucketEncryption(bucket: "b"))
        #expect(try resolve("GET", "/b?encryption").access == .read)
        #expect(try resolve("PUT", "/b?encryption").access == .owner && resolve("DELETE", "/b?encryption").access == .owner)
        #expect(try resolve("OPTIONS", "/b") == .corsPreflight(bucket: "b", key: nil))
        #expect(try resolve("OPTIONS", "/b/a%20b?uploads") == .corsPreflight(bucket: "b", key: "a b"))
        #expect(try resolve("GET", "/_tessera/upload") == .uploadPage(asset: "upload"))
        #expect(try resolve("HEAD", "/_tessera/upload.js") == .uploadPage(asset: "upload.js"))
        #expect(try resolve("GET", "/_tessera/upload").access == .unauthenticated)
        if case .uploadPage = try resolve("PUT", "/_tessera/upload") { Issue.record("only GET and HEAD reach the page") }
        #expect(try resolve("GET", "/b/k?tagging") == .getObjectTagging(bucket: "b", key: "k"))
        #expect(try resolve("PUT", "/b/k?tagging&versionId=null") == .putObjectTagging(bucket: "b", key: "k"))
        #expect(try resolve("DELETE", "/b/k?tagging") == .deleteObjectTagging(bucket: "b", key: "k"))
        #expect(try resolve("GET", "/b?tagging") == .getBucketTagging(bucket: "b"))
        #expect(try resolve("PUT", "/b?tagging") == .putBucketTagging(bucket: "b"))
        #expect(try resolve("DELETE", "/b?tagging") == .deleteBucketTagging(bucket: "b"))
        #expect(try resolve("GET", "/b?object-lock") == .getObjectLockConfiguration(bucket: "b"))
        #expect(try resolve("PUT", "/b?object-lock") == .putObjectLockConfiguration(bucket: "b"))
        #expect(try resolve("GET", "/b/k?retention&versionId=null") == .getObjectRetention(bucket: "b", key: "k"))
        #expect(try resolve("PUT", "/b/k?retention") == .putObjectRetention(bucket: "b", key: "k"))
        #expect(try resolve("GET", "/b/k?legal-hold") == .getObjectLegalHold(bucket: "b", key: "k"))
        #expect(try resolve("PUT", "/b/k?legal-hold") == .putObjectLegalHold(bucket: "b", key: "k"))
        #expect(try resolve("PUT", "/b?policy") == .putBucketPolicy(bucket: "b"))
        #expect(try resolve("GET", "/b?policyStatus") == .getBucketPolicyStatus(bucket: "b"))
        #expect(try resolve("GET", "/b?acl") == .getBucketAcl(bucket: "b"))
        #expect(try resolve("PUT", "/b?publicAccessBlock") == .putPublicAccessBlock(bucket: "b"))
        #expect(try resolve("DELETE", "/b?ownershipControls") == .deleteBucketOwnershipControls(bucket: "b"))
        #expect(try resolve("GET", "/_tessera/ticket") == .ticketStatus)
        if case .notImplemented = try resolve("PUT", "/b?website") {} else { Issue.record("PUT ?website must be NotImplemented") }
        if case .notImplemented = try resolve("PATCH", "/b/k") {} else { Issue.record("PATCH must be NotImplemented") }
    }

    /// A version ID is "null" or one this gateway makes (16 lowercase hex digits); anything else (an ID
    /// from another S3, the empty string, upper case, the version 0) is refused before anything is done.
    @Test func versionIDsThisGatewayNeverMakesAreRefused() throws {
        for target in ["/b/k?versionId=3HL4kqtJlcpXroDTDmJ%2BrmSpXd3dIbrHY", "/b/k?versionId=", "/b/k?versionId=000000000000002A",
                       "/b/k?versionId=0000000000000000", "/b/k?versionId=8000000000000000", "/b/k?versionId=2a"] {
            for method in ["GET", "HEAD", "DELETE", "PUT"] {
                #expect { try resolve(method, target) } throws: { ($0 as? CoreError)?.code == "InvalidArgument" }
            }
        }
        #expect(try resolve("GET", "/b/k?versionId=000000000000002a") == .getObject(bucket: "b", key: "k"))
        #expect(VersionSelector(id: "000000000000002a") == .version(42))
        #expect(VersionSelector.version(42).id == "000000000000002a")
        #expect(VersionSelector(id: VersionSelector.version(Int64.max).id) == .version(Int64.max))
    }

    /// Parameters are validated once, when the endpoint is resolved, with S3's errors.
    @Test func malformedParametersAreRefusedAtResolution() throws {
        #expect { try resolve("PUT", "/b/k?partNumber=x&uploadId=u") } throws: { ($0 as? CoreError)?.code == "InvalidArgument" }
        #expect { try resolve("PUT", "/b/k?partNumber=&uploadId=u") } throws: { ($0 as? CoreError)?.code == "InvalidArgument" }
        #expect { try resolve("PUT", "/b/k?partNumber=1&uploadId=") } throws: { ($0 as? CoreError)?.code == "NoSuchUpload" }
        #expect { try resolve("GET", "/b/k?uploadId=") } throws: { ($0 as? CoreError)?.code == "NoSuchUpload" }
    }

    /// Scopes are checked against the operation's declared kind, not the HTTP method.
    @Test func accessKinds() throws {
        #expect(try resolve("GET", "/b/k").access == .read)
        #expect(try resolve("HEAD", "/b").access == .read)
        #expect(try resolve("GET", "/b/k?uploadId=u").access == .read)
        #expect(try resolve("PUT", "/b/k").access == .write)
        #expect(try resolve("POST", "/b?delete").access == .write)      // a POST that deletes
        #expect(try resolve("POST", "/b/k?uploadId=u").access == .write)
        #expect(try resolve("PUT", "/b").access == .owner)
        #expect(try resolve("DELETE", "/b").access == .owner)
        #expect(try resolve("PUT", "/b?lifecycle").access == .owner)
        #expect(try resolve("GET", "/b?lifecycle").access == .read)
        #expect(try resolve("PUT", "/b?cors").access == .owner)
        #expect(try resolve("DELETE", "/b?cors").access == .owner)
        #expect(try resolve("GET", "/b?cors").access == .read)
        #expect(try resolve("GET", "/b/k?tagging").access == .read)
        #expect(try resolve("PUT", "/b/k?tagging").access == .write)
        #expect(try resolve("DELETE", "/b/k?tagging").access == .write)
        #expect(try resolve("GET", "/b?tagging").access == .read)
        #expect(try resolve("PUT", "/b?tagging").access == .owner)
        #expect(try resolve("DELETE", "/b?tagging").access == .owner)
        #expect(try resolve("PUT", "/b?object-lock").access == .owner)
        #expect(try resolve("GET", "/b?object-lock").access == .read)
        #expect(try resolve("PUT", "/b/k?retention").access == .write)
        #expect(try resolve("PUT", "/b/k?legal-hold").access == .write)
        #expect(try resolve("GET", "/b/k?retention").access == .read)
        #expect(try resolve("OPTIONS", "/b/k").access == .unauthenticated)
        #expect(try resolve("GET", "/").bucket == nil)
        #expect(try resolve("DELETE", "/b/k?uploadId=u").bucket == "b")
    }

    @Test func queryAndPathDecoding() throws {
        let query = try PercentDecoding.query("uploads=&prefix=a%2Fb+c&x&prefix=second")
        #expect(query.pairs.map { $0.name + "=" + $0.value } == ["uploads=", "prefix=a/b c", "x="])
        #expect(query["prefix"] == "a/b c" && query["x"] == "" && query["missing"] == nil)
        // Names compare as bytes: a decomposed "é" is not the precomposed one.
        #expect(try PercentDecoding.query("%C3%A9=1")["e\u{301}"] == nil)
        #expect(try PercentDecoding.query("%C3%A9=1")["\u{E9}"] == "1")
        #expect(try PercentDecoding.decode("odd%20key/%C3%A4%20b%2Bc%3Dd%26e~%281%29.txt") == "odd key/ä b+c=d&e~(1).txt")
        #expect(throws: (any Error).self) { try PercentDecoding.decode("%zz") }
        #expect(throws: (any Error).self) { try PercentDecoding.decode("%C3%28") }  // invalid UTF-8
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

    @Test func continuationTokens() {
        for key in ["a", "ä/b c", "x+y=z&", ""] { #expect(ContinuationToken.decode(ContinuationToken.encode(key)) == key) }
        #expect(ContinuationToken.decode("!!!") == nil)
    }
}
