import CSQLite
import Foundation
import StorageCore

// SQLITE_TRANSIENT: SQLite copies bound bytes before the call returns.
private let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

/// A thin, owned wrapper over one sqlite3 connection. Not thread-safe: the store hands each
/// connection to one thread at a time. Every call blocks; `offPoolCalls` notes those made off the
/// `BlockingPool` (debug builds).
final class SQLiteConnection {
    let db: OpaquePointer
    private var statements: [String: OpaquePointer] = [:]
    private let offPoolCalls: OffPoolCalls?

    init(path: String, readOnly: Bool, offPoolCalls: OffPoolCalls? = nil) throws {
        offPoolCalls?.check("open \(path)")
        self.offPoolCalls = offPoolCalls
        var handle: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &handle, flags, nil)
        guard rc == SQLITE_OK, let handle else {
            if let handle { sqlite3_close(handle) }
            throw CoreError.internalError("cannot open metadata database \(path): code \(rc)")
        }
        db = handle
        sqlite3_busy_timeout(db, 10_000)
    }

    deinit {
        for (_, s) in statements { sqlite3_finalize(s) }
        sqlite3_close(db)
    }

    func exec(_ sql: String) throws {
        offPoolCalls?.check(sql)
        var err: UnsafeMutablePointer<CChar>?
        if sqlite3_exec(db, sql, nil, nil, &err) != SQLITE_OK {
            let msg = err.map { String(cString: $0) } ?? "unknown"
            sqlite3_free(err)
            throw error(msg)
        }
    }

    func error(_ what: String) -> CoreError {
        let code = sqlite3_errcode(db)
        if code == SQLITE_FULL { return .storeFull }
        return .internalError("metadata: \(what) (\(String(cString: sqlite3_errmsg(db))))")
    }

    /// Runs `sql` with `args`, calling `row` for each result row. Statements are cached.
    func query(_ sql: String, _ args: [SQLValue] = [], row: (Row) throws -> Void = { _ in }) throws {
        offPoolCalls?.check(sql)
        try run(statement(sql), sql, args, row: row)
    }

    /// Runs the statement `sql` once per element of `elements`, its parameters set by `bind` through a
    /// `Binder` (all of them, every time): bulk inserts look the statement up once and build no argument
    /// array per row.
    func query<C: Collection>(_ sql: String, forEach elements: C, bind: (Binder, C.Element) -> Void) throws {
        offPoolCalls?.check(sql)
        let stmt = try statement(sql)
        defer { sqlite3_reset(stmt); sqlite3_clear_bindings(stmt) }
        for element in elements {
            sqlite3_reset(stmt)
            sqlite3_clear_bindings(stmt)
            bind(Binder(stmt: stmt), element)
            var rc = sqlite3_step(stmt)
            while rc == SQLITE_ROW { rc = sqlite3_step(stmt) }
            guard rc == SQLITE_DONE else { throw error("step \(sql)") }
        }
    }

    /// Sets a statement's parameters (numbered from 1): for `query`'s arguments and a bulk `query`'s rows.
    struct Binder {
        fileprivate let stmt: OpaquePointer
        func int(_ i: Int32, _ v: Int64) { sqlite3_bind_int64(stmt, i, v) }
        func double(_ i: Int32, _ v: Double) { sqlite3_bind_double(stmt, i, v) }
        func text(_ i: Int32, _ v: String) { v.withCString { _ = sqlite3_bind_text(stmt, i, $0, -1, transient) } }   // no utf8CString copy
        func null(_ i: Int32) { sqlite3_bind_null(stmt, i) }
        func blob(_ i: Int32, _ v: [UInt8]) {
            v.withUnsafeBytes { p in _ = sqlite3_bind_blob(stmt, i, p.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(p.count), transient) }
        }
    }

    private func statement(_ sql: String) throws -> OpaquePointer {
        if let cached = statements[sql] { return cached }
        var s: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &s, nil) == SQLITE_OK, let s else { throw error("prepare \(sql)") }
        statements[sql] = s
        return s
    }

    private func run(_ stmt: OpaquePointer, _ sql: String, _ args: [SQLValue], row: (Row) throws -> Void) throws {
        defer { sqlite3_reset(stmt); sqlite3_clear_bindings(stmt) }
        let b = Binder(stmt: stmt)
        for (i, arg) in args.enumerated() {
            let idx = Int32(i + 1)
            switch arg {
            case .null: b.null(idx)
            case .int(let v): b.int(idx, v)
            case .double(let v): b.double(idx, v)
            case .text(let v): b.text(idx, v)
            case .blob(let v): b.blob(idx, v)
            }
        }
        while true {
            let rc = sqlite3_step(stmt)
            if rc == SQLITE_ROW { try row(Row(stmt: stmt)); continue }
            if rc == SQLITE_DONE { return }
            throw error("step \(sql)")
        }
    }

    var changes: Int { Int(sqlite3_changes(db)) }
}

enum SQLValue {
    case null
    case int(Int64)
    case double(Double)
    case text(String)
    case blob([UInt8])
}

struct Row {
    let stmt: OpaquePointer
    func int(_ i: Int32) -> Int64 { sqlite3_column_int64(stmt, i) }
    func double(_ i: Int32) -> Double { sqlite3_column_double(stmt, i) }
    func isNull(_ i: Int32) -> Bool { sqlite3_column_type(stmt, i) == SQLITE_NULL }
    func text(_ i: Int32) -> String {
        guard let p = sqlite3_column_text(stmt, i) else { return "" }
        return String(cString: p)
    }
    func optionalText(_ i: Int32) -> String? { isNull(i) ? nil : text(i) }
    func bytes(_ i: Int32) -> [UInt8] {
        let n = Int(sqlite3_column_bytes(stmt, i))
        guard n > 0, let p = sqlite3_column_blob(stmt, i) else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: n))
    }
    /// The column's bytes (a BLOB's, or a TEXT's UTF-8) without copying them; nil for NULL.
    func withBytes<T>(_ i: Int32, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T? {
        guard !isNull(i) else { return nil }
        let p = sqlite3_column_blob(stmt, i)
        let n = Int(sqlite3_column_bytes(stmt, i))
        return try body(UnsafeRawBufferPointer(start: n > 0 ? p : nil, count: n))
    }
    /// Keys are stored as BLOBs of their UTF-8 bytes so that ordering is bytewise and NUL survives.
    func key(_ i: Int32) -> String { String(decoding: bytes(i), as: UTF8.self) }
}
