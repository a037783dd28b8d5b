import Foundation
import Testing
@testable import StorageCore

/// The master key file's form, and data keys wrapped under it.
@Suite struct MasterKeyTests {
    static func keyText() -> String { Data(randomBytes(32)).base64EncodedString() }

    @Test func readsBase64Of32BytesWithSurroundingWhitespace() throws {
        let text = Self.keyText()
        let a = try MasterKey(fileText: text + "\n")
        let b = try MasterKey(fileText: "  " + text)
        #expect(a.id == b.id && a.id.count == 16)
        #expect(try MasterKey(fileText: Self.keyText()).id != a.id)
    }

    @Test(arguments: ["", "\n", "not base64!", Data(randomBytes(31)).base64EncodedString(), Data(randomBytes(33)).base64EncodedString(),
                      Data(randomBytes(64)).base64EncodedString(), String(repeating: "A", count: 44)])
    func malformedKeyFilesAreRefused(_ text: String) {
        #expect(throws: MasterKeyError.self) { _ = try MasterKey(fileText: text) }
    }

    @Test func aMissingFileIsRefusedNamingIt() throws {
        let path = NSTemporaryDirectory() + "no-such-key-" + UUID().uuidString
        let error = #expect(throws: MasterKeyError.self) { _ = try MasterKey.load(path: path) }
        #expect(error?.message.contains(path) == true)
        try "short".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: MasterKeyError.self) { _ = try MasterKey.load(path: path) }
        try Self.keyText().write(toFile: path, atomically: true, encoding: .utf8)
        _ = try MasterKey.load(path: path)
    }

    @Test func aWrappedDataKeyOpensOnlyUnderItsMasterKey() throws {
        let master = try MasterKey(fileText: Self.keyText())
        let (encryption, cipher) = try master.newDataKey()
        #expect(encryption.algorithm == "AES256" && encryption.masterKeyID == master.id)
        let sealed = try cipher.blocks.seal(Array("hello".utf8), authenticating: [1])
        #expect(try master.cipher(for: encryption).blocks.open(sealed, authenticating: [1]) == Array("hello".utf8))
        // Each object its own key.
        let (other, _) = try master.newDataKey()
        #expect(other.wrappedKey != encryption.wrappedKey)
        #expect(throws: (any Error).self) { _ = try master.cipher(for: other).blocks.open(sealed, authenticating: [1]) }
        // Another master key, even one claiming this key's ID, does not open it.
        var foreign = encryption
        let stranger = try MasterKey(fileText: Self.keyText())
        #expect(throws: CoreError.self) { _ = try stranger.cipher(for: foreign) }
        foreign.masterKeyID = stranger.id
        #expect(throws: CoreError.self) { _ = try stranger.cipher(for: foreign) }
        // A damaged record is refused, never read as some key.
        var damaged = encryption
        var bytes = Array(Data(base64Encoded: damaged.wrappedKey)!)
        bytes[20] ^= 1
        damaged.wrappedKey = Data(bytes).base64EncodedString()
        #expect(throws: CoreError.self) { _ = try master.cipher(for: damaged) }
        damaged.wrappedKey = "AAAA"
        #expect(throws: CoreError.self) { _ = try master.cipher(for: damaged) }
        var otherBlocks = encryption
        otherBlocks.blockSize = 4096
        #expect(throws: CoreError.self) { _ = try master.cipher(for: otherBlocks) }
    }
}
