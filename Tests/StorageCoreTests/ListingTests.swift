import Foundation
import Testing
@testable import StorageCore

@Suite struct ListingTests {
    func bucketWith(_ kind: StoreKind, _ keys: [String]) async throws -> Storage {
        let (s, _) = try await makeStorage(kind)
        try await s.createBucket("bkt", region: "us-east-1")
        for k in keys { _ = try await s.putObject(bucket: "bkt", key: k, attributes: .init(), plainBody: TestBody(bytes: [1])) }
        return s
    }

    @Test(arguments: StoreKind.allCases) func delimiterRollsUpAndPaginatesExactly(_ kind: StoreKind) async throws {
        let keys = ["a/1", "a/2", "a/3", "b", "c/x/y", "c/z", "d", "é", "z/"]
        let s = try await bucketWith(kind, keys)
        let all = try await s.listObjects(bucket: "bkt", prefix: "", delimiter: "/", start: nil, maxKeys: 1000)
        #expect(all.entries.map(\.key) == ["b", "d", "é"])
        #expect(all.commonPrefixes == ["a/", "c/", "z/"])
        #expect(!all.isTruncated)
        // Page through two at a time; the union equals the full listing, in order, with no repeats.
        var seen: [String] = []
        var marker: String?
        repeat {
            let page = try await s.listObjects(bucket: "bkt", prefix: "", delimiter: "/", start: marker, maxKeys: 2)
            let items = (page.entries.map(\.key) + page.commonPrefixes).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            seen += items
            marker = page.isTruncated ? page.nextMarker : nil
        } while marker != nil
        #expect(seen == ["a/", "b", "c/", "d", "z/", "é"])
    }

    @Test(arguments: StoreKind.allCases) func prefixAndMarkersBetweenKeys(_ kind: StoreKind) async throws {
        let s = try await bucketWith(kind, ["p/a", "p/b", "p/c", "pa", "q"])
        let page = try await s.listObjects(bucket: "bkt", prefix: "p/", delimiter: nil, start: "p/aa", maxKeys: 10)
        #expect(page.entries.map(\.key) == ["p/b", "p/c"])
        let nested = try await s.listObjects(bucket: "bkt", prefix: "p", delimiter: "/", start: nil, maxKeys: 10)
        #expect(nested.commonPrefixes == ["p/"])
        #expect(nested.entries.map(\.key) == ["pa"])
        let truncated = try await s.listObjects(bucket: "bkt", prefix: "", delimiter: nil, start: nil, maxKeys: 5)
        #expect(!truncated.isTruncated)
        let cut = try await s.listObjects(bucket: "bkt", prefix: "", delimiter: nil, start: nil, maxKeys: 4)
        #expect(cut.isTruncated && cut.nextMarker == "pa")
    }

    @Test(arguments: StoreKind.allCases) func byteOrderNotLocale(_ kind: StoreKind) async throws {
        let s = try await bucketWith(kind, ["B", "a", "Z", "ä", "~", "_"])
        let page = try await s.listObjects(bucket: "bkt", prefix: "", delimiter: nil, start: nil, maxKeys: 10)
        #expect(page.entries.map(\.key) == ["B", "Z", "_", "a", "~", "ä"])
    }

    @Test(arguments: StoreKind.allCases) func maxKeysZeroListsNothingAndIsNotTruncated(_ kind: StoreKind) async throws {
        let s = try await bucketWith(kind, ["a/1", "b", "c"])
        for delimiter in [nil, "/"] as [String?] {
            let page = try await s.listObjects(bucket: "bkt", prefix: "", delimiter: delimiter, start: nil, maxKeys: 0)
            #expect(page.entries.isEmpty && page.commonPrefixes.isEmpty)
            #expect(!page.isTruncated && page.nextMarker == nil)
        }
    }

    @Test(arguments: StoreKind.allCases) func controlCharactersInPrefixMarkerAndDelimiter(_ kind: StoreKind) async throws {
        let s = try await bucketWith(kind, ["\n1", "\n2\u{1}x", "\n3", "\u{7f}"])
        let page = try await s.listObjects(bucket: "bkt", prefix: "\n", delimiter: "\u{1}", start: "\n1", maxKeys: 10)
        #expect(page.entries.map(\.key) == ["\n3"])
        #expect(page.commonPrefixes == ["\n2\u{1}"])
    }
}
