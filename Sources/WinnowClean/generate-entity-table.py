#!/usr/bin/env python3
"""Writes HTMLEntityTable.swift (beside this script) from Python's html.entities.html5.

    python3 Sources/WinnowClean/generate-entity-table.py > Sources/WinnowClean/HTMLEntityTable.swift

html.entities.html5 is the WHATWG list of named character references (2,231 names in Python 3.11);
the output is one "name value" line per name, sorted, the value as uppercase hexadecimal scalars.
Run it again only to pick up a new WHATWG list; the Swift file is never edited by hand.
"""
from html.entities import html5

HEADER = '''\
// Written by generate-entity-table.py beside this file: rerun that script, never edit this file.
// Generated from the WHATWG HTML named character references (as Python's html.entities.html5 lists
// them): "name value" a line, the value as hexadecimal scalars. Names without ";" are the legacy ones
// that browsers also accept unterminated. Parsed once, on first use.
enum HTMLEntityTable {
    static let names: [String: String] = {
        var table: [String: String] = [:]
        table.reserveCapacity(2300)
        for line in source.split(separator: "\\n") {
            let parts = line.split(separator: " ")
            guard let name = parts.first else { continue }
            var value = String.UnicodeScalarView()
            for hex in parts.dropFirst() { if let v = UInt32(hex, radix: 16), let s = Unicode.Scalar(v) { value.append(s) } }
            table[String(name)] = String(value)
        }
        return table
    }()

    private static let source = """
'''

FOOTER = '''\
"""
}
'''


def main() -> None:
    lines = [name + " " + " ".join("%X" % ord(c) for c in html5[name]) for name in sorted(html5)]
    print(HEADER + "\n".join(lines) + "\n" + FOOTER, end="")


if __name__ == "__main__":
    main()
