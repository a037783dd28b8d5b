import Hummingbird
import Logging
import NIOCore

/// What one request carries through the pipeline, on every front end: its ID, its access record
/// (the access-log line and metrics, filled in as the request is understood), and the identity its
/// credentials proved once they are verified.
package struct GatewayRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    /// 16 uppercase hex digits: x-amz-request-id, x-amz-id-2, error documents and the access line.
    package let requestID: String
    /// Method and bytes in are set by `AccessLogMiddleware`; operation, bucket, key and key ID by the
    /// front end as it parses and authenticates.
    package let access: AccessRecord
    /// The client's IP address (what bucket policies' aws:SourceIp compares), when the connection has one.
    package let remoteAddress: String?
    /// The access key whose signature was verified (kept by the access record, which logs it); nil
    /// before authentication, for anonymous requests, and on the bearer-token front ends.
    var identity: String? { access.keyID == AccessRecord.noKey || access.keyID.isEmpty ? nil : access.keyID }

    package init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        requestID = RequestID.next()
        access = AccessRecord(requestID: requestID, logger: source.logger)
        remoteAddress = source.channel.remoteAddress?.ipAddress
    }

    /// Records the verified identity, for the handlers and the access line.
    package func authenticated(as accessKey: String) { access.keyID = accessKey }
}
