/// Choosing the article element, and the second looks that keep a wrong first choice from losing the article.
extension ArticleExtractor {
    /// The element whose subtree holds the most article-like text net of boilerplate, and each element's
    /// subtree score. Index 0 (the whole page) when nothing reads like an article.
    static func bestElement(_ nodes: [HTMLTree.Node], cut: [Cut?]) -> (best: Int, subtree: [Double]) {
        let blocks = blocks(nodes, cut: cut, withText: false)
        var score = [Double](repeating: 0, count: nodes.count)
        for block in blocks {
            // Long text with many links (a list of items each citing a source) neither draws nor repels.
            let value = block.isArticleLike ? Double(block.chars) * (1 - block.linkDensity)
                : block.chars >= 120 && block.linkDensity < 0.6 ? 0 : -0.5 * Double(block.chars)
            score[Int(block.owner)] += value
        }
        var subtree = score
        for i in stride(from: nodes.count - 1, through: 0, by: -1) where nodes[i].parent >= 0 {
            subtree[Int(nodes[i].parent)] += subtree[i]
        }
        // The element a page marks as its schema.org articleBody counts half again: a short news item
        // should not lose to a longer footer blurb.
        for i in nodes.indices where nodes[i].flags.contains(.articleBody) && subtree[i] > 0 { subtree[i] *= 1.5 }
        var best = 0
        for i in nodes.indices where !nodes[i].isText && subtree[i] >= subtree[best] { best = i }
        // Nothing reads like an article (a feed's short HTML summary, a caption-only page): keep all that is left.
        if subtree[best] <= 0 { best = 0 }
        return (best, subtree)
    }

    /// Undoes the cuts that took the article: an element cut by its name or class words that holds at least
    /// twice the article-like text of the chosen element (measured on the page as shown, `shownText`) is the
    /// article's container misnamed, not boilerplate. Comments are left cut: a long thread under a short
    /// post is still not the post. True when a cut was undone.
    static func restoreCutArticle(_ nodes: [HTMLTree.Node], _ cut: inout [Cut?], shownText: [Int], best: Int) -> Bool {
        let kept = articleText(nodes, blocks(nodes, cut: cut, withText: false))[best]
        var restored = false
        var i = 0
        while i < nodes.count {
            guard let reason = cut[i], !nodes[i].isText else { i += 1; continue }
            let held = shownText[i]
            if reason.category != "hidden", reason.category != "comments", held >= 2 * kept, held >= 200 {
                // The element and the wrappers inside it that hold most of the same text.
                for j in i..<Int(nodes[i].end) where cut[j] != nil && cut[j]!.category != "hidden" && shownText[j] * 2 >= held {
                    cut[j] = nil
                }
                restored = true
            }
            i = Int(nodes[i].end)
        }
        return restored
    }
}

extension ArticleExtractor {
    /// A block a reader would read: 25 characters or more and not mostly links (readability's paragraph).
    static func isReadable(_ block: Block) -> Bool { block.chars >= 25 && block.linkDensity < 0.34 }

    /// The second opinion, in readability's manner: every readable block votes for the element around it
    /// (its owner's parent, fully, and the grandparent, half) by its length and commas, so the element
    /// with many paragraphs wins however short each is: a page of short lines, `<br>`-separated text, a
    /// table cell of text, text in a language without sentence punctuation. The vote is discounted by the
    /// element's link density. Returns the element, or nil when no block is readable.
    static func readabilityChoice(_ nodes: [HTMLTree.Node], blocks: [Block]) -> Int? {
        var votes = [Double](repeating: 0, count: nodes.count)
        var chars = [Int](repeating: 0, count: nodes.count)
        var links = [Int](repeating: 0, count: nodes.count)
        for block in blocks {
            chars[Int(block.owner)] += block.chars
            links[Int(block.owner)] += block.linkChars
            guard isReadable(block) else { continue }
            let vote = 1 + Double(block.commas) + min(Double(block.chars) / 100, 3)
            let parent = Int(nodes[Int(block.owner)].parent)
            guard parent >= 0 else { continue }
            votes[parent] += vote
            let grandparent = Int(nodes[parent].parent)
            if grandparent >= 0 { votes[grandparent] += vote / 2 }
        }
        for i in stride(from: nodes.count - 1, through: 1, by: -1) where nodes[i].parent >= 0 {
            chars[Int(nodes[i].parent)] += chars[i]
            links[Int(nodes[i].parent)] += links[i]
        }
        var best: Int?
        var bestScore = 0.0
        for i in nodes.indices where votes[i] > 0 {
            let score = votes[i] * (1 - Double(links[i]) / Double(max(1, chars[i])))
            if score > bestScore { best = i; bestScore = score }
        }
        return best
    }

    /// Readable characters (see `isReadable`) under each element.
    static func readableText(_ nodes: [HTMLTree.Node], _ blocks: [Block]) -> [Int] {
        var readable = [Int](repeating: 0, count: nodes.count)
        for block in blocks where isReadable(block) { readable[Int(block.owner)] += block.chars - block.linkChars }
        for i in stride(from: nodes.count - 1, through: 1, by: -1) where nodes[i].parent >= 0 {
            readable[Int(nodes[i].parent)] += readable[i]
        }
        return readable
    }
}
