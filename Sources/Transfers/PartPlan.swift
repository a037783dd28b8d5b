/// How a file is cut into parts: the requested size (8 MiB by default), grown in whole MiB so that no file needs more
/// than 10,000 parts, and never under S3's 5 MiB minimum. A file no larger than one part is sent with one PUT.
public struct PartPlan: Sendable, Equatable {
    public static let defaultPartSize: Int64 = 8 << 20
    public static let minimumPartSize: Int64 = 5 << 20
    public static let maximumParts: Int64 = 10_000

    public let fileSize: Int64
    public let partSize: Int64

    public init(fileSize: Int64, requestedPartSize: Int64 = PartPlan.defaultPartSize) {
        self.fileSize = fileSize
        let mib: Int64 = 1 << 20
        let needed = (fileSize + PartPlan.maximumParts - 1) / PartPlan.maximumParts
        let rounded = (needed + mib - 1) / mib * mib
        partSize = max(requestedPartSize, PartPlan.minimumPartSize, rounded)
    }

    public var isSinglePut: Bool { fileSize <= partSize }
    public var partCount: Int { fileSize == 0 ? 1 : Int((fileSize + partSize - 1) / partSize) }

    /// Part `number` (1-based): its offset and length in the file.
    public func range(of number: Int) -> (offset: Int64, length: Int64) {
        let offset = Int64(number - 1) * partSize
        return (offset, min(partSize, fileSize - offset))
    }
}
