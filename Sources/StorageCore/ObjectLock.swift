import Foundation

/// Object Lock's rules, in one place: what may delete a version, who may bypass GOVERNANCE, and how a
/// version's retention may change. Every deletion of one version (DeleteObject ?versionId, DeleteObjects,
/// lifecycle expiration) goes through `Storage.deleteVersion`, which runs `checkDeletion` inside the
/// metadata store's transaction, so a version locked by a concurrent request is never removed.
public enum ObjectLock {
    /// Whether a request may bypass GOVERNANCE retention: it must ask (`x-amz-bypass-governance-retention:
    /// true`) and come from the bucket's owner. The one place that decides it: bucket policies
    /// (s3:BypassGovernanceRetention) extend this check.
    public static func mayBypassGovernance(requested: Bool, callerOwnsBucket: Bool) -> Bool {
        requested && callerOwnsBucket
    }

    public static let accessDenied = CoreError("AccessDenied", "Access Denied")

    /// Whether `attributes` protect their version at `now` (a legal hold, or retention not yet expired).
    public static func isLocked(_ attributes: ObjectAttributes, at now: Date) -> Bool {
        attributes.legalHold == true || attributes.retention?.isActive(at: now) == true
    }

    /// Refuses (AccessDenied, as S3 answers) the deletion of a version under legal hold, under COMPLIANCE
    /// retention, or under GOVERNANCE retention without a bypass. Delete markers carry no lock.
    public static func checkDeletion(_ record: ObjectRecord, at now: Date, bypassGovernance: Bool) throws {
        let a = record.attributes
        if a.legalHold == true { throw accessDenied }
        guard let retention = a.retention, retention.isActive(at: now) else { return }
        if retention.mode == .compliance || !bypassGovernance { throw accessDenied }
    }

    /// Refuses a retention change S3 forbids (AccessDenied): while a COMPLIANCE retention is active it
    /// cannot be removed, shortened or turned into GOVERNANCE (only extended); while a GOVERNANCE one is
    /// active, removing or shortening it needs the bypass. A retention that has expired protects nothing.
    public static func checkRetentionChange(from old: ObjectRetention?, to new: ObjectRetention?, at now: Date,
                                            bypassGovernance: Bool) throws {
        guard let old, old.isActive(at: now) else { return }
        let weakened = new == nil || new!.retainUntil < old.retainUntil
        switch old.mode {
        case .compliance:
            if weakened || new?.mode != .compliance { throw accessDenied }
        case .governance:
            if weakened && !bypassGovernance { throw accessDenied }
        }
    }
}
