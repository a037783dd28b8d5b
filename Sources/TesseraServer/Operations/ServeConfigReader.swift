import Configuration
import Foundation
import SystemPackage

/// Reads every `tessera serve` setting (the table in `ServeSetting`) through one swift-configuration
/// `ConfigReader`, its providers in the documented precedence:
///
///   flags > environment (TESSERA_*) > secret files (`*-file` settings, then `$CREDENTIALS_DIRECTORY`) > config file > defaults
///
/// Each layer is checked before it is handed to the reader, so a problem names the key, the variable or the
/// file: unknown config-file keys and wrong types (`ServeOptions.decode`), wrong types in the environment
/// (`ServeOptions.fromEnvironment`), misspelt TESSERA_ variables (`EnvironmentSpelling`), a secret file or a
/// credential that cannot be read or is empty. The admin commands read their settings through the same reader.
public enum ServeConfigReader {
    /// The configuration file named by `--config`, else by TESSERA_CONFIG (empty: none).
    public static func configFilePath(flag: String?, environment env: [String: String]) -> String? {
        flag ?? env["TESSERA_CONFIG"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The credential holding the SSE-S3 master key (a file, not a setting's value).
    public static let masterKeyCredential = "master-key"

    /// The layers read, validated; `warnings` lists what is worth printing but does not stop the daemon.
    /// `keys`: the settings to read (the admin commands read only where the instance is: data-dir, metadata-url).
    public static func read(flags: ServeOptions, configFile: String?, environment env: [String: String],
                            keys: [ServeOptions.CodingKeys] = ServeOptions.CodingKeys.allCases) async throws
        -> (resolved: ServeOptions.Resolved, warnings: [String])
    {
        let spelling = EnvironmentSpelling.check(env)
        if let first = spelling.errors.first { throw ConfigError(first) }

        // The layers, each checked on its own terms first.
        let environmentLayer = try ServeOptions.fromEnvironment(env)
        let fileLayer = try configFile.map { try ServeOptions.load(configFile: $0) } ?? ServeOptions()
        let credentialsDirectory = env["CREDENTIALS_DIRECTORY"].flatMap { $0.isEmpty ? nil : $0 }
        if let credentialsDirectory { try checkCredentialsDirectory(credentialsDirectory) }

        var sources: [String: ServeOptions.Source] = [:]
        let flagsProvider = InMemoryProvider(name: "flags", values: values(of: flags))
        sources[flagsProvider.providerName] = .flag
        let environmentProvider = EnvironmentVariablesProvider(
            environmentVariables: canonicalEnvironment(environmentLayer),
            secretsSpecifier: .specific(Set(ServeSetting.all.filter(\.isSecret).map(\.key.environmentName)))
        ).prefixKeys(with: ConfigKey(["tessera"]))
        sources[environmentProvider.providerName] = .environment
        let fileProvider = InMemoryProvider(name: "config file \(configFile ?? "")", values: values(of: fileLayer))
        if let configFile { sources[fileProvider.providerName] = .file(configFile) }
        var credentialsProvider: DirectoryFilesProvider?
        if let credentialsDirectory {
            let secrets = Set(ServeSetting.all.filter(\.isSecret).map(\.key.rawValue))
            let provider = try await DirectoryFilesProvider(directoryPath: FilePath(credentialsDirectory),
                                                            secretsSpecifier: .specific(secrets))
            sources[provider.providerName] = .credentialsDirectory(credentialsDirectory)
            credentialsProvider = provider
        }

        // The `*-file` settings are paths like any other setting; the files they name make the secret-files layer.
        let pathRecorder = ConfigSourceRecorder()
        var pathProviders: [any ConfigProvider] = [flagsProvider, environmentProvider]
        if let credentialsProvider { pathProviders.append(credentialsProvider) }
        pathProviders.append(fileProvider)
        let pathReader = ConfigReader(providers: pathProviders, accessReporter: pathRecorder)
        var secretFileValues: [AbsoluteConfigKey: ConfigValue] = [:]
        var secretFileSources: [ServeOptions.CodingKeys: ServeOptions.Source] = [:]
        for (fileKey, secretKey) in ServeSetting.secretFiles where keys.contains(secretKey) {
            guard let path = pathReader.string(forKey: ConfigKey([fileKey.rawValue])) else { continue }
            let pathSource = pathRecorder.answer(for: fileKey.rawValue)?.providerName.flatMap { sources[$0] }
            let pathName = ServeOptions.Resolved(options: ServeOptions(), sources: pathSource.map { [fileKey: $0] } ?? [:]).name(fileKey)
            if [flags, environmentLayer, fileLayer].contains(where: { $0.isSet(secretKey) }) {
                throw ConfigError("\(pathName): \(secretKey.rawValue) is given as well; give one of \(secretKey.rawValue) and \(fileKey.rawValue)")
            }
            secretFileValues[AbsoluteConfigKey([secretKey.rawValue])] = ConfigValue(.string(try readSecretFile(path, for: pathName)), isSecret: true)
            secretFileSources[secretKey] = .secretFile(path)
        }
        let secretFilesProvider = InMemoryProvider(name: "secret files", values: secretFileValues)

        // The one reader, in precedence order.
        let recorder = ConfigSourceRecorder()
        var providers: [any ConfigProvider] = [flagsProvider, environmentProvider, secretFilesProvider]
        if let credentialsProvider { providers.append(credentialsProvider) }
        providers.append(fileProvider)
        let reader = ConfigReader(providers: providers, accessReporter: recorder)

        var options = ServeOptions()
        var keySources: [ServeOptions.CodingKeys: ServeOptions.Source] = [:]
        for key in keys {
            let configKey = ConfigKey([key.rawValue])
            let secret = key.setting.isSecret
            switch key.field {
            case .string(let p): options[keyPath: p] = reader.string(forKey: configKey, isSecret: secret)
            case .int(let p): options[keyPath: p] = reader.int(forKey: configKey, isSecret: secret)
            case .int64(let p): options[keyPath: p] = reader.int(forKey: configKey, isSecret: secret).map(Int64.init)
            case .double(let p): options[keyPath: p] = reader.double(forKey: configKey, isSecret: secret)
            case .bool(let p): options[keyPath: p] = reader.bool(forKey: configKey, isSecret: secret)
            }
            let answer = recorder.answer(for: key.rawValue)
            if let failure = answer?.failure {
                let source = sources[failure.providerName]
                let named = ServeOptions.Resolved(options: options, sources: source.map { [key: $0] } ?? [:]).name(key)
                throw ConfigError("\(named): expected \(key.kind.described)")
            }
            if let name = answer?.providerName {
                keySources[key] = name == secretFilesProvider.providerName ? secretFileSources[key] : sources[name]
            }
        }
        // A `master-key` credential is the SSE-S3 key file itself: the master-key-file unless one is set.
        if let credentialsDirectory, keys.contains(.masterKeyFile), options.masterKeyFile == nil,
           FileManager.default.fileExists(atPath: credentialsDirectory + "/" + masterKeyCredential) {
            options.masterKeyFile = credentialsDirectory + "/" + masterKeyCredential
            keySources[.masterKeyFile] = .credentialsDirectory(credentialsDirectory)
        }
        let resolved = ServeOptions.Resolved(options: options, sources: keySources)
        try ServeOptions.validate(resolved)
        return (resolved, spelling.warnings)
    }

    /// A layer's values as the reader's: typed, secrets marked.
    static func values(of layer: ServeOptions) -> [AbsoluteConfigKey: ConfigValue] {
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        for key in layer.keysSet {
            let content: ConfigContent
            switch key.field {
            case .string(let p): content = .string(layer[keyPath: p]!)
            case .int(let p): content = .int(layer[keyPath: p]!)
            case .int64(let p): content = .int(Int(layer[keyPath: p]!))
            case .double(let p): content = .double(layer[keyPath: p]!)
            case .bool(let p): content = .bool(layer[keyPath: p]!)
            }
            values[AbsoluteConfigKey([key.rawValue])] = ConfigValue(content, isSecret: key.setting.isSecret)
        }
        return values
    }

    /// The environment layer, checked by `ServeOptions.fromEnvironment`, as the variables the environment
    /// provider reads: declared names only, non-empty, in the forms it parses (`on` → `true`, no spaces around numbers).
    static func canonicalEnvironment(_ layer: ServeOptions) -> [String: String] {
        var env: [String: String] = [:]
        for key in layer.keysSet { env[key.environmentName] = layer.text(key) }
        return env
    }

    /// A secret file's content without surrounding white space (the newline an editor adds). Unreadable, not
    /// UTF-8 or empty: an error naming the file, never an empty secret.
    static func readSecretFile(_ path: String, for setting: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
              let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError("\(setting): cannot read \(path) (no such file, not a file, or not readable)")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw ConfigError("\(setting): \(path) is not UTF-8 text") }
        let secret = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !secret.isEmpty else { throw ConfigError("\(setting): \(path) is empty") }
        return secret
    }

    /// Every file in the credentials directory must be a setting's, readable and not empty: a misspelt
    /// credential name, or one systemd could not provide, is refused rather than left unapplied.
    static func checkCredentialsDirectory(_ directory: String) throws {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw ConfigError("credentials directory \(directory) (CREDENTIALS_DIRECTORY): cannot list it")
        }
        let known = ServeOptions.CodingKeys.allCases.map(\.rawValue)
        for name in names.sorted() {
            let path = directory + "/" + name
            guard (known + [masterKeyCredential]).contains(where: { Array($0.utf8) == Array(name.utf8) }) else {
                let nearest = NearestName.nearest(to: Array(name.utf8), among: known + [masterKeyCredential])!.name
                throw ConfigError("credentials directory \(directory): \(name) is not a setting (the nearest is \(nearest))")
            }
            _ = try readSecretFile(path, for: "credentials directory \(directory)")
        }
    }
}
