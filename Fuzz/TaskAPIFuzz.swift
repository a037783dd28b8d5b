// The frontend target's Worker and task API parsers (Fuzz/FrontEndFuzz.swift picks them, selector 9): their
// JSON bodies, compiled with the files that read them (see Fuzz/fuzz.sh): Sources/TasksAPI's TaskCreateRequest and TaskPlan (POST /api/files/upload/create),
// Sources/WorkerAPI's WorkerCompleteBody (mpu-complete) and the storage core's PartValidator it feeds.
// (Their paths and queries are read by GatewayHTTP's RequestTarget, fuzzed by the s3request target.)
//
// Input, after the selector byte: byte 0 even: a create body; odd: an mpu-complete body. Byte 1 picks the limit profile (aws or r2,
// whose equal-part-size rule the validator also checks) and, for mpu-complete, the stored parts' sizes.
// The rest is the JSON body.
import Foundation
import WireFormats

let profiles = [LimitProfile.aws, LimitProfile.r2]

func fuzzCreate(_ body: [UInt8], limits: LimitProfile) {
    let request: TaskCreateRequest
    do throws(TaskRefusal) {
        request = try TaskCreateRequest(json: body)
    } catch {
        invariant(!error.message.isEmpty, "an empty refusal")
        return
    }
    let hash = request.normalizedHash
    invariant([32, 64].contains(hash.utf8.count) && hash.utf8.allSatisfy { Hex.value($0) != nil && !(0x41...0x46).contains($0) },
              "hash \(hash) accepted")
    invariant(request.file_size >= 0 && !request.file_name.isEmpty, "size or name accepted out of bounds")
    invariant(request.password.map { !$0.isEmpty } ?? true, "an empty password kept")
    let plan: TaskPlan
    do throws(TaskRefusal) {
        plan = try TaskPlan(file: request, limits: limits, defaultChunkSize: 5 << 20)
    } catch {
        invariant(!error.message.isEmpty, "an empty refusal")
        return
    }
    // The chunks cover the file exactly: every chunk but the last is chunkSize bytes, the last 0...chunkSize.
    let (size, count, chunk) = (request.file_size, Int64(plan.chunksCount), plan.chunkSize)
    invariant(chunk > 0 && chunk <= limits.maxPartSize, "chunk size \(chunk)")
    invariant(count >= 1 && count <= Int64(limits.maxParts), "\(count) chunks")
    invariant(size <= limits.maxObjectSize, "file_size \(size) over the limit")
    invariant((count - 1) * chunk < size || (count == 1 && size == 0), "a chunk too many: \(count) x \(chunk) for \(size)")
    invariant(count * chunk >= size, "chunks short of the file: \(count) x \(chunk) for \(size)")
    invariant(count == 1 || chunk >= limits.minPartSize, "chunks under the minimum part size")
}

let validatorCodes: Set<String> = ["MalformedXML", "InvalidArgument", "InvalidPartOrder", "InvalidPart", "EntityTooSmall", "EntityTooLarge"]

func fuzzComplete(_ body: [UInt8], limits: LimitProfile, sizes: UInt8) {
    guard let parsed = WorkerCompleteBody(json: body) else { return }
    // Five stored parts, 1...5, with ETags "e1"…"e5"; each one's size the minimum or one byte under it.
    let stored = (1...5).map { n in
        PartRecord(partNumber: n, blob: "blob\(n)", size: limits.minPartSize - Int64(sizes >> (n - 1) & 1), etag: "e\(n)",
                   lastModified: Date(timeIntervalSince1970: 0))
    }
    let requested = parsed.requested
    invariant(requested.count == parsed.parts.count, "parts lost")
    do {
        let chosen = try PartValidator(limits: limits).validateCompletion(requested: requested, stored: stored)
        invariant(chosen.map(\.partNumber) == requested.map(\.partNumber), "assembled other parts than requested")
        invariant(zip(chosen, requested).allSatisfy { $0.etag.utf8.elementsEqual(PartValidator.normalizeETag($1.etag).utf8) }, "ETag mismatch")
        invariant(chosen.dropLast().allSatisfy { $0.size >= limits.minPartSize }, "a small part passed")
    } catch let e as CoreError {
        invariant(validatorCodes.contains(e.code) && !e.message.isEmpty, "unexpected error \(e.code)")
    } catch {
        invariant(false, "\(type(of: error)) thrown")
    }
}

func fuzzTaskAPI(_ input: inout FuzzInput) {
    let kind = input.byte()
    let options = input.byte()
    let body = Array(input.rest())
    let limits = profiles[Int(options & 1)]
    if kind & 1 == 0 { fuzzCreate(body, limits: limits) } else { fuzzComplete(body, limits: limits, sizes: options >> 1) }
}
