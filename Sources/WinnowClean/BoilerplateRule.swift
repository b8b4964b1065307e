import Foundation

/// One boilerplate rule: data, not code. Shipped defaults can be disabled by id and extended in pipeline.json.
public struct BoilerplateRule: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        /// Removes each paragraph the pattern matches.
        case paragraph
        /// A heading that starts a block (author bio, comments) running to the end of the document.
        case blockStart = "block-start"
        /// A byline: the paragraph leaves the body and its first capture group becomes the author.
        case byline
        /// A label heading a block of teasers ("More from ...", "Related links:"): the label goes, and so does
        /// all that follows it when none of that is long enough to be the article's own text.
        case teaserLabel = "teaser-label"
    }

    public var id: String
    public var category: String
    public var kind: Kind
    /// An ICU regular expression, matched against each normalized paragraph. With `maxLength` set, a
    /// pattern need not bound the paragraph itself: "contains X" is written `X`, not `^.{0,300}X.{0,300}$`,
    /// which costs ICU a try at every offset.
    public var pattern: String
    /// The longest paragraph (in UTF-16 units) the pattern can match, when it is bounded: longer ones are
    /// not tried, which saves most of the rules' time on article paragraphs. Nil: every paragraph is tried.
    public var maxLength: Int?
    /// Lowercase words or phrases of which a paragraph must hold one for the pattern to be tried (a cheap
    /// test that spares most paragraphs the regular expression). Nil: every paragraph is tried.
    public var keywords: [String]?

    public init(id: String, category: String, kind: Kind = .paragraph, pattern: String, maxLength: Int? = nil, keywords: [String]? = nil) {
        self.id = id
        self.category = category
        self.kind = kind
        self.pattern = pattern
        self.maxLength = maxLength
        self.keywords = keywords
    }
}

extension BoilerplateRule {
    /// The shipped rules, one per kind of boilerplate found in real scraped news (see ../shared/seeds).
    public static let defaults: [BoilerplateRule] = [
        .init(id: "commerce.cart-empty", category: "commerce",
              pattern: #"(?i)^your (shopping )?(cart|basket|bag) is (currently )?empty[.!]*$"#, maxLength: 80, keywords: ["cart", "basket", "bag"]),
        .init(id: "commerce.added-to-cart", category: "commerce",
              pattern: #"(?i)^(.{0,80} )?(has been )?added to (your )?(cart|basket)[.!]*$"#, maxLength: 150, keywords: ["added to"]),
        .init(id: "subscription.subscribe-prompt", category: "subscription",
              pattern: #"(?i)^subscribe (to|now|today)\b.{0,200}$"#, maxLength: 240, keywords: ["subscribe"]),
        .init(id: "subscription.already-subscribed", category: "subscription",
              pattern: #"(?i)^already (a )?(subscribed|subscriber|a member|have an account)\b.{0,200}$"#, maxLength: 240, keywords: ["already"]),
        .init(id: "subscription.login-to-continue", category: "subscription",
              pattern: #"(?i)^(log|sign) ?in to (continue|read|keep reading|join)\b.{0,200}$"#, maxLength: 240, keywords: ["login", "log in", "signin", "sign in"]),
        .init(id: "subscription.paywall", category: "subscription",
              pattern: #"(?i)^(this (article|story|content) is (only )?(available )?(for|to) (subscribers|members)|to continue reading,? (please )?(subscribe|log ?in|sign ?in)).{0,200}$"#, maxLength: 300, keywords: ["subscribers", "members", "continue reading"]),
        .init(id: "newsletter.sign-up", category: "newsletter",
              pattern: #"(?i)^(sign up|subscribe) (for|to) (our|the) .{0,60}newsletters?\b.{0,160}$"#, maxLength: 280, keywords: ["newsletter"]),
        .init(id: "ai-voice.generated", category: "ai-voice",
              pattern: #"(?i)^[^\p{L}\p{N}]{0,6}(voice|audio|this (audio|narration)) (is|was) (ai|computer)[- ]generated\b.{0,120}$"#, maxLength: 180, keywords: ["generated"]),
        .init(id: "ai-voice.listen", category: "ai-voice",
              pattern: #"(?i)^[^\p{L}\p{N}]{0,6}listen to (this|the) (article|story)\b.{0,80}$"#, maxLength: 120, keywords: ["listen to"]),
        .init(id: "share.prompt", category: "share",
              pattern: #"(?i)^(share (your (perspective|thoughts|story)|this (article|story|page))|share on (facebook|twitter|x|linkedin)|join the conversation|leave a comment|comments?)[.!:]*$"#, maxLength: 60, keywords: ["share", "conversation", "comment"]),
        .init(id: "related.label", category: "related", kind: .teaserLabel,
              pattern: #"(?i)^(related( articles?| stories| coverage| links| content| news)?|read (also|next)|see also|recommended( for you| stories| reading)?|more (from|stories|on this|in|on)?[\p{L} ]{0,40}|you (may|might) also like|most (read|popular|viewed)( in [\p{L} ]{0,30})?|partner (news|content)|around the web|from (our|the) partners?)[:.]?$"#, maxLength: 90,
              keywords: ["related", "read ", "see also", "recommended", "more", "you m", "most ", "partner ", "around the web", "from "]),
        .init(id: "read-more.button", category: "read-more",
              pattern: #"(?i)^(read|show|see|view) (more|full (story|article)|the full (story|article))[.…:!]*$"#, maxLength: 40, keywords: ["more", "full"]),
        .init(id: "read-more.truncation", category: "read-more",
              pattern: #"(?i)(\.\.\.|…)\s*read more[.!]?$"#, maxLength: 600, keywords: ["read more"]),
        .init(id: "caption.photo-description", category: "caption",
              pattern: #"(?i)^(in )?(this|a) (handout |file )?(photo|image|picture)\b.{0,600}$"#, maxLength: 660, keywords: ["photo", "image", "picture"]),
        .init(id: "caption.credit", category: "caption",
              pattern: #"(\((photo|image|picture)?[^()]{0,120}(/| via | by )(AP|Reuters|AFP|EPA|Getty Images|Bloomberg|Shutterstock|U\.S\. [A-Z][a-z]+)[^()]{0,40}\)|[A-Z]{2,}[^.]{0,40}/(Getty Images|AFP|Reuters|AP)( News)?)\s*$"#, maxLength: 600, // The credit follows "/", " via " or " by ": those with the agency are the keywords ("ap" alone is in
              // every other paragraph, and this unanchored pattern costs ICU a try at every offset).
              keywords: ["/ap", "/reuters", "/afp", "/epa", "/getty images", "/bloomberg", "/shutterstock", "/u.s. ", "via ap", "via reuters", "via afp", "via epa", "via getty images", "via bloomberg", "via shutterstock", "via u.s. ", "by ap", "by reuters", "by afp", "by epa", "by getty images", "by bloomberg", "by shutterstock", "by u.s. "]),
        .init(id: "caption.photo-credit-line", category: "caption",
              pattern: #"(?i)^(photo|image|picture|illustration)( credit)?s?:\s.{0,160}$"#, maxLength: 200, keywords: ["photo", "image", "picture", "illustration"]),
        .init(id: "bio.about-heading", category: "bio", kind: .blockStart,
              pattern: #"(?i)^about the (author|authors|writer|reporter|contributor)s?:?$"#, maxLength: 60, keywords: ["about the"]),
        .init(id: "advertising.label", category: "advertising",
              pattern: #"(?i)^[^\p{L}]{0,3}(advertisement|advertising|advert|ad|sponsored( content)?|paid content|promoted|anzeige|publicidad|publicité|pubblicità|reklama|реклама)[^\p{L}]{0,3}$"#, maxLength: 30),
        .init(id: "newsletter.inbox-prompt", category: "newsletter",
              pattern: #"(?i)^(get|sign up|subscribe|join|receive|want|never miss|stay (up to date|informed)|start your day)\b.{0,160}\b(inbox|newsletters?|e-?mail updates|daily (email|briefing))\b.{0,160}$"#, maxLength: 360, keywords: ["inbox", "newsletter", "updates", "daily"]),
        .init(id: "newsletter.more-like-this", category: "newsletter",
              pattern: #"(?i)^(want more (stories|news|articles) like this\??|every (day|morning|week) we send .{0,120})$"#, maxLength: 160, keywords: ["like this", "we send"]),
        .init(id: "consent.cookies", category: "consent",
              pattern: #"(?i)\b(uses?|using) cookies\b"#, maxLength: 440, keywords: ["cookies"]),
        .init(id: "disclosure.affiliate", category: "disclosure",
              pattern: #"(?i)\b(may (contain|include)|contains|includes|uses) (affiliate|referral)( and/or referral)? links?\b"#, maxLength: 300, keywords: ["affiliate", "referral"]),
        .init(id: "prompt.requires-javascript", category: "prompt",
              pattern: #"(?i)\b(requires|enable|needs) javascript\b"#, maxLength: 140, keywords: ["javascript"]),
        .init(id: "share.tell-us", category: "share",
              pattern: #"(?i)^(tell us what (you|YOU) think|what do you think\?|let us know (what you think|in the comments))[.!?…]*$"#, maxLength: 60,
              keywords: ["tell us", "what do you think", "let us know"]),
        .init(id: "related.kicker-label", category: "related",
              pattern: #"(?i)^(don'?t miss|trending( now| stories)?|see more (photos|videos|pictures)|more (photos|videos)|watch( now| more)?|also read|also see|top stories|latest( news| stories)?|editor'?s picks?)[:.!]*$"#, maxLength: 40,
              keywords: ["miss", "trending", "more", "watch", "also ", "top stories", "latest", "editor"]),
        .init(id: "caption.agency-credit", category: "caption",
              pattern: #"^[^.!?]{0,100}(\||/|via|©)\s*(Getty Images|AFP|Reuters|AP( Photo)?|Bloomberg|EPA(-EFE)?|Shutterstock|Alamy|PA( Images| Wire)?|Xinhua|NurPhoto)( via Getty Images)?\.?$"#, maxLength: 160, keywords: ["|", "/", "via", "©"]),
        .init(id: "bio.contact-author", category: "bio",
              pattern: #"(?i)^(have a (news )?tip\?|got a (news )?tip\?|contact (the )?(author|writer|reporter)|[^.]{0,80} (may|can) be reached at)\b.{0,200}$"#, maxLength: 300, keywords: ["tip", "contact", "reached at"]),
        .init(id: "dateline.date-only", category: "dateline",
              pattern: #"(?i)^(?=.*\d)(?:[\s,.:;@·|/()–-]*(?:\d{1,4}(?:st|nd|rd|th|h)?|jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:rs(?:day)?)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?|[ap]\.?m\.?|at|on|published|updated|posted|last|modified|date|gmt|utc|[a-z]{1,3}t|ist|cest?|hkt))+[\s.]*$"#, maxLength: 90,
              // A date holds a digit (ICU's \d also takes other scripts' digits: a date line written only in those is not caught).
              keywords: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]),
        .init(id: "footer.copyright", category: "footer",
              pattern: #"(?i)((©|\(c\)|copyright)\s*\d{4}|\ball rights reserved\b)"#, maxLength: 400, keywords: ["©", "(c)", "copyright", "rights reserved"]),
        .init(id: "byline.by-line", category: "byline", kind: .byline,
              pattern: #"^(?:By|BY|by)\s+(\p{Lu}[\p{L}.'’-]*(?:\s+(?:\p{Lu}[\p{L}.'’-]*|and|&|de|van|von|al|bin)){0,6})(?:\s*[-|–—,•]\s*[^.]{0,60}\d[^.]{0,40})?\s*$"#, maxLength: 160, keywords: ["by"]),
    ]
}

/// Rule ids of the structural rules the cleaner applies in code (they look at neighbours, not one paragraph).
public enum StructuralRule {
    public static let repeatedParagraph = "repeat.paragraph"
    public static let sectionLabel = "section.label"
    public static let captionHeading = "caption.heading"
    public static let trailingTeasers = "related.trailing-teasers"
    public static let htmlElement = "html.element"
}
