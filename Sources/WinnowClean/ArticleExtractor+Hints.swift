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
            (category, content) = ArticleExtractor.splitWords(hints) { letters, words in
                func word(_ k: Int) -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: letters[words[k].range]) }
                let content = words.indices.contains { ArticleExtractor.isOneOf(word($0), ArticleExtractor.contentWordBytes) }
                // Embedded posts and quotes sit in "social" wrappers but are what the article quotes.
                if words.indices.contains(where: { ArticleExtractor.isOneOf(word($0), ArticleExtractor.quoteWordBytes) }) { return (nil, content) }
                for k in words.indices {
                    let current = word(k)
                    guard !current.isEmpty, !ArticleExtractor.isOneOf(current, ArticleExtractor.articleWordBytes) else { continue }
                    // "no_caption", "without-sidebar": the element lacks the thing the word names.
                    if k > 0, !words[k - 1].compound, ArticleExtractor.isOneOf(word(k - 1), ArticleExtractor.negationWordBytes) { continue }
                    if let category = ArticleExtractor.category(of: current, compound: words[k].compound) { return (category, content) }
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
    /// "carticlebody"; "sr-only" also gives "sronly". `body` gets the words' bytes, one after another, and
    /// each word's range, in scratch memory (this runs for every distinct class of a page: three arrays
    /// for each were a twentieth of cleaning it).
    static func splitWords<Result>(_ hints: UnsafeBufferPointer<UInt8>,
                                   _ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<(range: Range<Int>, compound: Bool)>) -> Result) -> Result {
        // Every letter is written once as itself and at most once more in a compound; every word holds a letter.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 2 * hints.count + 1) { letters in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: hints.count + 1) { compound in
                withUnsafeTemporaryAllocation(of: (range: Range<Int>, compound: Bool).self, capacity: 2 * hints.count + 1) { words in
                    var count = 0, compoundCount = 0, wordCount = 0
                    var wordStart = 0
                    var compoundParts = 0
                    func endWord() {
                        if count > wordStart { words.initializeElement(at: wordCount, to: (wordStart..<count, false)); wordCount += 1; compoundParts += 1 }
                        wordStart = count
                    }
                    func endCompound() {
                        // Parts of digits only ("col-12-34") leave no letters: no compound then.
                        if compoundParts > 1, compoundCount > 0 {
                            for k in 0..<compoundCount { letters[count] = compound[k]; count += 1 }
                            words.initializeElement(at: wordCount, to: (wordStart..<count, true))
                            wordCount += 1
                            wordStart = count
                        }
                        compoundCount = 0
                        compoundParts = 0
                    }
                    for byte in hints {
                        if (byte >= 0x61 && byte <= 0x7A) || byte >= 0x80 {
                            letters[count] = byte; count += 1
                            compound[compoundCount] = byte; compoundCount += 1
                        } else if byte >= 0x30 && byte <= 0x39 {
                            letters[count] = byte; count += 1
                        } else {
                            endWord()
                            if byte == 0x20 { endCompound() }
                        }
                    }
                    endWord()
                    endCompound()
                    return body(UnsafeBufferPointer(rebasing: letters[..<count]), UnsafeBufferPointer(rebasing: words[..<wordCount]))
                }
            }
        }
    }

    /// The words of `splitWords` as strings (for tests).
    static func words(_ hints: String) -> [String] {
        var hints = hints
        return hints.withUTF8 { buffer in
            splitWords(buffer) { letters, words in words.map { String(decoding: UnsafeBufferPointer(rebasing: letters[$0.range]), as: UTF8.self) } }
        }
    }
}
