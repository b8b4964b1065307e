import Testing
@testable import WinnowFeeds

/// Relative references resolved as RFC 3986 section 5.4 resolves them (the examples of the RFC whose
/// result Python's urljoin, which feedparser uses, agrees with).
@Suite struct URLResolverTests {
    @Test(arguments: [
        ("g", "http://a/b/c/g"), ("./g", "http://a/b/c/g"), ("g/", "http://a/b/c/g/"), ("/g", "http://a/g"),
        ("?y", "http://a/b/c/d;p?y"), ("g?y", "http://a/b/c/g?y"), ("#s", "http://a/b/c/d;p?q#s"), ("g#s", "http://a/b/c/g#s"),
        (";x", "http://a/b/c/;x"), ("g;x", "http://a/b/c/g;x"), ("", "http://a/b/c/d;p?q"), (".", "http://a/b/c/"),
        ("./", "http://a/b/c/"), ("..", "http://a/b/"), ("../", "http://a/b/"), ("../g", "http://a/b/g"), ("../..", "http://a/"),
        ("../../g", "http://a/g"), ("/./g", "http://a/g"), ("/../g", "http://a/g"), ("g.", "http://a/b/c/g."), (".g", "http://a/b/c/.g"),
        ("g..", "http://a/b/c/g.."), ("..g", "http://a/b/c/..g"), ("./../g", "http://a/b/g"), ("./g/.", "http://a/b/c/g/"),
        ("g/./h", "http://a/b/c/g/h"), ("g/../h", "http://a/b/c/h"), ("pic.jpg", "http://a/b/c/pic.jpg"), ("...", "http://a/b/c/..."),
        ("http://x/y/../z.html", "http://x/y/../z.html"),
    ])
    func rfc3986Examples(_ reference: String, _ expected: String) {
        #expect(URLResolver.resolve(reference, against: "http://a/b/c/d;p?q") == expected)
    }

    /// The fast check agrees with the segment-by-segment reading on what it skips.
    @Test func pathsWithoutDotSegmentsComeOutAsTheyAre() {
        for path in ["/a/b.c/d.html", "/a/.b/c..", "/...", "a.b", "/", "", "/a//b", "/a/b/"] {
            #expect(!URLResolver.hasDotSegment(path), "\(path)")
            #expect(URLResolver.removeDotSegments(path) == path)
        }
        for path in ["/a/./b", "/a/../b", ".", "..", "/a/..", "./a", "/a/."] {
            #expect(URLResolver.hasDotSegment(path), "\(path)")
        }
    }
}
