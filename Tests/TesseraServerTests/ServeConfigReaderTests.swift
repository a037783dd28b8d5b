import Foundation
import Testing
@testable import TesseraServer

/// The settings reader (`ServeConfigReader`): one swift-configuration `ConfigReader` over flags > environment >
/// secret files (then the credentials directory) > config file > defaults.
@Suite struct ServeConfigReaderTests {
    /// A scratch directory, removed at the end of the test.
    final class Scratch {
        let path: String
        init() throws {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-config-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }

        /// Writes `content` to `name` under the scratch directory (subdirectories made) and returns its path.
        @discardableResult
        func write(_ name: String, _ content: String) throws -> String {
            let file = path + "/" + name
            try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(content.utf8).write(to: URL(fileURLWithPath: file))
            return file
        }
    }

    func read(_ flags: ServeOptions = ServeOptions(), config: String? = nil, env: [String: String] = [:],
              keys: [ServeOptions.CodingKeys] = ServeOptions.CodingKeys.allCases) async throws -> ServeOptions.Resolved {
        try await ServeConfigReader.read(flags: flags, configFile: config, environment: env, keys: keys).resolved
    }

    func failure(_ body: () async throws -> Void) async -> String {
        do {
            try await body()
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    // MARK: precedence

    @Test func eachLayerBeatsTheNext() async throws {
        let scratch = try Scratch()
        let config = try scratch.write("tessera.json", #"{"region": "from-file", "max-parts": 40, "data-dir": "/file"}"#)
        let credentials = scratch.path + "/credentials"
        try scratch.write("credentials/region", "from-credentials\n")
        try scratch.write("credentials/max-parts", "30")
        var flags = ServeOptions()
        flags.region = "from-flag"
        let env = ["TESSERA_REGION": "from-env", "CREDENTIALS_DIRECTORY": credentials]

        // flags > environment > credentials directory > config file > defaults, key by key.
        var r = try await read(flags, config: config, env: env)
        #expect(r.options.region == "from-flag" && r.sources[.region] == .flag)
        r = try await read(config: config, env: env)
        #expect(r.options.region == "from-env" && r.sources[.region] == .environment)
        r = try await read(config: config, env: ["CREDENTIALS_DIRECTORY": credentials])
        #expect(r.options.region == "from-credentials" && r.sources[.region] == .credentialsDirectory(credentials))
        #expect(r.options.maxParts == 30)
        r = try await read(config: config)
        #expect(r.options.region == "from-file" && r.sources[.region] == .file(config))
        #expect(r.options.maxParts == 40 && r.options.dataDir == "/file")
        r = try await read()
        #expect(r.options.region == nil && r.sources[.region] == nil)
        #expect(r.options.serverConfiguration(accessKey: "a", secretKey: "s").region == "us-east-1")
        // Each layer keeps the keys the ones above it do not set.
        r = try await read(flags, config: config, env: env)
        #expect(r.options.maxParts == 30 && r.options.dataDir == "/file" && r.sources[.dataDir] == .file(config))
    }

    @Test func secretsFollowTheSamePrecedence() async throws {
        let scratch = try Scratch()
        let config = try scratch.write("tessera.json", #"{"access-key": "AK", "secret-key": "from-file"}"#)
        let credentials = scratch.path + "/credentials"
        try scratch.write("credentials/secret-key", "from-credentials\n")
        let secretFile = try scratch.write("secret", "from-secret-file\n")

        var r = try await read(config: config)
        #expect(r.options.secretKey == "from-file")
        r = try await read(config: config, env: ["CREDENTIALS_DIRECTORY": credentials])
        #expect(r.options.secretKey == "from-credentials")
        // A -file setting beats the credentials directory; its trailing newline is not part of the secret.
        var flags = ServeOptions()
        flags.accessKey = "AK"
        flags.secretKeyFile = secretFile
        r = try await read(flags, env: ["CREDENTIALS_DIRECTORY": credentials])
        #expect(r.options.secretKey == "from-secret-file" && r.sources[.secretKey] == .secretFile(secretFile))
        // The environment beats the credentials directory.
        r = try await read(config: config, env: ["CREDENTIALS_DIRECTORY": credentials, "TESSERA_SECRET_KEY": "from-env"])
        #expect(r.options.secretKey == "from-env" && r.sources[.secretKey] == .environment)
        // A secret given both directly and as a file is refused, naming both.
        let both = await failure { _ = try await read(flags, config: config) }
        #expect(both.contains("secret-key-file (from --secret-key-file)") && both.contains("give one of secret-key and secret-key-file"))
        // The same through the environment and the config file.
        let fromEnv = await failure {
            _ = try await read(env: ["TESSERA_ACCESS_KEY": "AK", "TESSERA_SECRET_KEY_FILE": secretFile, "TESSERA_SECRET_KEY": "x"])
        }
        #expect(fromEnv.contains("secret-key-file (from TESSERA_SECRET_KEY_FILE)"), "\(fromEnv)")
        let tokenFile = try scratch.write("token", "worker-token-value")
        let file2 = try scratch.write("t.json", "{\"worker-token-file\": \"\(tokenFile)\", \"tasks-token-file\": \"\(tokenFile)\"}")
        r = try await read(config: file2)
        #expect(r.options.workerToken == "worker-token-value" && r.options.tasksToken == "worker-token-value")
        #expect(r.sources[.workerToken] == .secretFile(tokenFile))
    }

    // MARK: secret files

    @Test func aSecretFileThatCannotBeReadIsAnErrorNamingIt() async throws {
        let scratch = try Scratch()
        var flags = ServeOptions()
        flags.accessKey = "AK"
        flags.secretKeyFile = scratch.path + "/absent"
        var message = await failure { _ = try await read(flags) }
        #expect(message.contains(scratch.path + "/absent") && message.contains("cannot read"), "\(message)")
        // A directory is no secret (root reads any file, so this is the unreadable case a test can make).
        flags.secretKeyFile = scratch.path
        message = await failure { _ = try await read(flags) }
        #expect(message.contains("cannot read \(scratch.path)"), "\(message)")
        // Nor is an empty file, or one of white space only: never an empty secret.
        flags.secretKeyFile = try scratch.write("empty", " \n")
        message = await failure { _ = try await read(flags) }
        #expect(message.contains("is empty"), "\(message)")
        flags.secretKeyFile = try scratch.write("good", "s3cret\n")
        #expect(try await read(flags).options.secretKey == "s3cret")
    }

    @Test func theCredentialsDirectoryIsCheckedWhole() async throws {
        let scratch = try Scratch()
        let dir = scratch.path + "/creds"
        try scratch.write("creds/access-key", "AK")
        try scratch.write("creds/secret-key", "SK")
        try scratch.write("creds/fsync", "false")
        var r = try await read(env: ["CREDENTIALS_DIRECTORY": dir])
        #expect(r.options.accessKey == "AK" && r.options.secretKey == "SK" && r.options.fsync == false)

        // A value of the wrong type names the key and the directory.
        try scratch.write("creds/max-parts", "lots")
        var message = await failure { _ = try await read(env: ["CREDENTIALS_DIRECTORY": dir]) }
        #expect(message.contains("max-parts (from credentials directory \(dir)): expected an integer"), "\(message)")
        try FileManager.default.removeItem(atPath: dir + "/max-parts")

        // A file that is not a setting's is refused with the nearest name.
        try scratch.write("creds/data_dir", "/x")
        message = await failure { _ = try await read(env: ["CREDENTIALS_DIRECTORY": dir]) }
        #expect(message.contains("data_dir is not a setting (the nearest is data-dir)"), "\(message)")
        try FileManager.default.removeItem(atPath: dir + "/data_dir")

        // A credential that cannot be read (a dangling link) is an error naming it, never skipped.
        try FileManager.default.createSymbolicLink(atPath: dir + "/region", withDestinationPath: scratch.path + "/gone")
        message = await failure { _ = try await read(env: ["CREDENTIALS_DIRECTORY": dir]) }
        #expect(message.contains(dir + "/region"), "\(message)")
        try FileManager.default.removeItem(atPath: dir + "/region")

        // An empty one too.
        try scratch.write("creds/region", "")
        message = await failure { _ = try await read(env: ["CREDENTIALS_DIRECTORY": dir]) }
        #expect(message.contains(dir + "/region is empty"), "\(message)")
        try FileManager.default.removeItem(atPath: dir + "/region")

        // A directory that is not there.
        message = await failure { _ = try await read(env: ["CREDENTIALS_DIRECTORY": scratch.path + "/none"]) }
        #expect(message.contains("credentials directory \(scratch.path)/none"), "\(message)")
        r = try await read(env: ["CREDENTIALS_DIRECTORY": dir])
        #expect(r.options.secretKey == "SK" && r.options.masterKeyFile == nil)

        // A `master-key` credential is the master-key-file (read and checked as one) unless one is set.
        let masterKey = try scratch.write("creds/master-key", Data((0..<32).map { UInt8($0) }).base64EncodedString() + "\n")
        r = try await read(env: ["CREDENTIALS_DIRECTORY": dir])
        #expect(r.options.masterKeyFile == masterKey && r.sources[.masterKeyFile] == .credentialsDirectory(dir))
        var flags = ServeOptions()
        flags.masterKeyFile = try scratch.write("other.key", Data((0..<32).map { UInt8(255 - $0) }).base64EncodedString())
        #expect(try await read(flags, env: ["CREDENTIALS_DIRECTORY": dir]).options.masterKeyFile == flags.masterKeyFile)
        try scratch.write("creds/master-key", "not a key")
        message = await failure { _ = try await read(env: ["CREDENTIALS_DIRECTORY": dir]) }
        #expect(message.contains("master-key-file (from credentials directory \(dir))") && message.contains("malformed"), "\(message)")
    }

    // MARK: misspellings

    @Test func aMisspeltVariableIsAnErrorNamingTheSetting() async throws {
        let report = EnvironmentSpelling.check(["TESSERA_DATA_DIRR": "/x", "TESSERA_REGION": "r", "PATH": "/bin"])
        #expect(report.errors == ["environment variable TESSERA_DATA_DIRR is not a setting: did you mean TESSERA_DATA_DIR? (unset it or correct its name)"])
        #expect(report.warnings.isEmpty)
        // Reading refuses it: the data directory is never silently the default.
        let message = await failure { _ = try await read(env: ["TESSERA_DATA_DIRR": "/x"]) }
        #expect(message.contains("TESSERA_DATA_DIRR") && message.contains("TESSERA_DATA_DIR?"), "\(message)")
        // Case counts: the reader takes TESSERA_DATA_DIR only.
        #expect(EnvironmentSpelling.check(["tessera_data_dir": "/x"]).errors.first?.contains("did you mean TESSERA_DATA_DIR") == true)
        #expect(EnvironmentSpelling.check(["TESSERA_SECRETKEY": "x"]).errors.first?.contains("TESSERA_SECRET_KEY?") == true)
    }

    @Test func otherUnknownVariablesAreWarnings() async throws {
        let report = EnvironmentSpelling.check(["TESSERA_FROBNICATE_EVERYTHING": "1"])
        #expect(report.errors.isEmpty)
        #expect(report.warnings.count == 1 && report.warnings[0].contains("TESSERA_FROBNICATE_EVERYTHING is not a setting and is ignored"))
        let (_, warnings) = try await ServeConfigReader.read(flags: ServeOptions(), configFile: nil,
                                                             environment: ["TESSERA_FROBNICATE_EVERYTHING": "1"])
        #expect(warnings == report.warnings)
        // Every setting's variable, and the documented others, are known.
        var known: [String: String] = [:]
        for name in EnvironmentSpelling.knownNames { known[name] = "x" }
        #expect(EnvironmentSpelling.check(known) == EnvironmentSpelling.Report())
        #expect(EnvironmentSpelling.knownNames.contains("TESSERA_TEST_SWEEPER_CLOCK_SHIFT_DAYS"))
        #expect(EnvironmentSpelling.knownNames.contains("TESSERA_SECRET_KEY_FILE"))
    }

    @Test func editDistance() {
        #expect(NearestName.editDistance(Array("DATA_DIR".utf8), Array("DATA_DIRR".utf8)) == 1)
        #expect(NearestName.editDistance(Array("kitten".utf8), Array("sitting".utf8)) == 3)
        #expect(NearestName.editDistance([], Array("abc".utf8)) == 3)
    }

    // MARK: the table, the log line

    @Test func theTableHasARowForEveryKey() {
        #expect(ServeSetting.all.count == ServeOptions.CodingKeys.allCases.count)
        for setting in ServeSetting.all { #expect(!setting.help.isEmpty, "\(setting.key)") }
        #expect(Set(ServeSetting.all.filter(\.isSecret).map(\.key)) == [.secretKey, .workerToken, .tasksToken, .metadataUrl])
        #expect(ServeSetting.secretFiles.map { $0.secret } == [.secretKey, .workerToken, .tasksToken])
        #expect(ServeOptions.CodingKeys.secretKeyFile.environmentName == "TESSERA_SECRET_KEY_FILE")
    }

    @Test func theOperatorGuideHoldsTheGeneratedTable() throws {
        let guide = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/operator-guide.md")
        let text = try String(contentsOf: guide, encoding: .utf8)
        #expect(text.contains(ServeSetting.markdownTable), "docs/operator-guide.md: regenerate the settings table (ServeSetting.markdownTable)")
    }

    @Test func theEffectiveSettingsRedactSecrets() async throws {
        var flags = ServeOptions()
        flags.accessKey = "AKIDVISIBLE"
        flags.secretKey = "do-not-log-me"
        flags.region = "eu-1"
        flags.fsync = false
        let env = ["TESSERA_WORKER_TOKEN": "token-do-not-log", "TESSERA_METADATA_URL": "postgres://u:pw-do-not-log@h:5432/db"]
        let r = try await read(flags, env: env)
        let shown = Dictionary(uniqueKeysWithValues: r.effectiveSettings.map { ($0.key, $0.shown) })
        #expect(shown["secret-key"] == "<redacted> (--secret-key)")
        #expect(shown["worker-token"] == "<redacted> (TESSERA_WORKER_TOKEN)")
        #expect(shown["metadata-url"] == "<redacted> (TESSERA_METADATA_URL)")
        #expect(shown["region"] == "eu-1 (--region)")
        #expect(shown["fsync"] == "false (--no-fsync)")
        #expect(shown["access-key"] == "AKIDVISIBLE (--access-key)")
        #expect(shown["listen"] == "127.0.0.1:9000 (default)")
        let all = r.effectiveSettings.map(\.shown).joined(separator: " ")
        #expect(!all.contains("do-not-log") && !all.contains("pw-do-not-log"))
    }

    @Test func theAdminKeysReadOnlyWhereTheInstanceIs() async throws {
        let scratch = try Scratch()
        // The daemon's config may name files only the daemon reads: the admin commands read data-dir and metadata-url only.
        let config = try scratch.write("tessera.json", #"{"data-dir": "/srv/d", "secret-key-file": "/nonexistent", "access-key": "A"}"#)
        let r = try await read(config: config, env: ["TESSERA_DATA_DIR": "/env"], keys: [.dataDir, .metadataUrl])
        #expect(r.options.dataDir == "/env" && r.options.secretKey == nil)
        // serve itself refuses that file.
        let message = await failure { _ = try await read(config: config) }
        #expect(message.contains("/nonexistent"), "\(message)")
    }
}
