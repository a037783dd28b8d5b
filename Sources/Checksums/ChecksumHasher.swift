/// A streaming checksum: feed bytes with `update`, read the digest with `finalize`.
///
/// `finalize` does not consume the state, so a caller may read an intermediate
/// value and keep feeding. CRC digests are big-endian, as S3 puts them on the wire.
public protocol ChecksumHasher: Sendable {
    mutating func update(_ bytes: UnsafeRawBufferPointer)
    func finalize() -> [UInt8]
}

extension ChecksumHasher {
    /// Feeds any byte collection; contiguous ones are hashed without copying.
    public mutating func update(_ bytes: some Collection<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            update(UnsafeRawBufferPointer(buffer))
        }
        if done == nil {
            Array(bytes).withUnsafeBytes { update($0) }
        }
    }

    /// The digest in base64, the form used by `x-amz-checksum-*` headers and XML.
    public func finalizeBase64() -> String {
        Base64.encode(finalize())
    }
}
