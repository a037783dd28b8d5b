import Foundation
import Testing

@testable import SigV4

/// A presigned URL answered from `VerifiedURLCache` must fail exactly where a full verification would.
@Suite struct VerifiedURLCacheTests {
    /// The clock and the secret, changeable between calls on one verifier (one cache).
    final class World: @unchecked Sendable {
        var time = AWSExampleTests.exampleTime + 3600
        var secret: String? = Fixtures.secret
    }

    static func verifier(_ world: World) -> Verifier {
        Verifier(region: "us-east-1", credentials: { $0 == Fixtures.accessKey ? world.secret : nil },
                 now: { Date(timeIntervalSince1970: world.time) })
    }

    static let url = AWSExampleTests.presignedGet

    @Test func aVerifiedURLIsCachedAndAnswersTheSame() throws {
        let world = World()
        let v = Self.verifier(world)
        let key = try #require(VerifiedURLCache.key(Self.url))
        #expect(v.urlCache.lookup(key) == nil)
        let first = try #require(try v.verify(Self.url))
        #expect(v.urlCache.lookup(key) != nil)
        let second = try #require(try v.verify(Self.url))
        #expect(second.accessKey == first.accessKey && second.presigned && second.payload == .unsigned)
    }

    @Test func aCachedURLStillExpires() throws {
        let world = World()
        let v = Self.verifier(world)
        _ = try v.verify(Self.url)
        world.time = AWSExampleTests.exampleTime + 86401
        let error = authError { _ = try v.verify(Self.url) }
        #expect(error?.code == "AccessDenied")
        #expect(error?.message == "Request has expired")
    }

    @Test func aChangedOrRevokedSecretIsNotServedFromTheCache() throws {
        let world = World()
        let v = Self.verifier(world)
        _ = try v.verify(Self.url)
        world.secret = "another secret"
        #expect(authError { _ = try v.verify(Self.url) }?.code == "SignatureDoesNotMatch")
        world.secret = nil
        #expect(authError { _ = try v.verify(Self.url) }?.code == "InvalidAccessKeyId")
    }

    @Test func unsignedAmzHeadersAreStillRefused() throws {
        let world = World()
        let v = Self.verifier(world)
        _ = try v.verify(Self.url)
        var withACL = Self.url
        withACL.headers.append(("x-amz-acl", "public-read"))
        #expect(authError { _ = try v.verify(withACL) }?.code == "AccessDenied")
    }

    @Test func anyOtherMethodHostPathOrQueryIsVerifiedAfresh() throws {
        let world = World()
        let v = Self.verifier(world)
        _ = try v.verify(Self.url)
        var put = Self.url
        put.method = "PUT"
        var otherHost = Self.url
        otherHost.headers = [("Host", "other.s3.amazonaws.com")]
        var otherPath = Self.url
        otherPath.path = "/test.txt2"
        var otherQuery = Self.url
        otherQuery.query = Self.url.query.replacingOccurrences(of: "X-Amz-Expires=86400", with: "X-Amz-Expires=86399")
        for request in [put, otherHost, otherPath, otherQuery] {
            #expect(authError { _ = try v.verify(request) }?.code == "SignatureDoesNotMatch")
        }
    }

    @Test func onlyHostOnlyPresignedURLsHaveAKey() {
        var signsMore = Self.url
        signsMore.query = Self.url.query.replacingOccurrences(of: "X-Amz-SignedHeaders=host", with: "X-Amz-SignedHeaders=host%3Bx-amz-acl")
        #expect(VerifiedURLCache.key(signsMore) == nil)
        var longerName = Self.url
        longerName.query = Self.url.query.replacingOccurrences(of: "X-Amz-SignedHeaders=host", with: "X-Amz-SignedHeaders=hosts")
        #expect(VerifiedURLCache.key(longerName) == nil)
        var twoHosts = Self.url
        twoHosts.headers.append(("host", "b"))
        #expect(VerifiedURLCache.key(twoHosts) == nil)
        #expect(VerifiedURLCache.key(Self.url) != nil)
    }

    /// Paths are compared as bytes: a raw "é" and "e" + U+0301 are different objects (Swift's String
    /// calls them equal), so a URL verified for one must not be served from the cache for the other.
    @Test func canonicallyEquivalentPathsAreDifferentKeys() throws {
        var composed = Self.url
        composed.path = "/caf\u{E9}"
        var decomposed = Self.url
        decomposed.path = "/cafe\u{301}"
        #expect(composed.path == decomposed.path)
        let cache = VerifiedURLCache()
        let key = try #require(VerifiedURLCache.key(composed))
        cache.insert(key, .init(secret: "s", requestTime: 0, expires: 1, auth: try #require(try Self.verifier(World()).verify(Self.url))))
        #expect(cache.lookup(key) != nil)
        #expect(cache.lookup(try #require(VerifiedURLCache.key(decomposed))) == nil)
    }
}
