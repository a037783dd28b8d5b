import StorageCore
import Testing
@testable import S3API

/// x-amz-tagging: a URL query of tags, decoded as S3 reads it.
@Suite struct TaggingHeaderTests {
    func pairs(_ raw: String) throws -> [String] { try TaggingHeader.parse(raw).map { $0.key + "=" + $0.value } }

    @Test func queryFormIsDecoded() throws {
        #expect(try pairs("tag1=value1&tag2=value2") == ["tag1=value1", "tag2=value2"])
        // `+` is a space, escapes are UTF-8, a key without `=` holds the empty value, empty pairs are skipped.
        #expect(try pairs("a+b=c%20d&%C3%A9t%C3%A9=%E2%82%AC&bare&&x=") == ["a b=c d", "été=€", "bare=", "x="])
        #expect(try pairs("") == [])
        #expect(try pairs("k=a%2Bb%3Dc%26d") == ["k=a+b=c&d"])
    }

    @Test func malformedHeadersAreInvalidArgument() throws {
        // Two `=` in one pair (S3's answer to `TagSet=[{Key=string,Value=string}]`), a bad escape, bytes
        // that are not UTF-8, and a key given twice (compared as bytes: "é" twice, however written).
        for raw in ["TagSet=[{Key=string,Value=string}]", "a=%zz", "a=%C3%28", "k=1&k=2", "%C3%A9=1&%C3%A9=2"] {
            #expect { try TaggingHeader.parse(raw) } throws: {
                let e = $0 as? CoreError
                return e?.code == "InvalidArgument" && e?.message.contains("x-amz-tagging") == true
            }
        }
        // Canonically equivalent but not the same bytes: two keys, as S3 (and Tessera) compare bytes.
        #expect(try pairs("%C3%A9=1&e%CC%81=2").count == 2)
    }
}
