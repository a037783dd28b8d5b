import Foundation
import StorageCore
import Testing
@testable import S3API

/// The policy language as Tessera evaluates it: wildcards over bytes, CIDRs, each condition operator,
/// the evaluation order, and what is refused when a policy is put.
@Suite struct BucketPolicyTests {
    let bob = User(name: "bob")

    func request(_ caller: Caller, _ action: String, _ resource: String, _ values: [String: [String]] = [:]) -> PolicyRequest {
        PolicyRequest(caller: caller, action: action, resource: resource, values: values)
    }

    func parse(_ json: String) throws -> PolicyDocument { try PolicyDocument.parse(Array(json.utf8), bucket: "b") }

    @Test func wildcardsMatchBytes() {
        #expect(Wildcard.matches("s3:Get*", Array("s3:GetObject".utf8), caseInsensitive: false))
        #expect(Wildcard.matches("S3:GET*", Array("s3:GetObject".utf8), caseInsensitive: true))
        #expect(!Wildcard.matches("S3:GET*", Array("s3:GetObject".utf8), caseInsensitive: false))
        #expect(Wildcard.matches("a?c*", Array("abcdef".utf8), caseInsensitive: false) && !Wildcard.matches("a?c", Array("ac".utf8), caseInsensitive: false))
        #expect(Wildcard.matches("*", [], caseInsensitive: false) && Wildcard.matches("**a**", Array("xa".utf8), caseInsensitive: false))
        #expect(Wildcard.matches("arn:aws:s3:::b/*/x", Array("arn:aws:s3:::b/1/2/x".utf8), caseInsensitive: false))
        // Canonically equivalent text is not the same key.
        #expect(!Wildcard.matches("caf\u{E9}", Array("cafe\u{301}".utf8), caseInsensitive: false))
        // Many stars over a long text stay fast (no exponential backtracking).
        let long = [UInt8](repeating: UInt8(ascii: "a"), count: 5000)
        #expect(!Wildcard.matches(String(repeating: "*a", count: 50) + "b", long, caseInsensitive: false))
    }

    @Test func cidrsContainTheirAddresses() throws {
        let v4 = try #require(CIDR("10.1.0.0/16"))
        #expect(v4.contains("10.1.200.3") && !v4.contains("10.2.0.1") && !v4.contains("::1") && !v4.contains("junk"))
        #expect(try #require(CIDR("192.0.2.1")).contains("192.0.2.1"))
        #expect(try #require(CIDR("2001:db8::/32")).contains("2001:db8:1::5") && !CIDR("2001:db8::/32")!.contains("2001:db9::1"))
        #expect(try #require(CIDR("127.0.0.0/8")).contains("::ffff:127.0.0.1"))
        #expect(CIDR("10.0.0.0/33") == nil && CIDR("10.0.0.0/x") == nil && CIDR("300.0.0.1") == nil)
        #expect(try #require(CIDR("0.0.0.0/0")).contains("8.8.8.8"))
    }

    @Test func conditionsCompareAsTheirOperatorsSay() throws {
        func holds(_ op: String, _ key: String, _ wanted: [String], _ given: [String]?) throws -> Bool {
            let c = try PolicyCondition(operatorName: op, key: key, values: wanted)
            return c.holds(in: request(.anonymous, "s3:GetObject", "arn:aws:s3:::b/k", given.map { [key.lowercased(): $0] } ?? [:]))
        }
        #expect(try holds("StringEquals", "s3:prefix", ["a/", "b/"], ["b/"]) && !holds("StringEquals", "s3:prefix", ["a/"], ["A/"]))
        #expect(try holds("StringEqualsIgnoreCase", "s3:prefix", ["a/"], ["A/"]))
        #expect(try holds("StringNotEquals", "s3:prefix", ["a/"], ["b/"]) && !holds("StringNotEquals", "s3:prefix", ["a/"], ["a/"]))
        #expect(try holds("StringLike", "s3:prefix", ["home/*"], ["home/bob/"]) && !holds("StringNotLike", "s3:prefix", ["home/*"], ["home/x"]))
        #expect(try holds("NumericLessThanEquals", "s3:max-keys", ["10"], ["10"]) && !holds("NumericLessThanEquals", "s3:max-keys", ["10"], ["11"]))
        #expect(try holds("NumericGreaterThan", "s3:max-keys", ["10"], ["11"]))
        #expect(try holds("DateLessThan", "aws:CurrentTime", ["2099-01-01T00:00:00Z"], ["2026-12-07T00:00:00Z"]))
        #expect(try !holds("DateGreaterThan", "aws:CurrentTime", ["2099-01-01T00:00:00Z"], ["2026-12-07T00:00:00.000Z"]))
        #expect(try holds("Bool", "aws:SecureTransport", ["false"], ["false"]) && !holds("Bool", "aws:SecureTransport", ["true"], ["false"]))
        #expect(try holds("IpAddress", "aws:SourceIp", ["127.0.0.0/8"], ["127.0.0.1"]) && holds("NotIpAddress", "aws:SourceIp", ["10.0.0.0/8"], ["127.0.0.1"]))
        // An absent key: only negated operators and IfExists hold.
        #expect(try !holds("StringEquals", "s3:prefix", ["a"], nil) && holds("StringNotEquals", "s3:prefix", ["a"], nil))
        #expect(try holds("StringEqualsIfExists", "s3:prefix", ["a"], nil) && !holds("StringEqualsIfExists", "s3:prefix", ["a"], ["b"]))
        // Unknown operators and keys, and values an operator cannot compare, are refused.
        for (op, key, value) in [("StringSortOf", "s3:prefix", "a"), ("StringEquals", "aws:PrincipalTag/x", "a"), ("NumericEquals", "s3:max-keys", "ten"),
                                 ("DateLessThan", "aws:CurrentTime", "tomorrow"), ("Bool", "aws:SecureTransport", "yes"), ("IpAddress", "aws:SourceIp", "1.2.3")] {
            #expect(throws: CoreError.self) { _ = try PolicyCondition(operatorName: op, key: key, values: [value]) }
        }
    }

    @Test func denyWinsThenAllowThenSilence() throws {
        let p = try parse("""
            {"Version":"2012-10-17","Statement":[
              {"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},
              {"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::tessera:user/bob"},"Action":"s3:Get*","Resource":"arn:aws:s3:::b/secret/*"},
              {"Effect":"Allow","NotPrincipal":{"CanonicalUser":"\(bob.canonicalID)"},"NotAction":"s3:Delete*","NotResource":"arn:aws:s3:::b/ro/*"}
            ]}
            """)
        #expect(p.evaluate(request(.anonymous, "s3:GetObject", "arn:aws:s3:::b/x")) == .allow)
        #expect(p.evaluate(request(.user(bob), "s3:GetObject", "arn:aws:s3:::b/secret/x")) == .deny)
        #expect(p.evaluate(request(.user(User(name: "carol")), "s3:GetObject", "arn:aws:s3:::b/secret/x")) == .allow)
        #expect(p.evaluate(request(.user(bob), "s3:PutObject", "arn:aws:s3:::b/x")) == .silent)          // NotPrincipal excludes bob
        #expect(p.evaluate(request(.anonymous, "s3:PutObject", "arn:aws:s3:::b/x")) == .allow)
        #expect(p.evaluate(request(.anonymous, "s3:PutObject", "arn:aws:s3:::b/ro/x")) == .silent)       // NotResource
        #expect(p.evaluate(request(.anonymous, "s3:DeleteObject", "arn:aws:s3:::b/x")) == .silent)       // NotAction
        #expect(p.isPublic)
        // A ticket's holder is nobody a policy names.
        let (ticket, _) = UploadTicket.generate(bucket: "b", prefix: "", maxBytes: nil, maxFiles: nil, contentType: nil, expires: nil)
        #expect(p.evaluate(request(.ticket(ticket), "s3:GetObject", "arn:aws:s3:::b/x")) == .silent)
    }

    @Test func policiesItWouldNotEvaluateAreRefused() {
        let bad = [
            "", " ", "[1]", "{\"Statement\":[]}", "{\"Version\":\"2099-01-01\",\"Statement\":{}}",
            #"{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}}"#,
            #"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#,
            #"{"Statement":{"Effect":"Allow","Principal":"*","Principal2":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#,
            #"{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::tessera:user/bad name"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#,
            #"{"Statement":{"Effect":"Allow","Principal":{"Federated":"x"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#,
            #"{"Statement":{"Effect":"Allow","Principal":"*","Action":[],"Resource":"arn:aws:s3:::b/*"}}"#,
            #"{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"b/*"}}"#,
            #"{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::c/*"}}"#,
            #"{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"s3:prefix":[1]}}}}"#,
        ]
        for text in bad {
            #expect(throws: CoreError.self, "\(text)") { _ = try PolicyDocument.parse(Array(text.utf8), bucket: "b") }
        }
        let big = "{\"Statement\":\"" + String(repeating: "x", count: 21 * 1024) + "\"}"
        do { _ = try PolicyDocument.parse(Array(big.utf8), bucket: "b") } catch let e as CoreError { #expect(e.code == "PolicyTooLarge") } catch { Issue.record("\(error)") }
    }
}
