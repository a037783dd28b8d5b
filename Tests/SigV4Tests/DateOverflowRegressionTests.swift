import Foundation
import Testing

@testable import SigV4

/// Found by the SigV4 fuzz target (Fuzz/SigV4Fuzz.swift): a Date header whose year has 12 to 19 digits
/// made the seconds-since-1970 arithmetic overflow, which traps, so one unauthenticated request
/// (`Authorization: AWS …` or `AWS4-HMAC-SHA256 …` without X-Amz-Date) stopped the daemon. The parser
/// itself is tested in WireFormatsTests (HTTPDateTests).
@Suite struct DateOverflowRegressionTests {
    static let hugeYears = ["999999999999", "99999999999999999", "9223372036854775807", "-999999999999999", "10000"]

    static func verifier(maxSkew: TimeInterval?) -> Verifier {
        Verifier(
            region: "us-east-1", credentials: { $0 == Fixtures.accessKey ? Fixtures.secret : nil }, maxSkew: maxSkew,
            now: { Date(timeIntervalSince1970: 1_795_278_600) })
    }

    @Test(arguments: hugeYears)
    func requestsWithHugeYearFailWithoutTrapping(year: String) {
        let date = "Sat, 21 Nov \(year) 16:29:00 GMT"
        let v2 = IncomingRequest(
            method: "GET", path: "/b/k", query: "",
            headers: [("Host", "x"), ("Date", date), ("Authorization", "AWS AKIAIOSFODNN7EXAMPLE:abc=")])
        let v4 = IncomingRequest(
            method: "GET", path: "/b/k", query: "",
            headers: [
                ("Host", "x"), ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"), ("Date", date),
                ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261121/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00"),
            ])
        for maxSkew in [900, nil] as [TimeInterval?] {
            for request in [v2, v4] {
                let error = authError { _ = try Self.verifier(maxSkew: maxSkew).verify(request) }
                #expect(error?.code == "AccessDenied")
                #expect(error?.message == "AWS authentication requires a valid Date or x-amz-date header")
            }
        }
    }
}
