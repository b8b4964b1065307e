/// Choosing the article element, and the second looks that keep a wrong first choice from losing the article.
extension ArticleExtractor {
    /// The share of the chosen element's article-like text a child must hold for the choice to move down
    /// to it. 0.8 on the four dev collections: 0.7 cut real article parts (a lead in its own box), 0.9
    /// left the other column's blurbs in.
    static let descendShare = 0.8
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
        if subtree[best] <= 0 { return (0, subtree) }
        // The element that won holds the article and, often, a column's other text beside it (an "about"
        // blurb, a teaser that reads like a sentence). Go down to the child holding most of its article-like
        // text in more than one block, while there is one.
        var good = [Int](repeating: 0, count: nodes.count)
        var count = [Int](repeating: 0, count: nodes.count)
        for block in blocks where block.isArticleLike { good[Int(block.owner)] += block.chars; count[Int(block.owner)] += 1 }
        for i in stride(from: Int(nodes[best].end) - 1, to: best, by: -1) {
            good[Int(nodes[i].parent)] += good[i]
            count[Int(nodes[i].parent)] += count[i]
        }
        descending: while true {
            var child = best + 1
            while child < Int(nodes[best].end) {
                if count[child] >= 2, Double(good[child]) >= ArticleExtractor.descendShare * Double(good[best]),
                   !paragraphsBeside(nodes, blocks, parent: best, child: child) { best = child; continue descending }
                child = Int(nodes[child].end)
            }
            break
        }
        return (best, subtree)
    }

    /// Undoes the cuts that took the article: an element cut by its name or class words that holds at least
    /// twice the article-like text of the chosen element (measured on the page as shown, `shownText`) is the
    /// article's container misnamed, not boilerplate. So are elements of one tag, first class word and cut
    /// that together hold twice as much (the posts of a blog's front page, each "entry author-NAME").
    /// Comments are left cut: a long thread under a short post is still not the post. True when a cut was undone.
    static func restoreCutArticle(_ nodes: [HTMLTree.Node], _ cut: inout [Cut?], shownText: [Int], best: Int) -> Bool {
        let kept = articleText(nodes, blocks(nodes, cut: cut, withText: false))[best]
        // The outermost cuts that could be undone, and what each group of alike ones holds.
        var candidates: [(index: Int, group: String)] = []
        var groups: [String: (held: Int, count: Int)] = [:]
        var i = 0
        while i < nodes.count {
            guard let reason = cut[i], !nodes[i].isText else { i += 1; continue }
            if reason.category != "hidden", reason.category != "comments", shownText[i] >= 200 {
                let group = nodes[i].tag + " " + nodes[i].text.prefix { $0 != " " } + " " + reason.ruleID
                candidates.append((i, group))
                groups[group, default: (0, 0)].held += shownText[i]
                groups[group, default: (0, 0)].count += 1
            }
            i = Int(nodes[i].end)
        }
        // One undo at a time, the largest first (the caller chooses again and calls again): once the
        // article is back, smaller cuts measure against it and stay.
        func undo(_ i: Int) {
            // The element and the wrappers inside it that hold most of the same text.
            for j in i..<Int(nodes[i].end) where cut[j] != nil && cut[j]!.category != "hidden" && shownText[j] * 2 >= shownText[i] {
                cut[j] = nil
            }
        }
        if let largest = candidates.max(by: { shownText[$0.index] < shownText[$1.index] }), shownText[largest.index] >= 2 * kept {
            undo(largest.index)
            return true
        }
        // Teaser lists are cut for their repetition in the first place: not a group to undo.
        let group = groups.filter { $0.value.count >= 2 && !$0.key.hasSuffix("html.repeated-teasers") }.max { $0.value.held < $1.value.held }
        guard let group, group.value.held >= 2 * kept else { return false }
        for candidate in candidates where candidate.group == group.key { undo(candidate.index) }
        return true
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

extension ArticleExtractor {
    /// The chosen element and those of its siblings that hold article text of their own, in page order:
    /// a sibling with at least half the chosen element's article-like text, not mostly links. When the
    /// chosen element, its parent or its grandparent has siblings of the same tag and first class word with article
    /// text (a fifth of its own or more), those are the other posts of a blog's front page or the other
    /// parts of a split article: they come instead; a sibling with the very same class and id joins with two
    /// article-like paragraphs and a tenth of the text (the last section of a post laid out in sections).
    /// The whole page (0) stays alone.
    static func withSiblings(_ nodes: [HTMLTree.Node], best: Int, blocks: [Block]) -> [Int] {
        guard best > 0, nodes[best].parent >= 0 else { return [best] }
        var good = [Int](repeating: 0, count: nodes.count)
        var chars = [Int](repeating: 0, count: nodes.count)
        var links = [Int](repeating: 0, count: nodes.count)
        var paragraphs = [Int](repeating: 0, count: nodes.count)  // article-like blocks
        for block in blocks {
            chars[Int(block.owner)] += block.chars
            links[Int(block.owner)] += block.linkChars
            if block.isArticleLike { good[Int(block.owner)] += block.chars; paragraphs[Int(block.owner)] += 1 }
        }
        for i in stride(from: nodes.count - 1, to: 0, by: -1) where nodes[i].parent >= 0 {
            good[Int(nodes[i].parent)] += good[i]
            chars[Int(nodes[i].parent)] += chars[i]
            links[Int(nodes[i].parent)] += links[i]
            paragraphs[Int(nodes[i].parent)] += paragraphs[i]
        }
        func children(of parent: Int) -> [Int] {
            var list: [Int] = []
            var child = parent + 1
            while child < Int(nodes[parent].end) { list.append(child); child = Int(nodes[child].end) }
            return list
        }
        func rich(_ i: Int, _ share: Int) -> Bool {
            !nodes[i].isText && good[i] > 0 && good[i] * share >= good[best] && links[i] * 4 < chars[i]
        }
        // Alike siblings of the element or of one of its two nearest ancestors.
        var element = best
        for _ in 0..<3 {
            let parent = Int(nodes[element].parent)
            guard parent > 0 else { break }
            // The first class word names the kind of element ("post", "entry"); later ones and the id vary.
            let kind = nodes[element].text.prefix { $0 != " " }
            let alike = children(of: parent).filter {
                $0 != element && !kind.isEmpty && nodes[$0].tag == nodes[element].tag && nodes[$0].text.prefix { $0 != " " } == kind
                    && (rich($0, 5) || (nodes[$0].text == nodes[element].text && paragraphs[$0] >= 2 && rich($0, 10)))
            }
            if !alike.isEmpty { return ([element] + alike).sorted() }
            element = parent
        }
        return children(of: Int(nodes[best].parent)).filter { $0 == best || rich($0, 2) }
    }
}

extension ArticleExtractor {
    /// Whether `parent` holds article-like paragraphs of its own beside `child` (two, or 250 characters): then
    /// the child is a part of the article (the rest of a story behind "read more", a quoted letter), not the
    /// article beside a column's blurb, and the choice does not move down to it.
    static func paragraphsBeside(_ nodes: [HTMLTree.Node], _ blocks: [Block], parent: Int, child: Int) -> Bool {
        var count = 0
        var chars = 0
        for block in blocks where block.isArticleLike {
            let owner = Int(block.owner)
            guard owner >= parent, owner < Int(nodes[parent].end) else { continue }
            if owner >= child && owner < Int(nodes[child].end) { continue }
            if owner == parent || (Int(nodes[owner].parent) == parent && nodes[owner].tag == "p") { count += 1; chars += block.chars }
        }
        return count >= 2 || chars >= 250
    }
}
