import ArgumentParser
import Foundation
import WinnowClean
import WinnowPipeline

/// `winnowctl feeds list|add|remove|import|export`: the configuration's feeds, edited without touching
/// JSON by hand. Every change is validated as the daemon would before the file is replaced (atomically),
/// and a running daemon is told to reload.
struct Feeds: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, add, remove, import (OPML) and export (OPML) the feeds of pipeline.json.",
        subcommands: [List.self, Add.self, Remove.self, Import.self, ExportOPML.self])

    struct ConfigOption: ParsableArguments {
        @Option(name: .long, help: "The configuration to read and change.")
        var config = "pipeline.json"
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the configured feeds.")
        @OptionGroup var options: ConfigOption
        @Flag(name: .long, help: "Print JSON.") var json = false

        struct Row: Encodable {
            var name: String
            var url: String
            var interval_seconds: Double
        }

        func run() throws {
            let rows = try loadConfiguration(options.config).feeds.map { Row(name: $0.name, url: $0.url, interval_seconds: $0.interval) }
            if json { return try printJSON(rows) }
            printTable(header: ["NAME", "INTERVAL", "URL"], rows: rows.map { [$0.name, "\(Int($0.interval_seconds))s", $0.url] })
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a feed.")
        @Argument(help: "A unique name for the feed.") var name: String
        @Argument(help: "The feed's http(s) URL.") var url: String
        @Option(name: .long, help: "How often to poll it, like 15m or 1h (default: defaults.interval).") var interval: String?
        @OptionGroup var options: ConfigOption
        @Flag(name: .long, help: "Print JSON.") var json = false

        func run() throws {
            var file = try ConfigFile(path: options.config)
            if file.feeds.contains(where: { ($0["url"] as? String) == url }) {
                throw CLIError(.dataError, "\(url) is already configured (feed \"\(file.name(ofURL: url) ?? "")\"); nothing changed", input: url)
            }
            var entry: [String: Any] = ["name": name, "url": url]
            if let interval { entry["interval"] = interval }
            file.feeds.append(entry)
            let reload = try file.save()
            try report(json: json, message: "added \(name) (\(url)) to \(options.config); \(reload)", added: [name], skipped: [])
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a feed (its stored articles are kept).")
        @Argument(help: "The feed's name.") var name: String
        @OptionGroup var options: ConfigOption
        @Flag(name: .long, help: "Print JSON.") var json = false

        func run() throws {
            var file = try ConfigFile(path: options.config)
            let before = file.feeds.count
            file.feeds.removeAll { ($0["name"] as? String) == name }
            guard file.feeds.count < before else {
                throw CLIError(.noInput, "no feed named \"\(name)\" in \(options.config); see the names with winnowctl feeds list", input: name)
            }
            let reload = try file.save()
            try report(json: json, message: "removed \(name) from \(options.config) (its stored articles stay); \(reload)", removed: [name])
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add the feeds of an OPML file (nested outlines flattened; feeds whose URL is configured already are skipped).")
        @Argument(help: "The OPML file, as readers export it.") var file: String
        @Option(name: .long, help: "Poll the imported feeds this often (default: defaults.interval).") var interval: String?
        @OptionGroup var options: ConfigOption
        @Flag(name: .long, help: "Print JSON.") var json = false

        func run() throws {
            let outlines = try OPML.read(path: file)
            var config = try ConfigFile(path: options.config)
            var known = Set(config.feeds.compactMap { ($0["url"] as? String).map(OPML.urlKey) })
            var names = Set(config.feeds.compactMap { $0["name"] as? String })
            var added: [String] = [], skipped: [String] = [], refused: [String] = []
            for outline in outlines {
                let lower = outline.url.lowercased()
                guard lower.hasPrefix("http://") || lower.hasPrefix("https://"), URL(string: outline.url)?.host?.isEmpty == false else {
                    refused.append(outline.url)
                    FileHandle.standardError.write(Data("winnowctl: \(file): outline \"\(outline.title ?? "")\" has xmlUrl \"\(outline.url)\", not an http(s) URL; skipped\n".utf8))
                    continue
                }
                guard known.insert(OPML.urlKey(outline.url)).inserted else {
                    skipped.append(outline.url)
                    continue
                }
                let name = OPML.uniqueName(for: outline, taken: names)
                names.insert(name)
                var entry: [String: Any] = ["name": name, "url": outline.url]
                if let interval { entry["interval"] = interval }
                config.feeds.append(entry)
                added.append(name)
            }
            let reload = added.isEmpty ? "nothing to reload" : try config.save()
            try report(json: json, message: "imported \(added.count) feed\(added.count == 1 ? "" : "s") from \(file) into \(options.config) (\(skipped.count) already configured, skipped); \(reload)",
                       added: added, skipped: skipped)
            for name in added where !json { print("  + \(name)") }
            if !refused.isEmpty { throw ExitCode(ExitStatus.dataError.rawValue) }
        }
    }

    struct ExportOPML: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "export", abstract: "Print the configured feeds as OPML 2.0.")
        @OptionGroup var options: ConfigOption
        @Option(name: .long, help: "Write to this file instead of standard output.") var output: String?

        func run() throws {
            let configuration = try loadConfiguration(options.config)
            let out = try OutputFile(path: output)
            do {
                try out.write(OPML.document(title: "Winnow feeds (\(options.config))", feeds: configuration.feeds.map { ($0.name, $0.url) }))
                try out.finish()
            } catch {
                out.abandon()
                throw error
            }
        }
    }
}

/// What a feeds change printed: a line, or with --json an object.
private func report(json: Bool, message: String, added: [String] = [], skipped: [String] = [], removed: [String] = []) throws {
    struct Output: Encodable {
        var ok = true
        var message: String
        var added: [String]
        var skipped: [String]
        var removed: [String]
    }
    if json { return try printJSON(Output(message: message, added: added, skipped: skipped, removed: removed)) }
    print(message)
}

/// pipeline.json as JSON values, to change its feed list and write it back whole.
struct ConfigFile {
    let path: String
    var root: [String: Any]
    var feeds: [[String: Any]]

    init(path: String) throws {
        // Loading it as the daemon would names any problem it has before anything is changed.
        _ = try loadConfiguration(path)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let root = try ConfigJSON.parse(data) as? [String: Any] else {
            throw CLIError(.config, "config: \(path) is not a JSON object", input: path)
        }
        self.path = path
        self.root = root
        feeds = (root["feeds"] as? [[String: Any]]) ?? []
    }

    func name(ofURL url: String) -> String? {
        feeds.first { ($0["url"] as? String) == url }?["name"] as? String
    }

    /// Validates the changed configuration, replaces the file atomically, and asks a running daemon to
    /// reload. Returns what became of the reload, in words.
    func save() throws -> String {
        var root = self.root
        root["feeds"] = feeds
        let data = try JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]) + Data("\n".utf8)
        let configPath = URL(fileURLWithPath: path).standardizedFileURL.path
        // The change is refused whole when the result would not load (a duplicate name, a bad interval).
        let configuration = try PipelineConfiguration.parse(data, configPath: configPath)
        do {
            try data.write(to: URL(fileURLWithPath: configPath), options: .atomic)
        } catch {
            throw CLIError(.ioError, "cannot write \(path): \(CLIError.from(error).message); nothing changed", input: path)
        }
        do {
            let response = try ControlClient.send(ControlRequest(command: "reload"), to: configuration.controlSocketPath, timeout: 5)
            guard response.ok else {
                throw CLIError(.config, "\(path) was written, but winnowd refused to reload it: \(response.error ?? "no reason given")", input: path)
            }
            return "winnowd is reloading it"
        } catch is ControlClient.Unavailable {
            return "winnowd is not running: it reads the change when it starts"
        }
    }
}

/// OPML 2.0 feed lists (what every reader imports and exports).
enum OPML {
    struct Outline: Equatable {
        var url: String
        var title: String?
    }

    /// Every outline with an `xmlUrl`, nested ones included, in document order.
    static func read(path: String) throws -> [Outline] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw CLIError(.noInput, "\(path): no such file; check the path of the OPML file", input: path)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError(.ioError, "cannot read \(path): permission denied or an I/O error", input: path)
        }
        if let reason = DocumentCheck.refusal(data) { throw CLIError(.dataError, "\(path) \(reason); give an OPML file", input: path) }
        let collector = OutlineCollector()
        let parser = XMLParser(data: data)
        parser.delegate = collector
        // XMLParser returns true on some broken documents: its parserError is the word that counts.
        if !parser.parse() || parser.parserError != nil {
            let line = parser.lineNumber, column = parser.columnNumber
            throw CLIError(.dataError, "\(path) is not well-formed XML (line \(line), column \(column)): \(parser.parserError.map { "\($0.localizedDescription)" } ?? "parse error"); export it again from the reader", input: path)
        }
        guard collector.sawOPML else { throw CLIError(.dataError, "\(path) is XML but not OPML (its root is not <opml>)", input: path) }
        guard !collector.outlines.isEmpty else {
            throw CLIError(.dataError, "\(path) lists no feeds (no <outline> has an xmlUrl)", input: path)
        }
        return collector.outlines
    }

    final class OutlineCollector: NSObject, XMLParserDelegate {
        var outlines: [Outline] = []
        var sawOPML = false
        var depth = 0

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            if depth == 0 { sawOPML = name.lowercased() == "opml" }
            depth += 1
            guard name.lowercased() == "outline" else { return }
            // Readers spell it xmlUrl; a few write xmlurl or XMLURL.
            let lowered = Dictionary(attributes.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a })
            guard let url = lowered["xmlurl"]?.trimmingCharacters(in: .whitespacesAndNewlines), !url.isEmpty else { return }
            let title = [lowered["title"], lowered["text"]].compactMap { $0?.trimmingCharacters(in: .whitespacesAndNewlines) }.first { !$0.isEmpty }
            outlines.append(Outline(url: url, title: title))
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            depth -= 1
        }
    }

    /// Two spellings of one feed URL compare equal: scheme and host are case-insensitive, a trailing slash is noise.
    static func urlKey(_ url: String) -> String {
        guard var parts = URLComponents(string: url) else { return url }
        parts.scheme = parts.scheme?.lowercased()
        parts.host = parts.host?.lowercased()
        var key = parts.string ?? url
        if key.hasSuffix("/") { key.removeLast() }
        return key
    }

    /// A name from the outline's title (or its host), made unique among `taken`.
    static func uniqueName(for outline: Outline, taken: Set<String>) -> String {
        let source = outline.title ?? URLComponents(string: outline.url)?.host ?? "feed"
        var slug = ""
        for scalar in source.lowercased().unicodeScalars {
            if CharacterSet.alphanumerics.contains(scalar) {
                slug.unicodeScalars.append(scalar)
            } else if !slug.isEmpty && !slug.hasSuffix("-") {
                slug += "-"
            }
        }
        while slug.hasSuffix("-") { slug.removeLast() }
        if slug.isEmpty || slug == "local" { slug = "feed" }
        slug = String(slug.prefix(60))
        var name = slug, n = 2
        while taken.contains(name) {
            name = "\(slug)-\(n)"
            n += 1
        }
        return name
    }

    static func document(title: String, feeds: [(name: String, url: String)]) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n  <head>\n"
        out += "    <title>\(escape(title))</title>\n    <dateCreated>\(formatter.string(from: Date()))</dateCreated>\n  </head>\n  <body>\n"
        for feed in feeds {
            out += "    <outline type=\"rss\" text=\"\(escape(feed.name))\" title=\"\(escape(feed.name))\" xmlUrl=\"\(escape(feed.url))\"/>\n"
        }
        out += "  </body>\n</opml>\n"
        return out
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(c)
            }
        }
        return out
    }
}

#if canImport(FoundationXML)
import FoundationXML
#endif
