/// Reading an element's class and id: which kind of boilerplate its words name, and whether they name
/// the article's content. Over bytes, without a String per word: this runs for every class on a page.
extension ArticleExtractor {
    struct Hint {
        /// The category of boilerplate the words name, or nil.
        var category: String?
        /// A word names the article's content ("article", "post", "story").
        var content: Bool

        /// `hints`: class and id, lowercased and space-separated (`HTMLTree.Node.text`).
        init(_ hints: String) {
            var hints = hints
            self = hints.withUTF8 { Hint(utf8: $0) }
        }

        init(utf8 hints: UnsafeBufferPointer<UInt8>) {
            let (letters, words) = ArticleExtractor.splitWords(hints)
            (category, content) = letters.withUnsafeBufferPointer { letters in
                let all = words.map { UnsafeBufferPointer(rebasing: letters[$0.range]) }
                let content = all.contains { ArticleExtractor.isOneOf($0, ArticleExtractor.contentWordBytes) }
                // Embedded posts and quotes sit in "social" wrappers but are what the article quotes.
                if all.contains(where: { ArticleExtractor.isOneOf($0, ArticleExtractor.quoteWordBytes) }) { return (nil, content) }
                for (k, (word, split)) in zip(all, words).enumerated() where !word.isEmpty && !ArticleExtractor.isOneOf(word, ArticleExtractor.articleWordBytes) {
                    // "no_caption", "without-sidebar": the element lacks the thing the word names.
                    if k > 0, !words[k - 1].compound, ArticleExtractor.isOneOf(all[k - 1], ArticleExtractor.negationWordBytes) { continue }
                    if let category = ArticleExtractor.category(of: word, compound: split.compound) { return (category, content) }
                }
                return (nil, content)
            }
        }
    }

    /// The category a class word names, or nil. Short words must match whole ("ad", not "adjacent");
    /// longer ones as a prefix, and those of six letters or more also inside a compound ("postcomments",
    /// "rightsidebar"), as readability's patterns do; not inside a compound of words ("entrycommentary"
    /// of "entry-commentary"), whose words were each read already.
    static func category(of word: UnsafeBufferPointer<UInt8>, compound: Bool = false) -> String? {
        let table = boilerplateTable
        return table.bytes.withUnsafeBufferPointer { bytes in
            for k in table.byFirstByte[Int(word[0])] {
                let entry = table.entries[k]
                let prefix = UnsafeBufferPointer(rebasing: bytes[entry.range])
                if prefix.count <= 3 ? word.count == prefix.count && word.elementsEqual(prefix) : word.starts(with: prefix) {
                    return table.categories[Int(entry.category)]
                }
            }
            guard word.count > 6, !compound else { return nil }
            for i in 1..<(word.count - 5) {
                for k in table.longByFirstByte[Int(word[i])] {
                    let entry = table.entries[k]
                    guard word.count > entry.range.count, i + entry.range.count <= word.count else { continue }
                    if UnsafeBufferPointer(rebasing: word[i..<(i + entry.range.count)]).elementsEqual(UnsafeBufferPointer(rebasing: bytes[entry.range])) {
                        return table.categories[Int(entry.category)]
                    }
                }
            }
            return nil
        }
    }

    /// `boilerplateWords` laid flat: every prefix's bytes in one array, and plain numbers to find them (an
    /// array of arrays and strings costs a retain and a release for every word tried).
    struct WordTable {
        var bytes: [UInt8] = []
        var entries: [(range: Range<Int>, category: UInt8)] = []
        var categories: [String] = []
        /// The entries whose prefix starts with each byte, and those of six letters or more.
        var byFirstByte = [[Int]](repeating: [], count: 256)
        var longByFirstByte = [[Int]](repeating: [], count: 256)
    }

    static let boilerplateTable: WordTable = {
        var table = WordTable()
        for (prefix, category) in boilerplateWords {
            if !table.categories.contains(category) { table.categories.append(category) }
            let start = table.bytes.count
            table.bytes.append(contentsOf: prefix.utf8)
            table.byFirstByte[Int(prefix.utf8.first!)].append(table.entries.count)
            if prefix.utf8.count >= 6 { table.longByFirstByte[Int(prefix.utf8.first!)].append(table.entries.count) }
            table.entries.append((start..<table.bytes.count, UInt8(table.categories.firstIndex(of: category)!)))
        }
        return table
    }()

    /// Whether `word` holds `part` (both short: a plain scan; Foundation's generic `firstRange` cost 40% of cleaning).
    static func contains(_ word: UnsafeBufferPointer<UInt8>, _ part: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = part.first, word.count >= part.count else { return false }
        var i = 0
        while i + part.count <= word.count {
            if word[i] == first {
                var k = 1
                while k < part.count && word[i + k] == part[k] { k += 1 }
                if k == part.count { return true }
            }
            i += 1
        }
        return false
    }

    static func isOneOf(_ word: UnsafeBufferPointer<UInt8>, _ list: [[UInt8]]) -> Bool {
        list.contains { $0.count == word.count && word.elementsEqual($0) }
    }

    static let contentWordBytes = contentWords.map { Array($0.utf8) }
    static let quoteWordBytes = quoteWords.map { Array($0.utf8) }
    static let articleWordBytes = articleWords.map { Array($0.utf8) }
    static let negationWordBytes = ["no", "without"].map { Array($0.utf8) }

    /// Class and id split into words: "c-article__body" gives "c", "article", "body" and the compound
    /// "carticlebody"; "sr-only" also gives "sronly". The words' bytes, one after another, and each word's range.
    static func splitWords(_ hints: UnsafeBufferPointer<UInt8>) -> (letters: [UInt8], words: [(range: Range<Int>, compound: Bool)]) {
        var letters: [UInt8] = []
        letters.reserveCapacity(hints.count * 2)
        var words: [(range: Range<Int>, compound: Bool)] = []
        var wordStart = 0
        var compound: [UInt8] = []
        var compoundParts = 0
        func endWord() {
            if letters.count > wordStart { words.append((wordStart..<letters.count, false)); compoundParts += 1 }
            wordStart = letters.count
        }
        func endCompound() {
            // Parts of digits only ("col-12-34") leave no letters: no compound then.
            if compoundParts > 1, !compound.isEmpty {
                letters.append(contentsOf: compound)
                words.append((wordStart..<letters.count, true))
                wordStart = letters.count
            }
            compound.removeAll(keepingCapacity: true)
            compoundParts = 0
        }
        for byte in hints {
            if (byte >= 0x61 && byte <= 0x7A) || byte >= 0x80 {
                letters.append(byte)
                compound.append(byte)
            } else if byte >= 0x30 && byte <= 0x39 {
                letters.append(byte)
            } else {
                endWord()
                if byte == 0x20 { endCompound() }
            }
        }
        endWord()
        endCompound()
        return (letters, words)
    }

    /// The words of `splitWords` as strings (for tests).
    static func words(_ hints: String) -> [String] {
        var hints = hints
        return hints.withUTF8 { buffer in
            let (letters, words) = splitWords(buffer)
            return words.map { String(decoding: letters[$0.range], as: UTF8.self) }
        }
    }
}
