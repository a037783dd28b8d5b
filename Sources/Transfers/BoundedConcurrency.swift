/// Runs `work` on every item, at most `limit` at a time, and hands each result to `collect` as it finishes, on the
/// calling task (so `collect` may update local state, e.g. a resume record). The first error cancels the rest.
func forEach<Item: Sendable, Output: Sendable>(
    _ items: [Item], atMost limit: Int, _ work: @escaping @Sendable (Item) async throws -> Output,
    collect: (Output) throws -> Void
) async throws {
    try await withThrowingTaskGroup(of: Output.self) { group in
        var next = items.makeIterator()
        func startNext() -> Bool {
            guard let item = next.next() else { return false }
            group.addTask { try await work(item) }
            return true
        }
        for _ in 0..<max(1, limit) where startNext() {}
        while let output = try await group.next() {
            try collect(output)
            _ = startNext()
        }
    }
}
