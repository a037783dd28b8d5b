/// Object versions being read right now, as the garbage collector must see them: it skips the blobs
/// of a leased version, so an overwrite or delete never pulls a file out from under a GET that already
/// started. Provided by the metadata store (`MetadataStore.readLeases`), because they must be seen by
/// every process that collects garbage from the store: the embedded store's (`LocalReadLeases`) live in
/// the memory of its one serving process; a store shared by several processes must provide leases they
/// all see (rows with an expiry, say), or reads in one process are not protected from another's collector.
public protocol ReadLeases: Sendable {
    /// Leases `version` to one more reader.
    func acquire(_ version: Int64) async throws
    /// Ends one reader's lease. Called when a read handle is released, also from a deinit: must not
    /// block (a shared implementation sends the release in the background). true when this was the last
    /// lease of a version whose garbage the collector skipped: a pass should run now.
    func release(_ version: Int64) -> Bool
    /// For the collector, in one step with `release`: false when `version` is not being read (its blobs
    /// may go now); true when it is, and then its last release reports that a pass is due.
    func skipIfLeased(_ version: Int64) async throws -> Bool
}
