/// `tessera serve`'s command-line flags, read from the settings table (`ServeSetting`): every setting
/// is a flag by its key's name (`--data-dir PATH`, `--data-dir=PATH`), a boolean one a pair (`--fsync`,
/// `--no-fsync`). Nothing about a setting is written here: a new row in the table is a new flag, in the
/// parse, in `--help` and the man page (`help`), and in the shell completions (`names`).
public enum ServeFlags {
    /// Every flag, as typed: `--listen`, …, `--fsync`, `--no-fsync`.
    public static var names: [String] {
        ServeOptions.CodingKeys.allCases.flatMap { key in key.kind == .boolean ? [key.flag, "--no-" + key.rawValue] : [key.flag] }
    }

    /// The flags' layer: only what the arguments give. A later flag overrides an earlier one for the same
    /// setting. Errors name the argument: an unknown flag (with the nearest name), a missing or mistyped value.
    public static func parse(_ arguments: [String]) throws -> ServeOptions {
        var options = ServeOptions()
        var i = 0
        while i < arguments.count {
            let argument = arguments[i]
            i += 1
            let bytes = Array(argument.utf8)
            guard bytes.count > 2, bytes[0] == UInt8(ascii: "-"), bytes[1] == UInt8(ascii: "-") else {
                throw ConfigError("unexpected argument '\(argument)' (settings are flags: --name value)")
            }
            var name = Array(bytes[2...])
            var attached: String?
            if let equals = name.firstIndex(of: UInt8(ascii: "=")) {
                attached = String(decoding: name[(equals + 1)...], as: UTF8.self)
                name = Array(name[..<equals])
            }
            if let key = key(named: name) {
                if key.kind == .boolean {
                    guard attached == nil else { throw ConfigError("\(key.flag) takes no value: give \(key.flag) or --no-\(key.rawValue)") }
                    _ = options.set(key, text: "true")
                    continue
                }
                let value: String
                if let attached {
                    value = attached
                } else {
                    guard i < arguments.count else { throw ConfigError("\(key.flag): missing its value (\(key.valueName))") }
                    value = arguments[i]
                    i += 1
                }
                guard options.set(key, text: value) else {
                    throw ConfigError("\(key.flag): expected \(key.kind.described), got \"\(value)\"")
                }
            } else if name.starts(with: Array("no-".utf8)), let key = key(named: Array(name.dropFirst(3))), key.kind == .boolean {
                guard attached == nil else { throw ConfigError("--no-\(key.rawValue) takes no value") }
                _ = options.set(key, text: "false")
            } else {
                let nearest = NearestName.nearest(to: bytes, among: names)!.name
                throw ConfigError("unknown flag '\(String(decoding: bytes.prefix(2 + name.count), as: UTF8.self))' (the nearest is \(nearest))")
            }
        }
        return options
    }

    /// The settings' part of `tessera serve --help` (and so of the man page): each flag and its value, then
    /// its help indented and wrapped to fit 80 columns (the help printer would otherwise wrap it flush left).
    public static var help: String {
        ServeSetting.all.map { setting in
            let key = setting.key
            let flag = key.kind == .boolean ? "\(key.flag), --no-\(key.rawValue)" : "\(key.flag) <\(key.valueName)>"
            return (["  " + flag] + wrap(setting.help, width: 72).map { "        " + $0 }).joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// `text` in lines of at most `width` characters, broken at spaces (a longer word stays whole).
    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            if !line.isEmpty && line.count + 1 + word.count > width {
                lines.append(line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }

    /// The key a flag's name (bytes after `--`) names; nil when none.
    private static func key(named name: [UInt8]) -> ServeOptions.CodingKeys? {
        ServeOptions.CodingKeys.allCases.first { Array($0.rawValue.utf8) == name }
    }
}

extension ServeOptions.CodingKeys {
    /// The help's name for the key's value: `--master-key-file <path>`.
    public var valueName: String { setting.valueName ?? rawValue }
}
