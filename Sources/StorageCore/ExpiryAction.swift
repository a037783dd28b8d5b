/// What a lifecycle rule does to one version the sweeper found (`MetadataStore.expire`). Each is applied
/// only while the version is still as the sweeper saw it, checked in the action's own transaction, so a
/// write or delete that came in meanwhile is never undone.
public enum ExpiryAction: Sendable, Equatable {
    /// Expiration: the key's current object, while it is still that version, is deleted as DeleteObject
    /// without a version ID deletes it (unversioned: gone; Enabled or Suspended: a delete marker is added).
    case expireCurrent
    /// NoncurrentVersionExpiration: the version or delete marker, while it is noncurrent, is removed for good.
    case removeNoncurrent
    /// ExpiredObjectDeleteMarker: the delete marker, while it is the latest and the key's only version, is removed.
    case removeDeleteMarker
}
