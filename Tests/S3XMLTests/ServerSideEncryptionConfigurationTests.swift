import S3XML
import Testing

@Suite struct ServerSideEncryptionConfigurationTests {
    static let aes = #"<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>"#

    @Test func parsesWhatClientsSend() throws {
        let c = try S3RequestXML.serverSideEncryptionConfiguration(Self.aes.bytes)
        #expect(c == ServerSideEncryptionConfiguration(sseAlgorithm: "AES256", bucketKeyEnabled: true))
        let kms = "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm> aws:kms </SSEAlgorithm><KMSMasterKeyID>k1</KMSMasterKeyID></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>"
        #expect(try S3RequestXML.serverSideEncryptionConfiguration(kms.bytes) == ServerSideEncryptionConfiguration(sseAlgorithm: "aws:kms", kmsMasterKeyID: "k1"))
    }

    @Test func theStoredDocumentParsesToTheSameConfiguration() throws {
        for c in [ServerSideEncryptionConfiguration(sseAlgorithm: "AES256"), ServerSideEncryptionConfiguration(sseAlgorithm: "AES256", bucketKeyEnabled: true)] {
            let document = S3RequestXML.serverSideEncryptionConfigurationDocument(c)
            #expect(document.contains("<SSEAlgorithm>AES256</SSEAlgorithm>"))
            var expected = c
            expected.bucketKeyEnabled = c.bucketKeyEnabled ?? false
            #expect(try S3RequestXML.serverSideEncryptionConfiguration(document.bytes) == expected)
        }
    }

    @Test func refusesWhatS3Refuses() {
        let parse = S3RequestXML.serverSideEncryptionConfiguration
        expectError("<ServerSideEncryptionConfiguration/>", parse)
        expectError("<ServerSideEncryptionConfiguration><Rule/></ServerSideEncryptionConfiguration>", parse)
        expectError("<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault/></Rule></ServerSideEncryptionConfiguration>", parse)
        expectError("<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES128</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>", parse)
        expectError("<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aes256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>", parse)
        let rule = "<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule>"
        expectError("<ServerSideEncryptionConfiguration>\(rule)\(rule)</ServerSideEncryptionConfiguration>", parse)
        expectError("<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>yes</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>", parse)
        expectError("<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm><KMSMasterKeyID>k</KMSMasterKeyID></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>",
                    code: "InvalidArgument", parse)
        expectError("<VersioningConfiguration/>", parse)
        expectError(String(Self.aes.dropLast("</ServerSideEncryptionConfiguration>".count)), parse)
    }

    /// Fuzz-ish: every truncation and single-byte change of a valid document parses or is refused with an S3 error; never crashes.
    @Test func mangledDocumentsNeverCrash() {
        let doc = Self.aes.bytes
        for n in 0..<doc.count {
            _ = try? S3RequestXML.serverSideEncryptionConfiguration(Array(doc.prefix(n)))
            for b: UInt8 in [0, 0x3c, 0x3e, 0x26, 0xff] {
                var m = doc
                m[n] = b
                _ = try? S3RequestXML.serverSideEncryptionConfiguration(m)
            }
        }
    }
}
