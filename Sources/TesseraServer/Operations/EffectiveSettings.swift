extension ServeOptions.Resolved {
    /// The settings in force, for the start-up log line: each set key with its value and where it came from
    /// (`127.0.0.1:9000 (--listen)`), each unset key with a default as `… (default)`. A secret's value is never
    /// shown: `<redacted> (TESSERA_SECRET_KEY)`.
    public var effectiveSettings: [(key: String, shown: String)] {
        ServeOptions.CodingKeys.allCases.compactMap { key in
            let setting = key.setting
            guard options.isSet(key) else { return setting.defaultValue.map { (key.rawValue, "\($0) (default)") } }
            let value = setting.isSecret ? "<redacted>" : options.text(key)
            return (key.rawValue, "\(value) (\(origin(key)))")
        }
    }

    /// `--listen`, `TESSERA_LISTEN`, `config file /etc/tessera/tessera.json`, `file /run/secret`,
    /// `credentials directory /run/credentials/tessera.service`.
    func origin(_ key: ServeOptions.CodingKeys) -> String {
        switch sources[key] {
        case .flag?:
            // `--no-fsync` sets fsync to false.
            if case .bool(let p) = key.field, options[keyPath: p] == false { return "--no-" + key.rawValue }
            return key.flag
        case .environment?: return key.environmentName
        case .file(let path)?: return "config file \(path)"
        case .secretFile(let path)?: return "file \(path)"
        case .credentialsDirectory(let directory)?: return "credentials directory \(directory)"
        case nil: return "set"
        }
    }
}

extension ServeOptions {
    /// A set key's value as text (`false`, `60`, `2.5`, the string itself); empty when unset.
    func text(_ key: CodingKeys) -> String {
        switch key.field {
        case .string(let p): return self[keyPath: p] ?? ""
        case .int(let p): return self[keyPath: p].map { String($0) } ?? ""
        case .int64(let p): return self[keyPath: p].map { String($0) } ?? ""
        case .double(let p): return self[keyPath: p].map { String($0) } ?? ""
        case .bool(let p): return self[keyPath: p].map { String($0) } ?? ""
        }
    }
}
