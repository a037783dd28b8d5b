import Foundation
import Logging
import PostgresMetadata
import PostgresNIO

/// The tests' PostgreSQL: `TESSERA_TEST_POSTGRES_URL` when set, else one throwaway server per test
/// process (Tests/postgres/throwaway-postgres.sh), started by the first test that asks and stopped at
/// exit. Each test gets a database of its own (`freshDatabase()`), so tests stay independent.
///
/// Missing PostgreSQL binaries make every test that needs one fail, with the script's message: never a skip.
enum TestPostgres {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The script's path, found from this file's.
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("postgres/throwaway-postgres.sh").path

    /// The server's directory, for the stop at exit (nil when none was started here).
    nonisolated(unsafe) private static var startedDir: String?

    /// Started (or found) once per process, on first use.
    static let server: Result<PostgresLocation, Failure> = start()

    private static func start() -> Result<PostgresLocation, Failure> {
        if let url = ProcessInfo.processInfo.environment["TESSERA_TEST_POSTGRES_URL"], !url.isEmpty {
            do { return .success(try PostgresLocation(url: url)) } catch {
                return .failure(Failure(description: "TESSERA_TEST_POSTGRES_URL: \(error)"))
            }
        }
        // system(3), not Foundation's Process: its waitUntilExit hung here (the child was never reaped).
        let out = NSTemporaryDirectory() + "tessera-pg-start-\(getpid())-\(UUID().uuidString)"
        defer { unlink(out + ".out"); unlink(out + ".err") }
        let status = system("/bin/bash '\(script)' start \(getpid()) >'\(out).out' 2>'\(out).err'")
        let stdout = (try? String(contentsOfFile: out + ".out", encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: out + ".err", encoding: .utf8)) ?? ""
        let lines = stdout.split(separator: "\n").map(String.init)
        guard status == 0, lines.count == 2 else {
            return .failure(Failure(description: "could not start a throwaway PostgreSQL for the tests (\(script) exited with status \(status)): "
                                    + stderr))
        }
        startedDir = lines[0]
        atexit {
            guard let dir = TestPostgres.startedDir else { return }
            _ = system("/bin/bash '\(TestPostgres.script)' stop '\(dir)' >/dev/null 2>&1")
        }
        do { return .success(try PostgresLocation(url: lines[1])) } catch {
            return .failure(Failure(description: "the script printed a bad URL: \(error)"))
        }
    }

    static let logger: Logger = {
        var l = Logger(label: "test.postgres")
        l.logLevel = .warning
        return l
    }()

    /// A new, empty database on the test server: its location.
    static func freshDatabase() async throws -> PostgresLocation {
        let base = try server.get()
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let c = try await PostgresConnection.connect(
            configuration: .init(host: base.host, port: base.port, username: base.username, password: base.password,
                                 database: base.database, tls: .disable),
            id: 0, logger: logger)
        do {
            try await c.query("CREATE DATABASE \(unescaped: name)", logger: logger)
            try await c.close()
        } catch {
            try? await c.close()
            throw error
        }
        return base.database(name)
    }

    /// Runs one statement against `location` on a connection of its own (for tests that tamper with rows).
    static func execute(_ location: PostgresLocation, _ sql: String) async throws {
        let c = try await PostgresConnection.connect(
            configuration: .init(host: location.host, port: location.port, username: location.username,
                                 password: location.password, database: location.database, tls: .disable),
            id: 0, logger: logger)
        do {
            try await c.query(PostgresQuery(unsafeSQL: sql), logger: logger)
            try await c.close()
        } catch {
            try? await c.close()
            throw error
        }
    }

    /// The bound on each call of the tests' stores: generous, since the suites run at once on one server and
    /// the behavioural tests are not about the bound (PostgresOutageTests is).
    static let bound: Duration = .seconds(60)

    /// A store over a fresh database.
    static func freshStore(poolSize: Int = 4) async throws -> (PostgresMetadataStore, PostgresLocation) {
        let location = try await freshDatabase()
        return (try await PostgresMetadataStore.open(location: location, poolSize: poolSize, timeout: bound, logger: logger), location)
    }
}
