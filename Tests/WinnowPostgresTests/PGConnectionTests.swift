import Foundation
import Testing
import WinnowPostgres
import WinnowTestSupport

/// libpq through `PGConnection`, against a real throw-away PostgreSQL (`PostgresServer`).
@Suite struct PGConnectionTests {
    @Test func parametersArraysAndByteaRoundTrip() throws {
        let db = try PGConnection(url: try PostgresServer.shared().createDatabase("conn"))
        let texts: [String?] = ["plain", "with \"quotes\" and \\ backslash", "comma, {brace}", nil, "", "unicode é 😀"]
        let rows = try db.query("SELECT t, ord FROM unnest($1::text[]) WITH ORDINALITY AS u(t, ord) ORDER BY ord", [PGText.array(texts)])
        #expect(rows.count == texts.count)
        #expect((0..<rows.count).map { rows.string($0, 0) } == texts)

        let bytes: [UInt8] = [0, 1, 0x7F, 0x80, 0xFF, 0x10]
        let back = try db.query("SELECT $1::bytea, octet_length($1::bytea)", [PGText.bytea(bytes)])
        #expect(back.bytes(0, 0) == bytes)
        #expect(back.int(0, 1) == bytes.count)

        let numbers = try db.query("SELECT sum(k), count(*) FROM unnest($1::bigint[]) AS k", [PGText.array([Int64.min + 1, 5, Int64.max])])
        #expect(numbers.string(0, 0) == "5")
        #expect(numbers.int64(0, 1) == 3)
        // A NUL cannot be stored in text; it is dropped rather than cutting the value short.
        #expect(try db.query("SELECT $1::text", ["a\u{0}b"]).string(0, 0) == "ab")
    }

    @Test func errorsNameTheURLWithoutItsPasswordAndCarryTheSQLState() throws {
        let server = try PostgresServer.shared()
        let db = try PGConnection(url: try server.createDatabase("errors"))
        let error = try #require(throws: PGError.self) { try db.query("SELECT * FROM no_such_table") }
        #expect(error.sqlState == "42P01")
        #expect(error.description.contains("127.0.0.1:\(server.port)"))

        // Nothing listens on port 1: the message names the URL, hides the password, and says what to check.
        let refused = try #require(throws: PGError.self) { try PGConnection(url: "postgresql://alice:s3cret@127.0.0.1:1/news?connect_timeout=2") }
        #expect(!refused.description.contains("s3cret"))
        #expect(refused.description.contains("postgresql://alice:***@127.0.0.1:1/news"))
        #expect(refused.sqlState == nil)
        #expect(throws: PGError.self) { try PGConnection(url: "/var/lib/winnow/winnow.sqlite") }
    }

    @Test func aDeadlockIsRetriedAndBothTransactionsCommit() throws {
        let url = try PostgresServer.shared().createDatabase("deadlock")
        let setup = try PGConnection(url: url)
        try setup.execute("CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 0), (2, 0)")
        // Two transactions lock the rows in opposite orders; PostgreSQL aborts one, which runs again.
        let attempts = [0, 0].map { _ in Counter() }
        let orders = [(1, 2), (2, 1)]
        onThreads(2) { i in
            let db = try! PGConnection(url: url)
            try! db.transaction {
                attempts[i].value += 1
                try db.query("UPDATE t SET v = v + 1 WHERE id = $1", [String(orders[i].0)])
                Thread.sleep(forTimeInterval: 0.3)
                try db.query("UPDATE t SET v = v + 1 WHERE id = $1", [String(orders[i].1)])
            }
        }
        let rows = try setup.query("SELECT sum(v) FROM t")
        #expect(rows.int(0, 0) == 4)
        #expect(attempts.map(\.value).reduce(0, +) >= 3, "one of the two ran again")
    }

    final class Counter: @unchecked Sendable { var value = 0 }

    @Test func redactionLeavesURLsWithoutPasswordAlone() {
        #expect(PostgresURL.redacted("postgresql://u@h:5432/d") == "postgresql://u@h:5432/d")
        #expect(PostgresURL.redacted("postgres://u:p@w@h/d?x=1") == "postgres://u:***@h/d?x=1")
        #expect(PostgresURL.isPostgres("postgresql://u@h/d") && PostgresURL.isPostgres("postgres://h/d"))
        #expect(!PostgresURL.isPostgres("state/winnow.sqlite"))
    }
}
