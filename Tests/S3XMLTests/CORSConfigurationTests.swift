import S3XML
import Testing

@Suite struct CORSConfigurationTests {
    static func rule(_ inner: String) -> String {
        "<CORSConfiguration><CORSRule>\(inner)</CORSRule></CORSConfiguration>"
    }

    @Test func everyElementIsRead() throws {
        let body = """
            <CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <CORSRule>
                <ID>uploads</ID>
                <AllowedOrigin>https://*.example.com</AllowedOrigin>
                <AllowedOrigin> http://localhost:8080 </AllowedOrigin>
                <AllowedMethod>PUT</AllowedMethod>
                <AllowedMethod>POST</AllowedMethod>
                <AllowedHeader>*</AllowedHeader>
                <ExposeHeader>ETag</ExposeHeader>
                <ExposeHeader>x-amz-request-id</ExposeHeader>
                <MaxAgeSeconds>3000</MaxAgeSeconds>
              </CORSRule>
              <CORSRule>
                <AllowedOrigin>*</AllowedOrigin>
                <AllowedMethod>GET</AllowedMethod>
              </CORSRule>
            </CORSConfiguration>
            """
        let rules = try S3RequestXML.corsConfiguration(body.bytes)
        #expect(rules == [
            CORSConfigurationRule(id: "uploads", allowedOrigins: ["https://*.example.com", "http://localhost:8080"],
                                  allowedMethods: ["PUT", "POST"], allowedHeaders: ["*"], exposeHeaders: ["ETag", "x-amz-request-id"],
                                  maxAgeSeconds: 3000),
            CORSConfigurationRule(allowedOrigins: ["*"], allowedMethods: ["GET"]),
        ])
        // What GetBucketCors answers parses back to the same rules.
        let written = S3RequestXML.corsConfigurationDocument(rules)
        #expect(try S3RequestXML.corsConfiguration(written.bytes) == rules)
        #expect(written.contains(#"<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">"#))
    }

    @Test func invalidConfigurationsGetS3sErrors() {
        let parse = S3RequestXML.corsConfiguration
        expectError("<CORSConfiguration/>", parse)
        expectError("<CORSConfiguration><CORSRule>", parse)
        expectError("<LifecycleConfiguration><CORSRule/></LifecycleConfiguration>", parse)
        expectError(Self.rule("<AllowedMethod>GET</AllowedMethod>"), parse)                       // no origin
        expectError(Self.rule("<AllowedOrigin>*</AllowedOrigin>"), parse)                         // no method
        expectError(Self.rule("<AllowedOrigin></AllowedOrigin><AllowedMethod>GET</AllowedMethod>"), parse)
        expectError(Self.rule("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>-1</MaxAgeSeconds>"), parse)
        expectError(Self.rule("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>1</MaxAgeSeconds><MaxAgeSeconds>2</MaxAgeSeconds>"), parse)
        expectError(Self.rule("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod>"), code: "InvalidRequest", parse)
        expectError(Self.rule("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>get</AllowedMethod>"), code: "InvalidRequest", parse)
        expectError(Self.rule("<AllowedOrigin>https://*.*.example</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"), code: "InvalidRequest", parse)
        expectError(Self.rule("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>x-*-*</AllowedHeader>"), code: "InvalidRequest", parse)
        expectError(Self.rule("<ID>\(String(repeating: "i", count: 256))</ID><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"),
                    code: "InvalidArgument", parse)
    }

    @Test func atMostOneHundredRules() throws {
        let one = "<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>"
        let hundred = "<CORSConfiguration>" + String(repeating: one, count: 100) + "</CORSConfiguration>"
        #expect(try S3RequestXML.corsConfiguration(hundred.bytes).count == 100)
        expectError("<CORSConfiguration>" + String(repeating: one, count: 101) + "</CORSConfiguration>", code: "InvalidRequest",
                    S3RequestXML.corsConfiguration)
    }
}
