import Testing
@testable import GatewayHTTP

@Suite struct HeaderTokensTests {
    @Test func aTokenIsFoundInAnyCaseAndPlaceOfTheList() {
        #expect(HeaderTokens.contains("close", in: "close"))
        #expect(HeaderTokens.contains("close", in: "Keep-Alive, CLOSE"))
        #expect(HeaderTokens.contains("100-continue", in: " \t100-Continue\t "))
        #expect(HeaderTokens.contains("origin", in: "Accept-Encoding,Origin"))
    }

    @Test func onlyWholeTokensMatch() {
        #expect(!HeaderTokens.contains("close", in: "closed"))
        #expect(!HeaderTokens.contains("close", in: "keep-alive, enclose"))
        #expect(!HeaderTokens.contains("close", in: ""))
        #expect(!HeaderTokens.contains("close", in: " , ,"))
        #expect(!HeaderTokens.contains("origin", in: "or igin"))
    }
}
