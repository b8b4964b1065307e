#!/usr/bin/env python3
"""Writes HTMLEntities.swift (beside this script) from Python's html.entities.name2codepoint.

    python3 Sources/WinnowFeeds/generate-html-entities.py > Sources/WinnowFeeds/HTMLEntities.swift

name2codepoint is HTML 4's 252 named character references, the set feedparser resolves in feeds that
use them without declaring them. Names are sorted, six to a line; the Swift file is never edited by hand.
"""
from html.entities import name2codepoint

HEADER = '''\
// Written by generate-html-entities.py beside this file: rerun that script, never edit this file.
/// The %d named character references of HTML 4 (what Python's `html.entities.name2codepoint` and so
/// feedparser know), for feeds that use them without declaring them. Generated from that table.
enum HTMLEntities {
    static let codepoints: [String: UInt32] = [
'''

FOOTER = '''\
    ]
}
'''

PER_LINE = 6


def main() -> None:
    entries = ['"%s": 0x%X,' % (name, name2codepoint[name]) for name in sorted(name2codepoint)]
    lines = ["        " + " ".join(entries[i:i + PER_LINE]) for i in range(0, len(entries), PER_LINE)]
    print(HEADER % len(entries) + "\n".join(lines) + "\n" + FOOTER, end="")


if __name__ == "__main__":
    main()
