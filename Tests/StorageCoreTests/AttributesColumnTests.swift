import Foundation
@testable import SQLiteMetadata
import StorageCore
import Testing

/// The attrs column is written by hand and read by JSONDecoder: every attribute must come back.
@Suite struct AttributesColumnTests {
    static let samples: [ObjectAttributes] = [
        ObjectAttributes(),
        ObjectAttributes(contentType: "text/plain", checksums: ["CRC64NVME": "ftW+pkq+STY="], checksumType: "FULL_OBJECT"),
        ObjectAttributes(contentType: "a/b; charset=\"utf-8\"", contentDisposition: "attachment; filename=\"x\\y.txt\"",
                         contentEncoding: "gzip", contentLanguage: "de-CH", cacheControl: "max-age=60", expires: "Thu, 01 Dec 1994 16:00:00 GMT",
                         storageClass: "STANDARD_IA", userMetadata: ["colour": "blue", "é": "ünï/\u{1}\t\n", "": ""],
                         checksums: ["SHA256": "VpV+bZXi3/SlFx3FoTqfY2WEXv6H6ljOPYQVOx/d1tE="], checksumType: "COMPOSITE"),
        ObjectAttributes(contentType: "text/plain", checksums: ["CRC64NVME": "ftW+pkq+STY="], checksumType: "FULL_OBJECT",
                         encryption: ObjectEncryption(algorithm: "AES256", wrappedKey: "q83vASNFZ4mrze8BI0VniavN7wEjRWeJq83vASNFZ4k=",
                                                      masterKeyID: "0123456789abcdef")),
        ObjectAttributes(encryption: {
            var e = ObjectEncryption(algorithm: "AES256", wrappedKey: "q83vASNFZ4mrze8BI0VniavN7wEjRWeJq83vASNFZ4k=", masterKeyID: "customer")
            e.customerKeySalt = "AAECAwQFBgcICQoLDA0ODw=="
            e.customerKeyMAC = "3q2+7w=="
            return e
        }()),
    ]

    @Test(arguments: samples)
    func decodesToWhatWasEncoded(_ a: ObjectAttributes) throws {
        let text = AttributesColumn.encode(a)
        #expect(try JSONDecoder().decode(ObjectAttributes.self, from: Data(text.utf8)) == a)
        // And JSONEncoder's text, which earlier versions stored, reads the same.
        let old = try JSONEncoder().encode(a)
        #expect(try JSONDecoder().decode(ObjectAttributes.self, from: old) == a)
    }
}
