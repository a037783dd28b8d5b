import Crypto

// swift-crypto's digest structs are value types (copy-on-write contexts) but are
// not declared Sendable; each hasher owns its own copy, so sending is safe.

/// SHA-1 for `x-amz-checksum-sha1` (an integrity checksum, not a security boundary).
public struct SHA1Hasher: ChecksumHasher, @unchecked Sendable {
    private var inner = Insecure.SHA1()
    public init() {}
    public mutating func update(_ bytes: UnsafeRawBufferPointer) { inner.update(bufferPointer: bytes) }
    public func finalize() -> [UInt8] { Array(inner.finalize()) }
}

/// SHA-256 for `x-amz-checksum-sha256`.
public struct SHA256Hasher: ChecksumHasher, @unchecked Sendable {
    private var inner = SHA256()
    public init() {}
    public mutating func update(_ bytes: UnsafeRawBufferPointer) { inner.update(bufferPointer: bytes) }
    public func finalize() -> [UInt8] { Array(inner.finalize()) }
}
