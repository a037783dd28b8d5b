// libFuzzer target: browser-upload (PostObject) form handling in Sources/PostPolicy, compiled
// together with that module's sources (see Fuzz/fuzz.sh): policy decoding (base64 and JSON),
// condition evaluation, size limits, the form-field store, `${filename}` substitution and the
// Content-Disposition parser that reads both the request's Content-Type boundary and each part's header.
//
// The multipart/form-data framing itself (Sources/FormData's MultipartFormParser, driven by
// PostFormReader) is the `formdata` target's.
//
// Input lines:
//   1: the policy, JSON text (decoded as JSON, and again after base64-encoding it here)
//   2: the policy as sent in the form (given to the base64 decoder as is)
//   3: a Content-Disposition header (its filename, if any, is substituted for ${filename})
//   4: the bucket
//   5: a file size (decimal)
//   6+: form fields "name:value"
import Foundation
import WireFormats

/// Just after 2026-11-21T16:25Z, when the recorded PostObject fixtures' policies were still valid.
let postNow = ISO8601Time.parse("2026-11-21T16:30:00Z")!

func checkDocument(_ policy: PostPolicyDocument, form: PostForm, bucket: String, size: Int64) {
    for condition in policy.conditions {
        _ = condition.description
        if case .contentLengthRange(let lo, let hi) = condition {
            invariant(lo >= 0 && lo <= hi, "content-length-range \(lo)...\(hi)")
        }
    }
    if let limits = policy.sizeLimits {
        let within = size >= limits.min && size <= limits.max
        do {
            try policy.checkFinalSize(size)
            invariant(within, "size \(size) accepted outside \(limits)")
        } catch {
            invariant(!within, "size \(size) refused inside \(limits): \(error)")
            invariant(error.code == "EntityTooLarge" || error.code == "EntityTooSmall", "size error \(error.code)")
        }
        do {
            try policy.checkPartialSize(size)
            invariant(size <= limits.max, "partial size \(size) accepted above \(limits.max)")
        } catch {
            invariant(size > limits.max, "partial size \(size) refused within \(limits.max)")
        }
    } else {
        do {
            try policy.checkFinalSize(size)
            try policy.checkPartialSize(size)
        } catch {
            invariant(false, "size refused without content-length-range: \(error)")
        }
    }
    do {
        try policy.check(form, bucket: bucket, now: postNow)
        invariant(postNow <= policy.expiration, "expired policy accepted")
        // Every field that needs a condition has one.
        let covered = Set(policy.conditions.compactMap(\.field))
        for name in form.names {
            let n = name.lowercased()
            invariant(PostPolicyDocument.exemptFields.contains(n) || n.hasPrefix("x-ignore-") || covered.contains(n),
                      "field \(name) accepted without a condition")
        }
    } catch {
        invariant(error.code == "AccessDenied", "check failed with \(error.code)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func postPolicyFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = FuzzInput(data, size)
    let lines = fuzzLines(input.bytes[...])
    func line(_ i: Int) -> String { i < lines.count ? lines[i] : "" }

    // Content-Disposition, as a part header and as the request Content-Type (boundary parameter).
    var fileName: String?
    if let cd = ContentDisposition(line(2)) {
        invariant(!cd.type.isEmpty && cd.type == cd.type.lowercased(), "disposition type \(cd.type)")
        for name in cd.parameters.keys {
            invariant(!name.isEmpty && name == name.lowercased(), "parameter name \(name)")
        }
        fileName = cd.filename
        _ = cd.name
    }
    let base = PostForm.baseName(fileName ?? line(2))
    invariant(!base.contains("/") && !base.contains("\\"), "baseName kept a separator: \(base)")

    var form = PostForm()
    for field in lines.dropFirst(5) {
        let parts = field.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        do {
            try form.append(name: String(parts[0]), value: parts.count > 1 ? String(parts[1]) : "")
        } catch {
            invariant(error.code == "MaxPostPreDataLengthExceeded", "append failed with \(error.code)")
            break
        }
    }
    invariant(form.totalBytes <= PostForm.maxTotalBytes, "form total \(form.totalBytes)")
    // value(_:) is the first field of that name, any case (one pass: forms can have thousands of fields).
    var firstValues: [String: String] = [:]
    for field in form.fields where firstValues[field.name.lowercased()] == nil {
        firstValues[field.name.lowercased()] = field.value
    }
    let names = form.names
    invariant(names.count == firstValues.count, "names \(names.count) != distinct fields \(firstValues.count)")
    for name in names {
        invariant(form.value(name) == firstValues[name.lowercased()], "value(\(name)) is not the first field of that name")
    }
    form.substituteFilename(fileName)
    invariant(form.names == names, "substitution changed field names")

    let bucket = line(3)
    let fileSize = Int64(line(4).trimmingCharacters(in: .whitespaces)) ?? 0

    let json = line(0)
    var documents: [PostPolicyDocument] = []
    do {
        documents.append(try PostPolicyDocument(json: Data(json.utf8)))
    } catch {
        invariant(error.code == "InvalidPolicyDocument", "JSON policy failed with \(error.code)")
    }
    do {
        let viaBase64 = try PostPolicyDocument(base64: Data(json.utf8).base64EncodedString())
        invariant(documents.first == viaBase64, "base64 of the same JSON decoded differently")
    } catch {
        invariant(documents.isEmpty || json.isEmpty, "JSON policy accepted, its base64 refused: \(error)")
    }
    do {
        documents.append(try PostPolicyDocument(base64: line(1)))
    } catch {
        invariant(error.code == "InvalidPolicyDocument", "base64 policy failed with \(error.code)")
    }
    for policy in documents { checkDocument(policy, form: form, bucket: bucket, size: fileSize) }
    return 0
}
