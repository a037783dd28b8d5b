import Foundation
import SigV4
import Testing
import WireFormats

/// Replays the recorded client requests in Fixtures/wire through the verifier.
@Suite struct FixtureReplayTests {
    @Test func fixturesArePresent() throws {
        #expect(Fixtures.directory != nil, "Fixtures/wire not found above the test sources")
        #expect(Fixtures.fileNames.count >= 13)
    }

    /// What the verifier should report for a fixture request's body.
    static func expectedPayload(_ record: WireRecord) -> PayloadMode? {
        switch record.authKind {
        case .none: return nil
        case .v4Presigned, .v2Presigned, .v2Header: return .unsigned
        case .v4Header:
            switch record.header("x-amz-content-sha256") {
            case "UNSIGNED-PAYLOAD": return .unsigned
            case "STREAMING-UNSIGNED-PAYLOAD-TRAILER": return .streamingUnsignedTrailer
            case "STREAMING-AWS4-HMAC-SHA256-PAYLOAD": return .streamingSigned
            case "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER": return .streamingSignedTrailer
            case let hex?: return .sha256(hex.lowercased())
            case nil: return nil
            }
        }
    }

    @Test("every signed fixture request verifies", arguments: Fixtures.fileNames)
    func signedRequestsVerify(file: String) throws {
        let verifier = Fixtures.verifier()
        var signed = 0
        for record in try Fixtures.load(file) {
            let auth: VerifiedAuth?
            do {
                auth = try verifier.verify(record.request)
            } catch {
                Issue.record("\(record.label): \(error) \(error.details.first { $0.name == "CanonicalRequest" }?.value ?? "")")
                continue
            }
            guard record.authKind != .none else {
                #expect(auth == nil, "\(record.label) carries no auth and should be anonymous")
                continue
            }
            signed += 1
            guard let auth else {
                Issue.record("\(record.label) was taken as anonymous")
                continue
            }
            #expect(auth.accessKey == Fixtures.accessKey)
            #expect(auth.payload == Self.expectedPayload(record), "\(record.label)")
            switch record.authKind {
            case .v4Header: #expect(auth.version == 4 && !auth.presigned)
            case .v4Presigned: #expect(auth.version == 4 && auth.presigned)
            case .v2Header: #expect(auth.version == 2 && !auth.presigned)
            case .v2Presigned: #expect(auth.version == 2 && auth.presigned)
            case .none: break
            }
            // The hash the caller is told to enforce is the hash of the body that was sent.
            if case .sha256(let hex) = auth.payload, record.body.framing == "content-length", let body = record.wireBody {
                var hasher = PayloadSHA256()
                hasher.update(body)
                #expect(throws: Never.self, "\(record.label)") { try hasher.verify(expectedHex: hex) }
            }
        }
        if !file.hasPrefix("r2json") {
            #expect(signed > 0, "\(file) should hold signed requests")
        }
    }

    /// Each way of tampering with a signed fixture request must break its signature.
    @Test("tampered fixture requests fail", arguments: Fixtures.fileNames.filter { !$0.hasPrefix("r2json") })
    func tamperedRequestsFail(file: String) throws {
        let verifier = Fixtures.verifier()
        let noKeys = Fixtures.verifier(credentials: { _ in nil })
        for record in try Fixtures.load(file) where record.authKind != .none {
            let original = record.request
            let variants: [(String, IncomingRequest)] = [
                ("path", Tamper.path(original)),
                ("signed header", Tamper.signedHeader(original, kind: record.authKind)),
                ("signature", Tamper.signature(original, kind: record.authKind)),
            ]
            for (what, request) in variants {
                let error = authError { _ = try verifier.verify(request) }
                #expect(error?.code == "SignatureDoesNotMatch", "\(record.label), \(what) changed: \(String(describing: error))")
                #expect(error?.status == 403)
            }
            let unknown = authError { _ = try noKeys.verify(original) }
            #expect(unknown?.code == "InvalidAccessKeyId", "\(record.label)")
            #expect(unknown?.detail("AWSAccessKeyId") == Fixtures.accessKey)
        }
    }

    @Test func signatureMismatchCarriesS3Details() throws {
        let record = try #require(try Fixtures.load("s3cmd-2.3.0_http.jsonl").first { $0.authKind == .v4Header })
        let error = try #require(authError { _ = try Fixtures.verifier().verify(Tamper.path(record.request)) })
        #expect(error.message == "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
        #expect(error.details.map { $0.name } == [
            "AWSAccessKeyId", "StringToSign", "SignatureProvided", "StringToSignBytes", "CanonicalRequest",
            "CanonicalRequestBytes",
        ])
        #expect(error.detail("CanonicalRequest")?.hasPrefix("PUT\n/wire-bucketa\n") == true)
        #expect(error.detail("StringToSign")?.hasPrefix("AWS4-HMAC-SHA256\n20") == true)
    }

    /// With clock checks on, a recorded request is accepted at its own time and rejected 16 minutes later.
    @Test func clockSkewIsEnforced() throws {
        let record = try #require(try Fixtures.load("rclone-1.60.1-DEV_http.jsonl").first { $0.authKind == .v4Header })
        let sent = try #require(record.header("x-amz-date"))
        let time = Double(try #require(ISO8601Time.parseBasic(sent)))
        let atSendTime = Verifier(
            region: "us-east-1", credentials: { _ in Fixtures.secret }, now: { Date(timeIntervalSince1970: time + 30) })
        #expect(throws: Never.self) { try atSendTime.verify(record.request) }
        let late = Verifier(
            region: "us-east-1", credentials: { _ in Fixtures.secret },
            now: { Date(timeIntervalSince1970: time + 901) })
        let error = authError { _ = try late.verify(record.request) }
        #expect(error?.code == "RequestTimeTooSkewed")
        #expect(error?.status == 403)
        #expect(error?.detail("RequestTime") == sent)
        #expect(error?.detail("MaxAllowedSkewMilliseconds") == "900000")
    }

    @Test func expiredPresignedFixturesAreRejected() throws {
        let records = try Fixtures.load("boto3-1.43.11_default_path_http.jsonl")
        let far = Verifier(
            region: "us-east-1", credentials: { _ in Fixtures.secret },
            now: { Date(timeIntervalSince1970: 4_000_000_000) })
        for record in records where record.authKind == .v4Presigned || record.authKind == .v2Presigned {
            let error = authError { _ = try far.verify(record.request) }
            #expect(error?.code == "AccessDenied", "\(record.label)")
            #expect(error?.message == "Request has expired")
            #expect(error?.status == 403)
        }
    }
}

/// One-character changes to a request.
enum Tamper {
    static func flip(_ c: Character) -> Character { c == "a" ? "b" : "a" }
    static func flipHex(_ c: Character) -> Character { c == "0" ? "1" : "0" }

    static func path(_ request: IncomingRequest) -> IncomingRequest {
        var r = request
        let last = r.path.removeLast()
        r.path.append(flip(last))
        return r
    }

    static func signedHeader(_ request: IncomingRequest, kind: WireRecord.AuthKind) -> IncomingRequest {
        var r = request
        if kind == .v2Presigned || kind == .v2Header {
            // curl sends no header that SigV2 signs; Content-Type is one, going from "" to a value.
            r.headers.append(("Content-Type", "text/plain"))
            return r
        }
        let index = r.headers.firstIndex { $0.name.lowercased() == "host" }!
        let last = r.headers[index].value.removeLast()
        r.headers[index].value.append(flip(last))
        return r
    }

    static func signature(_ request: IncomingRequest, kind: WireRecord.AuthKind) -> IncomingRequest {
        var r = request
        switch kind {
        case .v4Header, .v2Header:
            let index = r.headers.firstIndex { $0.name.lowercased() == "authorization" }!
            var value = r.headers[index].value
            let last = value.removeLast()
            value.append(kind == .v4Header ? flipHex(last) : flip(last))
            r.headers[index].value = value
        case .v4Presigned:
            r.query = replaceParameter(r.query, "X-Amz-Signature") { value in
                var v = value
                let last = v.removeLast()
                v.append(flipHex(last))
                return v
            }
        case .v2Presigned:
            r.query = replaceParameter(r.query, "Signature") { value in
                var v = value
                let first = v.removeFirst()
                v.insert(flip(first), at: v.startIndex)
                return v
            }
        case .none:
            break
        }
        return r
    }

    static func replaceParameter(_ query: String, _ name: String, _ change: (String) -> String) -> String {
        query.split(separator: "&").map { pair -> String in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts[0] == name, parts.count == 2 else { return String(pair) }
            return name + "=" + change(String(parts[1]))
        }.joined(separator: "&")
    }
}
