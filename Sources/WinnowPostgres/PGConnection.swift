import CLibPQ
import Foundation
import WinnowStore

/// One libpq connection, used synchronously (the store's code is synchronous, a connection per
/// writer). Parameters go as text and results come back as text: PostgreSQL parses and prints every
/// type we use (bigint, double precision, text, bytea in hex, arrays as literals), so no binary
/// formats are handled here. Owns its `PGconn` and closes it in `deinit`.
///
/// Not thread-safe: a store uses each connection under its own lock.
public final class PGConnection: @unchecked Sendable {
    private let handle: OpaquePointer
    /// The URL without its password, for error messages.
    public let displayURL: String

    /// Connects with a `postgresql://USER[:PASSWORD]@HOST:PORT/DBNAME[?PARAMS]` URL (libpq's own URI
    /// syntax). Throws naming the URL (without its password) and libpq's reason.
    public init(url: String) throws {
        displayURL = PostgresURL.redacted(url)
        guard PostgresURL.isPostgres(url) else {
            throw PGError(url: displayURL, message: "not a postgresql:// URL", hint: "write postgresql://USER@HOST:PORT/DBNAME")
        }
        guard let handle = PQconnectdb(url) else {
            throw PGError(url: displayURL, message: "libpq could not allocate a connection")
        }
        // `self.handle` is set only once connected: a throw before that runs no deinit (no double PQfinish).
        guard PQstatus(handle) == CONNECTION_OK else {
            let reason = String(cString: PQerrorMessage(handle)).trimmingCharacters(in: .whitespacesAndNewlines)
            PQfinish(handle)
            throw PGError(url: displayURL, message: "cannot connect: \(reason)",
                          hint: "check that PostgreSQL runs there and the user and database exist (createdb DBNAME)")
        }
        self.handle = handle
        // Notices (e.g. "relation already exists, skipping") would go to stderr otherwise.
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
    }

    deinit { PQfinish(handle) }

    /// Runs one statement with `$1...` text parameters (nil is NULL) and returns its rows.
    @discardableResult
    public func query(_ sql: String, _ parameters: [String?] = []) throws -> PGResult {
        reconnectIfLost()
        let result = withCStrings(parameters) { pointers in
            PQexecParams(handle, sql, Int32(parameters.count), nil, pointers, nil, nil, 0)
        }
        return try check(result, sql: sql)
    }

    /// Runs one or more statements without parameters (schema scripts, BEGIN/COMMIT).
    public func execute(_ sql: String) throws {
        reconnectIfLost()
        _ = try check(PQexec(handle, sql), sql: sql)
    }

    /// A connection the server closed (a restart, a failover, pg_terminate_backend) is opened again
    /// before the next statement: the statement that found it closed failed, and its caller decides
    /// (a daemon waits and tries again; see `PGError.isConnectionLost`).
    private func reconnectIfLost() {
        if PQstatus(handle) == CONNECTION_BAD { PQreset(handle) }
    }

    /// Runs `body` in a transaction at READ COMMITTED: committed when it returns, rolled back when it
    /// throws. Serialization failures and deadlocks (PostgreSQL aborts one of two transactions that
    /// wait on each other) run `body` again, up to `retries` times: it must be repeatable.
    public func transaction<Result>(retries: Int = 5, _ body: () throws -> Result) throws -> Result {
        var attempt = 0
        while true {
            try execute("BEGIN")
            do {
                let result = try body()
                try execute("COMMIT")
                return result
            } catch let error as PGError where error.isRetryable && attempt < retries {
                try? execute("ROLLBACK")
                attempt += 1
                // A few random milliseconds, so the two that deadlocked do not meet again in step.
                Thread.sleep(forTimeInterval: Double.random(in: 0.005...0.05) * Double(attempt))
            } catch {
                try? execute("ROLLBACK")
                throw error
            }
        }
    }

    private func check(_ result: OpaquePointer?, sql: String) throws -> PGResult {
        guard let result else {
            throw PGError(url: displayURL, message: String(cString: PQerrorMessage(handle)).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return PGResult(result)
        default:
            let field = { (code: Character) -> String? in
                PQresultErrorField(result, Int32(code.asciiValue!)).map { String(cString: $0) }
            }
            let error = PGError(url: displayURL, message: field("M") ?? String(cString: PQresultErrorMessage(result)),
                                hint: field("H"), sqlState: field("C"), statement: String(sql.prefix(200)))
            PQclear(result)
            throw error
        }
    }
}

/// The rows of one statement, as text. Frees the `PGresult` in `deinit`.
public final class PGResult {
    private let handle: OpaquePointer
    public let count: Int
    public let columns: Int

    init(_ handle: OpaquePointer) {
        self.handle = handle
        count = Int(PQntuples(handle))
        columns = Int(PQnfields(handle))
    }

    deinit { PQclear(handle) }

    /// The value at a row and column, nil for NULL.
    public func string(_ row: Int, _ column: Int) -> String? {
        if PQgetisnull(handle, Int32(row), Int32(column)) != 0 { return nil }
        return String(cString: PQgetvalue(handle, Int32(row), Int32(column)))
    }

    public func int64(_ row: Int, _ column: Int) -> Int64? { string(row, column).flatMap { Int64($0) } }
    public func int(_ row: Int, _ column: Int) -> Int? { string(row, column).flatMap { Int($0) } }
    public func double(_ row: Int, _ column: Int) -> Double? { string(row, column).flatMap { Double($0) } }
    public func bool(_ row: Int, _ column: Int) -> Bool? { string(row, column).map { $0 == "t" } }
    /// A bytea column (PostgreSQL prints it as `\x` and hex digits).
    public func bytes(_ row: Int, _ column: Int) -> [UInt8]? { string(row, column).map(PGText.decodeBytea) }

    /// Column 0 of every row as Int64 (NULLs left out).
    public var int64Column: [Int64] { (0..<count).compactMap { int64($0, 0) } }
}

/// A statement PostgreSQL refused, or a connection it did not give.
public struct PGError: Error, CustomStringConvertible {
    /// The database's URL without its password.
    public var url: String
    public var message: String
    public var hint: String?
    /// SQLSTATE, e.g. 40P01 (deadlock detected), 23505 (unique violation).
    public var sqlState: String?
    public var statement: String?

    public init(url: String, message: String, hint: String? = nil, sqlState: String? = nil, statement: String? = nil) {
        self.url = url
        self.message = message
        self.hint = hint
        self.sqlState = sqlState
        self.statement = statement
    }

    /// A deadlock or a serialization failure: the transaction can be run again.
    public var isRetryable: Bool { sqlState == "40P01" || sqlState == "40001" }

    /// The connection failed or the server went away (no SQLSTATE: libpq's own failure; class 08:
    /// connection exception; 57P01-03: the server shutting down or starting): trouble that passes.
    public var isConnectionLost: Bool {
        guard let sqlState else { return true }
        return sqlState.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(sqlState)
    }

    public var description: String {
        var text = "PostgreSQL \(url): \(message)"
        if let sqlState { text += " (SQLSTATE \(sqlState))" }
        if let hint { text += "; \(hint)" }
        return text
    }
}

/// Reading the database setting.
public enum PostgresURL {
    /// Whether a database setting names PostgreSQL (anything else is a SQLite path).
    public static func isPostgres(_ setting: String) -> Bool {
        setting.hasPrefix("postgresql://") || setting.hasPrefix("postgres://")
    }

    /// The URL with its password (if any) replaced by `***`, for messages and logs.
    public static func redacted(_ url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let rest = url[scheme.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else { return url }
        return String(url[..<scheme.upperBound]) + authority[..<colon] + ":***" + authority[at...] + rest[authorityEnd...]
    }
}

/// Text forms of values PostgreSQL parses: array literals and bytea.
public enum PGText {
    /// `{1,2,3}` for a bigint[] parameter.
    public static func array(_ values: [Int64]) -> String {
        "{" + values.map(String.init).joined(separator: ",") + "}"
    }

    /// `{"a","b",NULL}` for a text[] parameter: every element quoted, `"` and `\` escaped.
    public static func array(_ values: [String?]) -> String {
        // Byte by byte: `"` and `\` are single bytes in UTF-8, never inside another character's bytes.
        // (Appending unicode scalars to a String was most of `migrate`'s own time on article texts.)
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(values.reduce(2) { $0 + ($1?.utf8.count ?? 4) + 3 })
        for (i, value) in values.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            guard let value else { out += "NULL".utf8; continue }
            out.append(quote)
            for byte in value.utf8 {
                if byte == quote || byte == backslash { out.append(backslash) }
                out.append(byte)
            }
            out.append(quote)
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    /// `{1.5,NULL}` for a double precision[] parameter.
    public static func array(_ values: [Double?]) -> String {
        "{" + values.map { $0.map { "\($0)" } ?? "NULL" }.joined(separator: ",") + "}"
    }

    /// `\x` and hex digits, bytea's text input form.
    public static func bytea(_ bytes: [UInt8]) -> String { StoreText.bytea(bytes) }

    static func decodeBytea(_ text: String) -> [UInt8] {
        let utf8 = Array(text.utf8.dropFirst(2))
        func nibble(_ c: UInt8) -> UInt8 { c <= 57 ? c - 48 : (c | 32) - 87 }
        return (0..<(utf8.count / 2)).map { nibble(utf8[2 * $0]) << 4 | nibble(utf8[2 * $0 + 1]) }
    }

    /// A text value without NUL characters, which PostgreSQL's text type cannot hold (and a C string
    /// parameter would cut at).
    public static func withoutNUL(_ text: String) -> String { StoreText.withoutNUL(text) }
}

/// Passes Swift strings to libpq as an array of C strings (NULL for nil) for the call's duration.
private func withCStrings<R>(_ values: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    guard !values.isEmpty else { return body(nil) }
    var storage: [UnsafeMutablePointer<CChar>?] = values.map { value in
        value.map { strdup(PGText.withoutNUL($0))! }
    }
    defer { storage.forEach { free($0) } }
    return storage.withUnsafeMutableBufferPointer { buffer in
        buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: values.count) { body($0) }
    }
}
