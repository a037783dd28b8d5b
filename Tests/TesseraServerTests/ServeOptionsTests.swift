import Foundation
import Testing
@testable import TesseraServer

@Suite struct ServeOptionsTests {
    func file(_ json: String) throws -> ServeOptions {
        try ServeOptions.decode(Data(json.utf8), source: "config file test.json")
    }

    func error(_ body: () throws -> Any) -> String {
        do {
            _ = try body()
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func fileKeysAreFlagNames() throws {
        let o = try file("""
            {"listen": "0.0.0.0:9100", "data-dir": "/srv/t", "max-parts": 100, "min-part-size": 1048576,
             "abort-incomplete-after": 60, "sweep-interval": 1.5, "fsync": false, "worker-anonymous": true,
             "admin-listen": "127.0.0.1:9101", "log-format": "json"}
            """)
        #expect(o.listen == "0.0.0.0:9100")
        #expect(o.dataDir == "/srv/t")
        #expect(o.maxParts == 100)
        #expect(o.minPartSize == 1_048_576)
        #expect(o.abortIncompleteAfter == 60)
        #expect(o.sweepInterval == 1.5)
        #expect(o.fsync == false)
        #expect(o.workerAnonymous == true)
        #expect(o.adminListen == "127.0.0.1:9101")
        #expect(o.logFormat == "json")
        #expect(o.region == nil)
    }

    @Test func everyKeyHasAnEnvironmentName() {
        #expect(ServeOptions.CodingKeys.dataDir.environmentName == "TESSERA_DATA_DIR")
        #expect(ServeOptions.CodingKeys.maxClockSkew.environmentName == "TESSERA_MAX_CLOCK_SKEW")
        #expect(ServeOptions.CodingKeys.allCases.count == Set(ServeOptions.CodingKeys.allCases.map(\.environmentName)).count)
    }

    @Test func precedenceIsFlagsThenEnvironmentThenFile() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-precedence-\(UUID().uuidString).json").path
        try Data(#"{"region": "file-region", "limits": "r2", "max-parts": 50, "listen": "127.0.0.1:1"}"#.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let env = ["TESSERA_REGION": "env-region", "TESSERA_MAX_PARTS": "60", "TESSERA_UNRELATED": "x"]
        var flagLayer = ServeOptions()
        flagLayer.region = "flag-region"
        func read(_ flags: ServeOptions, _ env: [String: String]) async throws -> ServeOptions.Resolved {
            try await ServeConfigReader.read(flags: flags, configFile: path, environment: env).resolved
        }

        let r = try await read(flagLayer, env)
        #expect(r.options.region == "flag-region")
        #expect(r.options.maxParts == 60)
        #expect(r.options.limits == "r2")
        #expect(r.options.listen == "127.0.0.1:1")
        #expect(r.sources[.region] == .flag)
        #expect(r.sources[.maxParts] == .environment)
        #expect(r.sources[.limits] == .file(path))
        #expect(r.sources[.dataDir] == nil)

        let withoutFlag = try await read(ServeOptions(), env)
        #expect(withoutFlag.options.region == "env-region")
        let fileOnly = try await read(ServeOptions(), [:])
        #expect(fileOnly.options.region == "file-region")
    }

    /// One layer's settings, each from `source`: what `validate` is given.
    func resolved(_ o: ServeOptions, _ source: ServeOptions.Source) -> ServeOptions.Resolved {
        ServeOptions.Resolved(options: o, sources: Dictionary(uniqueKeysWithValues: o.keysSet.map { ($0, source) }))
    }

    @Test func defaultsApplyWhenNothingIsSet() throws {
        let c = ServeOptions().serverConfiguration(accessKey: "a", secretKey: "s")
        #expect(c.host == "127.0.0.1" && c.port == 9000)
        #expect(c.dataDir == "./data")
        #expect(c.region == "us-east-1")
        #expect(c.limits.name == "aws")
        #expect(c.durable)
        #expect(c.maxClockSkew == 900)
        #expect(c.admin == nil)
        var o = ServeOptions()
        o.fsync = false
        o.maxClockSkew = 0
        o.adminListen = "[::1]:9101"
        let d = o.serverConfiguration(accessKey: "a", secretKey: "s")
        #expect(!d.durable)
        #expect(d.maxClockSkew == nil)
        #expect(d.admin?.host == "::1" && d.admin?.port == 9101)
    }

    @Test func unknownKeysAreRejectedByName() {
        let e = error { try file(#"{"listen": "127.0.0.1:9000", "data_dir": "/x"}"#) }
        #expect(e.contains("unknown key \"data_dir\""))
        #expect(e.contains("did you mean \"data-dir\""))
        #expect(error { try file(#"{"colour": "blue"}"#) }.contains("unknown key \"colour\""))
    }

    @Test func wrongTypesNameTheKey() {
        #expect(error { try file(#"{"max-parts": "ten"}"#) } == "config file test.json: key \"max-parts\": expected an integer")
        #expect(error { try file(#"{"max-parts": 2.5}"#) } == "config file test.json: key \"max-parts\": expected an integer")
        #expect(error { try file(#"{"listen": 9000}"#) } == "config file test.json: key \"listen\": expected a string")
        #expect(error { try file(#"{"fsync": "no"}"#) } == "config file test.json: key \"fsync\": expected true or false")
        #expect(error { try file(#"[1, 2]"#) }.contains("must be a JSON object"))
        #expect(error { try file(#"{"listen": "#) }.contains("not valid JSON"))
    }

    @Test func environmentValuesAreTyped() throws {
        let o = try ServeOptions.fromEnvironment(["TESSERA_FSYNC": "false", "TESSERA_SWEEP_INTERVAL": "2.5", "TESSERA_DATA_DIR": "/d",
                                                  "TESSERA_LISTEN": ""])
        #expect(o.fsync == false)
        #expect(o.sweepInterval == 2.5)
        #expect(o.dataDir == "/d")
        #expect(o.listen == nil)  // empty means unset
        #expect(error { try ServeOptions.fromEnvironment(["TESSERA_MAX_PARTS": "many"]) }
                == "TESSERA_MAX_PARTS (max-parts): expected an integer, got \"many\"")
        #expect(error { try ServeOptions.fromEnvironment(["TESSERA_FSYNC": "maybe"]) }.contains("TESSERA_FSYNC"))
    }

    @Test func validationNamesTheKeyAndItsSource() {
        func check(_ o: ServeOptions, _ source: ServeOptions.Source) -> String {
            error { try ServeOptions.validate(resolved(o, source)) }
        }
        var o = ServeOptions()
        o.listen = "localhost"
        #expect(check(o, .file("/etc/tessera.json")) == "listen (from config file /etc/tessera.json): must be HOST:PORT, got \"localhost\"")
        o = ServeOptions()
        o.adminListen = "127.0.0.1:99999"
        #expect(check(o, .environment).hasPrefix("admin-listen (from TESSERA_ADMIN_LISTEN): must be HOST:PORT"))
        o = ServeOptions()
        o.limits = "gcs"
        #expect(check(o, .flag).hasPrefix("limits (from --limits)"))
        o = ServeOptions()
        o.accessKey = "AK"
        #expect(check(o, .flag).contains("secret-key"))
        o = ServeOptions()
        o.logFormat = "xml"
        #expect(check(o, .flag).contains("log-format"))
        o = ServeOptions()
        o.listen = "127.0.0.1:0"
        o.logLevel = "debug"
        #expect(check(o, .flag) == "no error")
    }

    @Test func corsOriginsOfTheJSONFrontEnds() throws {
        func check(_ o: ServeOptions) -> String { error { try ServeOptions.validate(resolved(o, .flag)) } }
        var o = ServeOptions()
        o.workerListen = "127.0.0.1:9200"
        o.tasksListen = "127.0.0.1:9300"
        o.workerCorsOrigins = "https://app.example, http://localhost:*"
        #expect(check(o) == "no error")
        let c = o.serverConfiguration(accessKey: "a", secretKey: "s")
        #expect(c.worker?.corsOrigins == ["https://app.example", "http://localhost:*"])
        #expect(c.tasks?.corsOrigins == [])
        o.tasksCorsOrigins = "https://a.example,,https://b.example"
        #expect(check(o).hasPrefix("tasks-cors-origins (from --tasks-cors-origins): must be a comma-separated list"))
        o.tasksCorsOrigins = "https://*.*.example"
        #expect(check(o).contains("more than one wildcard"))
        o.tasksCorsOrigins = "*"
        #expect(check(o) == "no error")
        let file = try self.file(#"{"worker-cors-origins": "https://x.example"}"#)
        #expect(file.workerCorsOrigins == "https://x.example")
    }

    @Test func aMasterKeyFileIsReadAtValidation() throws {
        func check(_ o: ServeOptions) -> String { error { try ServeOptions.validate(resolved(o, .flag)) } }
        let path = NSTemporaryDirectory() + "tessera-master-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: path) }
        var o = ServeOptions()
        o.masterKeyFile = path
        #expect(check(o) == "master-key-file (from --master-key-file): the master key file \(path) cannot be read")
        try "too short\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(check(o).hasPrefix("master-key-file (from --master-key-file): the master key file \(path) is malformed"))
        try (Data((0..<32).map { UInt8($0) }).base64EncodedString() + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(check(o) == "no error")
        #expect(o.serverConfiguration(accessKey: "a", secretKey: "s").masterKeyPath == path)
        #expect(ServeOptions.CodingKeys.masterKeyFile.environmentName == "TESSERA_MASTER_KEY_FILE")
        #expect(o.serverConfiguration(accessKey: "a", secretKey: "s").allowInsecureSSEC == false)
        o.allowInsecureSseC = true
        #expect(o.serverConfiguration(accessKey: "a", secretKey: "s").allowInsecureSSEC == true)
        #expect(ServeOptions.CodingKeys.allowInsecureSseC.environmentName == "TESSERA_ALLOW_INSECURE_SSE_C")
    }

    @Test func metadataURLIsValidatedWithoutShowingItsPassword() {
        func check(_ o: ServeOptions) -> String { error { try ServeOptions.validate(resolved(o, .flag)) } }
        var o = ServeOptions()
        o.metadataUrl = "mysql://u:hunter2@db/x"
        let bad = check(o)
        #expect(bad.hasPrefix("metadata-url (from --metadata-url): bad PostgreSQL URL"))
        #expect(!bad.contains("hunter2"))
        o.metadataUrl = "postgres://u:hunter2@db:5433/tessera"
        #expect(check(o) == "no error")
        o.tasksListen = "127.0.0.1:0"
        #expect(check(o) == "no error")   // the task API keeps its tasks in PostgreSQL too
        o.tasksListen = nil
        o.metadataPoolSize = 0
        #expect(check(o).hasPrefix("metadata-pool-size (from --metadata-pool-size): must be 1 to 1000"))
        o.metadataUrl = nil
        o.metadataPoolSize = 4
        #expect(check(o).contains("only with metadata-url"))
        o.metadataPoolSize = nil
        o.metadataTimeout = 2
        #expect(check(o) == "metadata-timeout (from --metadata-timeout): applies only with metadata-url (PostgreSQL)")
        o.metadataUrl = "postgres://u:hunter2@db:5433/tessera"
        for bad in [0, -1, 0.05, 3601, .nan] {
            o.metadataTimeout = bad
            #expect(check(o).hasPrefix("metadata-timeout (from --metadata-timeout): must be 0.1 to 3600 seconds"))
        }
        o.metadataTimeout = 0.5
        #expect(check(o) == "no error")
        #expect(o.serverConfiguration(accessKey: "a", secretKey: "s").postgres?.timeout == .milliseconds(500))

        o = ServeOptions()
        #expect(o.serverConfiguration(accessKey: "a", secretKey: "s").postgres == nil)
        o.metadataUrl = "postgres://u:hunter2@db:5433/tessera"
        let shared = o.serverConfiguration(accessKey: "a", secretKey: "s").postgres
        #expect(shared?.location.host == "db" && shared?.location.port == 5433 && shared?.poolSize == 8 && shared?.timeout == .seconds(5))
        #expect(!"\(shared!.location)".contains("hunter2"))
        o.metadataPoolSize = 3
        #expect(o.serverConfiguration(accessKey: "a", secretKey: "s").postgres?.poolSize == 3)
    }

    @Test func hostPort() {
        #expect(ServeOptions.parseHostPort("127.0.0.1:9000")! == ("127.0.0.1", 9000))
        #expect(ServeOptions.parseHostPort(":9000")! == ("0.0.0.0", 9000))
        #expect(ServeOptions.parseHostPort("[::1]:80")! == ("::1", 80))
        #expect(ServeOptions.parseHostPort("localhost") == nil)
        #expect(ServeOptions.parseHostPort("host:70000") == nil)
        #expect(ServeOptions.parseHostPort("host:port") == nil)
    }
}
