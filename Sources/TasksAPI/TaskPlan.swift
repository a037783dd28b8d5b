import StorageCore

/// How a task's file is cut into chunks (the parts of its multipart upload), checked against the limits.
struct TaskPlan: Equatable {
    let chunkSize: Int64
    let chunksCount: Int

    init(file: TaskCreateRequest, limits: LimitProfile, defaultChunkSize: Int64) throws(TaskRefusal) {
        let chunkSize = file.chunk_size ?? defaultChunkSize
        guard chunkSize > 0 else { throw TaskRefusal("chunk_size must be positive") }
        // ceil(file_size / chunkSize) without file_size + chunkSize - 1, which overflows for sizes near Int64.max.
        let chunksCount = max(1, Int((file.file_size - 1) / chunkSize + 1))
        if chunksCount > 1 && chunkSize < limits.minPartSize {
            throw TaskRefusal("chunk_size \(chunkSize) is below the minimum part size \(limits.minPartSize) (only a single-chunk file may be smaller)")
        }
        if chunkSize > limits.maxPartSize { throw TaskRefusal("chunk_size \(chunkSize) exceeds the maximum part size \(limits.maxPartSize)") }
        if chunksCount > limits.maxParts {
            throw TaskRefusal("file_size \(file.file_size) needs \(chunksCount) chunks of \(chunkSize) bytes; at most \(limits.maxParts) are allowed")
        }
        if file.file_size > limits.maxObjectSize { throw TaskRefusal("file_size exceeds the maximum object size \(limits.maxObjectSize)") }
        (self.chunkSize, self.chunksCount) = (chunkSize, chunksCount)
    }
}
