import Foundation
import StorageCore
import Testing
@testable import S3API

@Suite struct GetObjectAttributesTests {
    typealias Doc = GetObjectAttributes

    static let multipart = ObjectRecord(
        bucket: "b", key: "k", version: 7, size: 300, etag: "0123456789abcdef0123456789abcdef-3", lastModified: Date(timeIntervalSince1970: 0),
        attributes: ObjectAttributes(checksums: ["SHA256": "b2JqZWN0-3"], checksumType: "COMPOSITE"), partsCount: 3)
    static let segments = (1...3).map { n in
        Segment(blob: "blob\(n)", size: Int64(n * 50), offset: Int64((n - 1) * 50), partNumber: n, checksum: "cGFydA\(n)==")
    }

    func request(_ attributes: String, maxParts: String? = nil, marker: String? = nil) throws -> Doc.Request {
        try Doc.Request(attributes: attributes, maxParts: maxParts, partNumberMarker: marker)
    }

    @Test func everyAttributeOfAMultipartObject() throws {
        let doc = Doc.document(try request("ETag,Checksum,ObjectParts,StorageClass,ObjectSize"), record: Self.multipart, segments: Self.segments)
        #expect(doc.contains("<ETag>0123456789abcdef0123456789abcdef-3</ETag>"))   // no quotes here
        #expect(doc.contains("<Checksum><ChecksumSHA256>b2JqZWN0-3</ChecksumSHA256><ChecksumType>COMPOSITE</ChecksumType></Checksum>"))
        #expect(doc.contains("<ObjectParts><PartsCount>3</PartsCount><PartNumberMarker>0</PartNumberMarker><MaxParts>1000</MaxParts><IsTruncated>false</IsTruncated>"))
        #expect(doc.contains("<Part><PartNumber>2</PartNumber><Size>100</Size><ChecksumSHA256>cGFydA2==</ChecksumSHA256></Part>"))
        #expect(doc.contains("<StorageClass>STANDARD</StorageClass><ObjectSize>300</ObjectSize>"))
    }

    @Test func onlyTheNamedAttributes() throws {
        let doc = Doc.document(try request(" ObjectSize , ETag"), record: Self.multipart, segments: Self.segments)
        #expect(doc.contains("<ETag>") && doc.contains("<ObjectSize>300</ObjectSize>"))
        #expect(!doc.contains("Checksum") && !doc.contains("ObjectParts") && !doc.contains("StorageClass"))
    }

    @Test func partsArePagedByMarkerAndMaxParts() throws {
        let first = Doc.document(try request("ObjectParts", maxParts: "2"), record: Self.multipart, segments: Self.segments)
        #expect(first.contains("<NextPartNumberMarker>2</NextPartNumberMarker><MaxParts>2</MaxParts><IsTruncated>true</IsTruncated>"))
        #expect(first.contains("<PartNumber>1</PartNumber>") && first.contains("<PartNumber>2</PartNumber>") && !first.contains("<PartNumber>3</PartNumber>"))
        let rest = Doc.document(try request("ObjectParts", maxParts: "2", marker: "2"), record: Self.multipart, segments: Self.segments)
        #expect(rest.contains("<PartNumberMarker>2</PartNumberMarker><MaxParts>2</MaxParts><IsTruncated>false</IsTruncated>"))
        #expect(rest.contains("<PartNumber>3</PartNumber>") && !rest.contains("<PartNumber>2</PartNumber>") && !rest.contains("NextPartNumberMarker"))
    }

    @Test func aSinglePartObjectHasNoObjectParts() throws {
        var record = Self.multipart
        record.partsCount = nil
        record.attributes = ObjectAttributes(checksums: ["CRC64NVME": "AAAAAAAAAAA="], checksumType: "FULL_OBJECT")
        let doc = Doc.document(try request("ObjectParts,Checksum"), record: record, segments: [Segment(blob: "x", size: 300, offset: 0)])
        #expect(!doc.contains("ObjectParts"))
        #expect(doc.contains("<ChecksumCRC64NVME>AAAAAAAAAAA=</ChecksumCRC64NVME><ChecksumType>FULL_OBJECT</ChecksumType>"))
    }

    @Test func badRequestsAreRefused() {
        func code(_ attributes: String?, _ maxParts: String? = nil, _ marker: String? = nil) -> String? {
            do { _ = try Doc.Request(attributes: attributes, maxParts: maxParts, partNumberMarker: marker); return nil }
            catch let e as CoreError { return e.code } catch { return "unexpected" }
        }
        #expect(code(nil) == "InvalidRequest")
        #expect(code(" , ") == "InvalidRequest")
        #expect(code("ETag,Size") == "InvalidArgument")
        #expect(code("etag") == "InvalidArgument")   // names are case-sensitive, as S3's
        #expect(code("ETag", "-1") == "InvalidArgument")
        #expect(code("ETag", nil, "x") == "InvalidArgument")
        #expect(code("ETag", "5", "3") == nil)
    }
}
