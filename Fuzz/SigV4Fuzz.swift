// libFuzzer target: SigV4 / SigV2 request verification (`Verifier.verify`) and the POST policy
// signature check (`Verifier.verifyPostPolicy`), compiled together with Sources/SigV4 (see Fuzz/fuzz.sh).
//
// Input: an HTTP-like text.
//   line 1:  METHOD SP RAW-TARGET [SP VIRTUAL-HOST-BUCKET]   (RAW-TARGET = path[?query], kept raw)
//   line 2+: Name: value                                      (one leading space of the value dropped)
// The same name/value lines are also the form fields offered to `verifyPostPolicy`.
//
// Beyond "never crashes", the harness checks what a verification result must look like, and one
// consistency property: when verification fails with SignatureDoesNotMatch, the StringToSign the
// verifier reports is what it signs, so substituting HMAC(signing key, StringToSign) for the provided
// signature must make the same request verify (unless that changes the StringToSign itself, e.g. when
// the Authorization header is among the SignedHeaders).
import Foundation
import WireFormats

let fuzzAccessKey = "AKIAIOSFODNN7EXAMPLE"
let fuzzSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
/// 2026-11-21T16:30:00Z: minutes after the recorded fixtures (Fixtures/wire), so their dates pass the skew check.
let fuzzNow = Double(ISO8601Time.parseBasic("20261121T163000Z")!)

/// As the daemon configures it, and the fixture-replay variant (no clock checks, any region).
let fuzzVerifiers = [
    Verifier(region: "us-east-1", credentials: { $0 == fuzzAccessKey ? fuzzSecret : nil }, maxSkew: 900,
             now: { Date(timeIntervalSince1970: fuzzNow) }),
    Verifier(region: "*", credentials: { $0 == fuzzAccessKey ? fuzzSecret : nil }, maxSkew: nil,
             now: { Date(timeIntervalSince1970: fuzzNow) }),
]

func parseFuzzRequest(_ input: ArraySlice<UInt8>) -> IncomingRequest {
    let lines = fuzzLines(input)
    let first = lines.first ?? ""
    let words = first.utf8.split(separator: 0x20, maxSplits: 2, omittingEmptySubsequences: false)
        .map { String(decoding: $0, as: UTF8.self) }
    let method = words.first ?? ""
    let target = words.count > 1 ? words[1] : ""
    let path: String
    let query: String
    if let q = target.utf8.firstIndex(of: 0x3f) {
        path = String(target[..<q])
        query = String(target[target.utf8.index(after: q)...])
    } else {
        path = target
        query = ""
    }
    var headers: [(name: String, value: String)] = []
    for line in lines.dropFirst() where !line.isEmpty {
        guard let colon = line.utf8.firstIndex(of: 0x3a) else {
            headers.append((line, ""))
            continue
        }
        var value = line[line.utf8.index(after: colon)...]
        if value.utf8.first == 0x20 { value = value.dropFirst() }
        headers.append((String(line[..<colon]), String(value)))
    }
    return IncomingRequest(method: method, path: path, query: query, headers: headers,
                           virtualHostBucket: words.count > 2 ? words[2] : nil)
}

func checkVerified(_ auth: VerifiedAuth, _ request: IncomingRequest) {
    invariant(auth.accessKey == fuzzAccessKey, "verified an unknown access key \(auth.accessKey)")
    invariant(auth.version == 2 || auth.version == 4, "version \(auth.version)")
    let streamingSigned = auth.payload == .streamingSigned || auth.payload == .streamingSignedTrailer
    invariant(streamingSigned == (auth.chunkSigner != nil), "chunk signer iff signed streaming (\(auth.payload))")
    if auth.version == 2 { invariant(auth.payload == .unsigned, "SigV2 payload \(auth.payload)") }
    if auth.presigned { invariant(!auth.payload.isStreaming, "presigned streaming payload \(auth.payload)") }
    if case .sha256(let hex) = auth.payload {
        invariant(Hex.isHex(hex, count: 64) && hex == ASCII.lowercased(hex), "payload hash \(hex)")
    }
}

func checkError(_ error: AuthError) {
    invariant(error.status == 400 || error.status == 403, "status \(error.status) for \(error.code)")
    invariant(!error.code.isEmpty && !error.message.isEmpty, "empty code or message")
}

/// The V4 signing key for the scope line(s) of a V4 StringToSign, as the verifier derives it.
func signingKey(fromV4StringToSign sts: String) -> [UInt8]? {
    let lines = sts.utf8.split(separator: 0x0a, omittingEmptySubsequences: false).map { String(Substring($0)) }
    guard lines.count >= 4 else { return nil }
    // Region can hold anything but '/' (even LF, with the wildcard region), so take the scope
    // between the date line and the hash line, and split it on '/'.
    let scope = lines[2..<(lines.count - 1)].joined(separator: "\n")
    let parts = scope.utf8.split(separator: 0x2f, omittingEmptySubsequences: false).map { String(Substring($0)) }
    guard parts.count == 4 else { return nil }
    return Primitives.deriveSigningKey(secret: fuzzSecret, date: parts[0], region: parts[1], service: parts[2])
}

/// Rebuilds `raw` with the first parameter whose decoded name is `name` set to `value`.
func replacingQueryParameter(_ raw: String, _ name: String, with value: String) -> String? {
    let key = Array(name.utf8)
    var pieces = ASCII.split(raw, 0x26).map(String.init)
    for (i, piece) in pieces.enumerated() where !piece.isEmpty {
        let rawName = ASCII.firstIndex(of: 0x3d, in: piece[...]).map { piece[..<$0] } ?? piece[...]
        if PercentEncoding.decodeLeniently(rawName.utf8, plusIsSpace: true) == key {
            pieces[i] = rawName + "=" + value
            return pieces.joined(separator: "&")
        }
    }
    return nil
}

/// The request with its signature replaced by the one the verifier's StringToSign calls for.
func resigned(_ request: IncomingRequest, stringToSign sts: String) -> IncomingRequest? {
    var out = request
    if let index = request.headers.firstIndex(where: { ASCII.equalsIgnoringCase($0.name, "authorization") }) {
        let authorization = request.headers[index].value
        if authorization.hasPrefix("AWS4-HMAC-SHA256 ") {
            guard let key = signingKey(fromV4StringToSign: sts) else { return nil }
            let signature = Hex.encode(Primitives.hmacSHA256(key: key, sts))
            let prefix = authorization.prefix("AWS4-HMAC-SHA256".count)
            var pieces = ASCII.split(authorization.dropFirst("AWS4-HMAC-SHA256".count), 0x2c).map(String.init)
            // The parser keeps the last Signature= component, matched byte for byte (String.hasPrefix
            // compares Characters: "Signature=" followed by a combining mark would not match it).
            guard let i = pieces.lastIndex(where: { ASCII.trimmed($0[...]).utf8.starts(with: "Signature=".utf8) })
            else { return nil }
            let indent = pieces[i].prefix { $0 == " " || $0 == "\t" }
            pieces[i] = indent + "Signature=" + signature
            out.headers[index].value = prefix + pieces.joined(separator: ",")
        } else if authorization.hasPrefix("AWS ") {
            let body = ASCII.trimmed(authorization.dropFirst("AWS ".count))
            guard let colon = body.lastIndex(of: ":") else { return nil }
            out.headers[index].value = "AWS " + body[..<colon] + ":" + Primitives.hmacSHA1Base64(key: fuzzSecret, sts)
        } else {
            return nil
        }
        return out
    }
    let query = QueryString(request.query)
    if query.contains("X-Amz-Algorithm") || query.contains("X-Amz-Signature") || query.contains("X-Amz-Credential") {
        guard let key = signingKey(fromV4StringToSign: sts),
              let q = replacingQueryParameter(request.query, "X-Amz-Signature",
                                              with: Hex.encode(Primitives.hmacSHA256(key: key, sts)))
        else { return nil }
        out.query = q
        return out
    }
    // SigV2 query: '+' and '/' of base64 are read literally, and '=' after the first is part of the value.
    guard let q = replacingQueryParameter(request.query, "Signature",
                                          with: Primitives.hmacSHA1Base64(key: fuzzSecret, sts))
    else { return nil }
    out.query = q
    return out
}

/// FUZZ_DEBUG=1 prints each outcome (for replaying seeds or crash inputs by hand).
let fuzzDebug = getenv("FUZZ_DEBUG") != nil

func checkRequest(_ verifier: Verifier, _ request: IncomingRequest) {
    if fuzzDebug {
        do throws(AuthError) {
            let auth = try verifier.verify(request)
            print("verify[\(verifier.region)]: v\(auth?.version ?? 0) presigned=\(auth?.presigned ?? false) \(auth.map { "\($0.payload)" } ?? "anonymous")")
        } catch {
            print("verify[\(verifier.region)]: \(error.code): \(error.message)")
        }
    }
    do {
        if let auth = try verifier.verify(request) {
            checkVerified(auth, request)
        } else {
            invariant(request.header("authorization") == nil, "anonymous despite an Authorization header")
        }
    } catch {
        checkError(error)
        guard error.code == "SignatureDoesNotMatch", let sts = error.detail("StringToSign"),
              let again = resigned(request, stringToSign: sts) else { return }
        do {
            let auth = try verifier.verify(again)
            invariant(auth != nil, "re-signed request verified as anonymous")
            if let auth { checkVerified(auth, again) }
        } catch {
            invariant(error.code == "SignatureDoesNotMatch" && error.detail("StringToSign") != sts,
                      "re-signed with HMAC(StringToSign) but got \(error.code): \(error.message)")
        }
    }
}

func checkPostPolicy(_ verifier: Verifier, _ request: IncomingRequest) {
    if fuzzDebug {
        do throws(AuthError) {
            let auth = try verifier.verifyPostPolicy(field: { request.header($0) })
            print("post[\(verifier.region)]: \(auth.map { "v\($0.version)" } ?? "no credentials")")
        } catch {
            print("post[\(verifier.region)]: \(error.code): \(error.message)")
        }
    }
    do {
        if let auth = try verifier.verifyPostPolicy(field: { request.header($0) }) {
            checkVerified(auth, request)
        }
    } catch {
        checkError(error)
        guard error.code == "SignatureDoesNotMatch", let policy = request.header("policy") else { return }
        var again = request
        let signature: String
        let field: String
        if request.header("x-amz-algorithm") != nil {
            guard let credential = request.header("x-amz-credential").flatMap(CredentialScope.init) else { return }
            signature = Verifier.postPolicySignatureV4(policy: policy, secret: fuzzSecret, date: credential.date,
                                                       region: credential.region, service: credential.service)
            field = "x-amz-signature"
        } else {
            signature = Verifier.postPolicySignatureV2(policy: policy, secret: fuzzSecret)
            field = "signature"
        }
        guard let i = again.headers.firstIndex(where: { ASCII.equalsIgnoringCase($0.name, field) }) else { return }
        again.headers[i].value = signature
        do {
            let auth = try verifier.verifyPostPolicy(field: { again.header($0) })
            invariant(auth != nil, "re-signed POST policy verified as anonymous")
        } catch {
            invariant(false, "re-signed POST policy rejected: \(error.code): \(error.message)")
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func sigV4Fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = FuzzInput(data, size)
    let request = parseFuzzRequest(input.bytes[...])
    for verifier in fuzzVerifiers {
        checkRequest(verifier, request)
        checkPostPolicy(verifier, request)
    }
    return 0
}
