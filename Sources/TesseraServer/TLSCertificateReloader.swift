import Logging
import NIOConcurrencyHelpers
import NIOSSL
import ServiceLifecycle
import UnixSignals

/// The S3 listener's certificate chain and key, read again on SIGHUP without dropping a connection: every new TLS
/// handshake takes the pair read last (swift-nio-ssl's per-handshake context callback); connections already open
/// keep theirs. A pair that fails to load (unreadable, not PEM, key not the certificate's) is logged and the pair
/// before stays in force.
final class TLSCertificateReloader: Sendable {
    struct Pair: Sendable {
        var chain: [NIOSSLCertificate]
        var key: NIOSSLPrivateKey
    }

    let certificatePath: String
    let keyPath: String
    private let current: NIOLockedValueBox<Pair>

    init(certificatePath: String, keyPath: String) throws {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        current = NIOLockedValueBox(try Daemon.loadTLSPair(certificatePath: certificatePath, keyPath: keyPath))
    }

    /// The listener's configuration: the pair read at start, overridden per handshake by the pair read last.
    var serverConfiguration: TLSConfiguration {
        let pair = current.withLockedValue { $0 }
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: pair.chain.map { .certificate($0) },
                                                           privateKey: .privateKey(pair.key))
        tls.sslContextCallback = { [current] _, promise in
            let pair = current.withLockedValue { $0 }
            var override = NIOSSLContextConfigurationOverride()
            override.certificateChain = pair.chain.map { .certificate($0) }
            override.privateKey = .privateKey(pair.key)
            promise.succeed(override)
        }
        return tls
    }

    /// Reads both files again; on success later handshakes use them.
    func reload() throws {
        let pair = try Daemon.loadTLSPair(certificatePath: certificatePath, keyPath: keyPath)
        current.withLockedValue { $0 = pair }
    }
}

/// SIGHUP while the daemon runs: re-read the TLS certificate and key (`systemctl reload tessera`). Without TLS the
/// signal is logged and ignored, rather than ending the process as it would by default.
struct HangupReload: Service {
    let tls: TLSCertificateReloader?
    let logger: Logger

    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            guard let tls else {
                logger.info("SIGHUP: no TLS certificate to reload")
                continue
            }
            do {
                try tls.reload()
                logger.notice("SIGHUP: TLS certificate and key reloaded", metadata: ["certificate": "\(tls.certificatePath)"])
            } catch {
                logger.error("SIGHUP: TLS reload failed; the certificate in use stays", metadata: ["error": "\(error)"])
            }
        }
    }
}
