import Foundation

/// Where an S3 client's credentials, region and endpoint come from, as the AWS CLI and SDKs look for them:
/// `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN`, else the profile (`--profile`, `AWS_PROFILE`,
/// "default") in `~/.aws/credentials` (`AWS_SHARED_CREDENTIALS_FILE`); the region from `AWS_REGION`,
/// `AWS_DEFAULT_REGION` or the profile in `~/.aws/config` (`AWS_CONFIG_FILE`); the endpoint from
/// `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL` or the profile's `endpoint_url`, else AWS's regional endpoint.
public struct AWSEnvironment: Sendable {
    public var accessKey: String
    public var secretKey: String
    public var sessionToken: String?
    public var region: String
    public var endpoint: URL
    public var caBundle: String?

    public struct LookupError: Error, CustomStringConvertible {
        public var description: String
    }

    public static func resolve(profile explicitProfile: String?, endpoint explicitEndpoint: String?, region explicitRegion: String?,
                               environment env: [String: String] = ProcessInfo.processInfo.environment) throws -> AWSEnvironment {
        let home = env["HOME"] ?? NSHomeDirectory()
        let profile = explicitProfile ?? env["AWS_PROFILE"] ?? "default"
        let credentialsFile = env["AWS_SHARED_CREDENTIALS_FILE"] ?? home + "/.aws/credentials"
        let configFile = env["AWS_CONFIG_FILE"] ?? home + "/.aws/config"
        let credentialSections = try IniFile.read(credentialsFile)
        let configSections = try IniFile.read(configFile)
        // ~/.aws/config names profiles "[profile NAME]", except "[default]".
        let config = configSections[profile == "default" ? "default" : "profile " + profile] ?? [:]
        let stored = credentialSections[profile] ?? [:]

        var accessKey: String?, secretKey: String?, token: String?
        if explicitProfile == nil, let id = env["AWS_ACCESS_KEY_ID"], let secret = env["AWS_SECRET_ACCESS_KEY"], !id.isEmpty {
            (accessKey, secretKey, token) = (id, secret, env["AWS_SESSION_TOKEN"])
        } else {
            accessKey = stored["aws_access_key_id"] ?? config["aws_access_key_id"]
            secretKey = stored["aws_secret_access_key"] ?? config["aws_secret_access_key"]
            token = stored["aws_session_token"] ?? config["aws_session_token"]
        }
        guard let accessKey, let secretKey else {
            throw LookupError(description: "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give profile \"\(profile)\" "
                              + "aws_access_key_id and aws_secret_access_key in \(credentialsFile)")
        }
        let region = explicitRegion ?? env["AWS_REGION"] ?? env["AWS_DEFAULT_REGION"] ?? config["region"] ?? "us-east-1"
        let endpointText = explicitEndpoint ?? env["AWS_ENDPOINT_URL_S3"] ?? env["AWS_ENDPOINT_URL"] ?? config["endpoint_url"]
            ?? "https://s3.\(region).amazonaws.com"
        guard let endpoint = URL(string: endpointText), endpoint.scheme == "http" || endpoint.scheme == "https" else {
            throw LookupError(description: "endpoint \(endpointText) is not an http(s) URL")
        }
        return AWSEnvironment(accessKey: accessKey, secretKey: secretKey, sessionToken: token.flatMap { $0.isEmpty ? nil : $0 },
                              region: region, endpoint: endpoint, caBundle: env["AWS_CA_BUNDLE"].flatMap { $0.isEmpty ? nil : $0 })
    }
}

/// The INI dialect of the AWS shared files: `[section]`, `key = value`, `#`/`;` comments. A missing file is empty;
/// an unreadable one is an error.
enum IniFile {
    static func read(_ path: String) throws -> [String: [String: String]] {
        guard FileManager.default.fileExists(atPath: path) else { return [:] }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AWSEnvironment.LookupError(description: "cannot read \(path)")
        }
        return parse(String(decoding: data, as: UTF8.self))
    }

    static func parse(_ text: String) -> [String: [String: String]] {
        var sections: [String: [String: String]] = [:]
        var current: String?
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                current = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                continue
            }
            guard let section = current, let eq = line.firstIndex(of: "=") else { continue }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            sections[section, default: [:]][key] = value
        }
        return sections
    }
}
