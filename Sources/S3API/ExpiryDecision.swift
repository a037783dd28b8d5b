import StorageCore

/// One thing a bucket's lifecycle rules expire: `action` on version `version` (the store's number) of `key`.
package struct ExpiryDecision: Sendable, Equatable {
    package var key: String
    package var version: Int64
    package var action: ExpiryAction

    package init(key: String, version: Int64, action: ExpiryAction) {
        self.key = key; self.version = version; self.action = action
    }
}
