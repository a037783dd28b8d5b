// libFuzzer target: the S3 request-body XML parsers (Sources/S3XML), compiled together with
// that module's sources (see Fuzz/fuzz.sh). Every input is given to every parser: the libxml2
// parse is shared and the root-element check is what tells them apart.

let allowedErrorCodes: Set<String> = ["MalformedXML", "InvalidArgument", "InvalidRequest", "NotImplemented"]

func checkError(_ error: S3XMLError, _ parser: String) {
    invariant(allowedErrorCodes.contains(error.code), "\(parser): unexpected error code \(error.code)")
    invariant(!error.message.isEmpty, "\(parser): empty error message")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func xmlFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let body = Array(UnsafeBufferPointer(start: data, count: size))

    // CompleteMultipartUpload is read from libxml2's SAX events; the tree reading it replaced must agree.
    let streamed = Result { () throws(S3XMLError) in try S3RequestXML.completeMultipartUpload(body) }
    let tree = Result { () throws(S3XMLError) in try S3RequestXML.completeMultipartUploadFromTree(body) }
    switch (streamed, tree) {
    case (.success(let a), .success(let b)): invariant(a == b, "CompleteMultipartUpload: streamed \(a), tree \(b)")
    case (.failure(let a), .failure(let b)): invariant(a == b, "CompleteMultipartUpload: streamed \(a), tree \(b)")
    default: invariant(false, "CompleteMultipartUpload: streamed \(streamed), tree \(tree)")
    }

    do {
        let parts = try S3RequestXML.completeMultipartUpload(body)
        invariant(!parts.isEmpty && parts.count <= S3RequestXML.maxParts, "CompleteMultipartUpload: \(parts.count) parts")
        for part in parts {
            // The parser's contract: a non-negative integer as sent (the 1...10000 range and ascending
            // order are PartValidator's checks, answered with InvalidArgument / InvalidPartOrder).
            invariant(part.partNumber >= 0, "CompleteMultipartUpload: part number \(part.partNumber)")
            for name in part.checksums.keys {
                invariant(S3RequestXML.partChecksumElements.contains(name), "CompleteMultipartUpload: checksum \(name)")
            }
        }
    } catch {
        checkError(error, "CompleteMultipartUpload")
    }

    do {
        let result = try S3RequestXML.deleteObjects(body)
        invariant(!result.objects.isEmpty && result.objects.count <= S3RequestXML.maxDeleteObjects,
                  "DeleteObjects: \(result.objects.count) objects")
    } catch {
        checkError(error, "DeleteObjects")
    }

    do {
        if let location = try S3RequestXML.createBucketConfiguration(body) {
            invariant(!location.isEmpty, "CreateBucketConfiguration: empty location returned")
            invariant(location.trimmingXMLWhitespace() == location, "CreateBucketConfiguration: untrimmed location")
        }
    } catch {
        checkError(error, "CreateBucketConfiguration")
    }

    do {
        let rules = try S3RequestXML.lifecycleConfiguration(body)
        invariant(!rules.isEmpty && rules.count <= S3RequestXML.maxLifecycleRules, "Lifecycle: \(rules.count) rules")
        var ids = Set<String>()
        for rule in rules {
            if let id = rule.id {
                invariant(!id.isEmpty && id.count <= S3RequestXML.maxRuleIDLength, "Lifecycle: rule ID length \(id.count)")
                invariant(ids.insert(id).inserted, "Lifecycle: duplicate rule ID")
            }
            if let days = rule.abortIncompleteDays { invariant(days > 0, "Lifecycle: abort days \(days)") }
            if let days = rule.expirationDays { invariant(days > 0, "Lifecycle: expiration days \(days)") }
        }
    } catch {
        checkError(error, "LifecycleConfiguration")
    }

    do {
        let rules = try S3RequestXML.corsConfiguration(body)
        invariant(!rules.isEmpty && rules.count <= S3RequestXML.maxCORSRules, "CORS: \(rules.count) rules")
        for rule in rules {
            invariant(!rule.allowedOrigins.isEmpty && !rule.allowedMethods.isEmpty, "CORS: rule without origin or method")
        }
        // The stored form (what GetBucketCors answers and every request re-reads) must read back the same.
        let stored = Array(S3RequestXML.corsConfigurationDocument(rules).utf8)
        invariant((try? S3RequestXML.corsConfiguration(stored)) == rules, "CORS: the stored document does not read back")
    } catch {
        checkError(error, "CORSConfiguration")
    }

    do {
        let policy = try S3RequestXML.accessControlPolicy(body)
        for grant in policy.grants {
            invariant(AccessControlPolicy.permissions.contains(grant.permission), "AccessControlPolicy: permission \(grant.permission)")
        }
    } catch {
        // An ACL document that does not parse or follow the schema is MalformedACLError, as S3 answers.
        invariant(error.code == "MalformedACLError" && !error.message.isEmpty, "AccessControlPolicy: unexpected error \(error.code)")
    }
    // The configuration documents Put*Tagging, PutObjectLockConfiguration, PutObjectRetention,
    // PutObjectLegalHold, PutPublicAccessBlock, PutBucketOwnershipControls, PutBucketEncryption and
    // PutBucketVersioning read: a value or one of S3's errors, never a crash.
    do {
        let tags = try S3RequestXML.tagging(body)
        // What GetObjectTagging answers reads back as the same tags, byte for byte.
        let again = try? S3RequestXML.tagging(Array(S3RequestXML.taggingDocument(tags).utf8))
        invariant(again.map { $0.count == tags.count && zip($0, tags).allSatisfy { a, b in
            a.key.utf8.elementsEqual(b.key.utf8) && a.value.utf8.elementsEqual(b.value.utf8) } } == true,
                  "Tagging: the stored document does not read back")
    } catch {
        checkError(error, "Tagging")
    }
    do {
        let lock = try S3RequestXML.objectLockConfiguration(body)
        invariant((lock.days == nil || lock.years == nil) && (lock.mode == nil) == (lock.days == nil && lock.years == nil),
                  "ObjectLockConfiguration: \(lock)")
        if let days = lock.days { invariant(days > 0 && days <= S3RequestXML.maxRetentionDays, "ObjectLockConfiguration: \(days) days") }
        if let years = lock.years { invariant(years > 0 && years <= S3RequestXML.maxRetentionYears, "ObjectLockConfiguration: \(years) years") }
    } catch {
        checkError(error, "ObjectLockConfiguration")
    }
    do { _ = try S3RequestXML.retention(body) } catch { checkError(error, "Retention") }
    do { _ = try S3RequestXML.legalHold(body) } catch { checkError(error, "LegalHold") }
    // The stored forms (what the Get calls answer) read back as the same value.
    do {
        let c = try S3RequestXML.publicAccessBlockConfiguration(body)
        invariant((try? S3RequestXML.publicAccessBlockConfiguration(Array(S3RequestXML.publicAccessBlockDocument(c).utf8))) == c,
                  "PublicAccessBlockConfiguration: the stored document does not read back")
    } catch {
        checkError(error, "PublicAccessBlockConfiguration")
    }
    do {
        let o = try S3RequestXML.ownershipControls(body)
        invariant((try? S3RequestXML.ownershipControls(Array(S3RequestXML.ownershipControlsDocument(o).utf8))) == o,
                  "OwnershipControls: the stored document does not read back")
    } catch {
        checkError(error, "OwnershipControls")
    }
    do {
        let c = try S3RequestXML.serverSideEncryptionConfiguration(body)
        // The stored document states BucketKeyEnabled always, false when the request left it out (as
        // GetBucketEncryption answers): it reads back as the request with that one default filled in.
        var stored = c
        stored.bucketKeyEnabled = c.bucketKeyEnabled ?? false
        invariant((try? S3RequestXML.serverSideEncryptionConfiguration(Array(S3RequestXML.serverSideEncryptionConfigurationDocument(c).utf8))) == stored,
                  "ServerSideEncryptionConfiguration: the stored document does not read back")
    } catch {
        checkError(error, "ServerSideEncryptionConfiguration")
    }
    do { _ = try S3RequestXML.versioningConfiguration(body) } catch { checkError(error, "VersioningConfiguration") }
    return 0
}
