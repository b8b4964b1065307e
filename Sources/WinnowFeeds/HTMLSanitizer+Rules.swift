// The allow-lists below are generated from Python feedparser's sanitizer by
// bench/feeds/gen-sanitizer-rules.py (feedparser 6.0.14); edit the generator's source, not the lists.

extension HTMLSanitizer {
    /// Elements kept (their tags; the text inside is kept either way).
    static let acceptableElements: Set<String> = [
        "a", "abbr", "acronym", "address", "area", "article", "aside", "audio", "b", "big", "blockquote", "br",
        "button", "canvas", "caption", "center", "cite", "code", "col", "colgroup", "command", "datagrid", "datalist",
        "dd", "del", "details", "dfn", "dialog", "dir", "div", "dl", "dt", "em", "event-source", "fieldset",
        "figcaption", "figure", "font", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "i",
        "img", "input", "ins", "kbd", "keygen", "label", "legend", "li", "m", "map", "menu", "meter", "multicol",
        "nav", "nextid", "noscript", "ol", "optgroup", "option", "output", "p", "pre", "progress", "q", "s", "samp",
        "section", "select", "small", "sound", "source", "spacer", "span", "strike", "strong", "sub", "sup", "table",
        "tbody", "td", "textarea", "tfoot", "th", "thead", "time", "tr", "tt", "u", "ul", "var", "video"
    ]

    /// Attributes kept on HTML elements.
    static let acceptableAttributes: Set<String> = [
        "abbr", "accept", "accept-charset", "accesskey", "action", "align", "alt", "autocomplete", "autofocus",
        "axis", "background", "balance", "bgcolor", "bgproperties", "border", "bordercolor", "bordercolordark",
        "bordercolorlight", "bottompadding", "cellpadding", "cellspacing", "ch", "challenge", "char", "charoff",
        "charset", "checked", "choff", "cite", "class", "clear", "color", "cols", "colspan", "compact",
        "contenteditable", "controls", "coords", "data", "datafld", "datapagesize", "datasrc", "datetime", "default",
        "delay", "dir", "disabled", "draggable", "dynsrc", "enctype", "end", "face", "for", "form", "frame",
        "galleryimg", "gutter", "headers", "height", "hidden", "hidefocus", "high", "href", "hreflang", "hspace",
        "icon", "id", "inputmode", "ismap", "keytype", "label", "lang", "leftspacing", "list", "longdesc", "loop",
        "loopcount", "loopend", "loopstart", "low", "lowsrc", "max", "maxlength", "media", "method", "min",
        "multiple", "name", "nohref", "noshade", "nowrap", "open", "optimum", "pattern", "ping", "point-size",
        "poster", "pqg", "preload", "prompt", "radiogroup", "readonly", "rel", "repeat-max", "repeat-min", "replace",
        "required", "rev", "rightspacing", "rows", "rowspan", "rules", "scope", "selected", "shape", "size", "span",
        "src", "start", "step", "style", "summary", "suppress", "tabindex", "target", "template", "title",
        "toppadding", "type", "unselectable", "urn", "usemap", "valign", "value", "variable", "volume", "vrml",
        "vspace", "width", "wrap", "xml:lang"
    ]

    /// CSS properties kept in `style`.
    static let acceptableCSSProperties: Set<String> = [
        "azimuth", "background-color", "border-bottom-color", "border-collapse", "border-color", "border-left-color",
        "border-right-color", "border-top-color", "clear", "color", "cursor", "direction", "display", "elevation",
        "float", "font", "font-family", "font-size", "font-style", "font-variant", "font-weight", "height",
        "letter-spacing", "line-height", "overflow", "pause", "pause-after", "pause-before", "pitch", "pitch-range",
        "richness", "speak", "speak-header", "speak-numeral", "speak-punctuation", "speech-rate", "stress",
        "text-align", "text-decoration", "text-indent", "unicode-bidi", "vertical-align", "voice-family", "volume",
        "white-space", "width"
    ]

    /// Keywords a `background-*`, `border-*`, `margin-*` or `padding-*` value may be made of.
    static let acceptableCSSKeywords: Set<String> = [
        "!important", "aqua", "auto", "black", "block", "blue", "bold", "both", "bottom", "brown", "center",
        "collapse", "dashed", "dotted", "fuchsia", "gray", "green", "italic", "left", "lime", "maroon", "medium",
        "navy", "none", "normal", "nowrap", "olive", "pointer", "purple", "red", "right", "silver", "solid", "teal",
        "top", "transparent", "underline", "white", "yellow"
    ]

    /// MathML elements kept inside `<math xmlns="http://www.w3.org/1998/Math/MathML">`.
    static let mathMLElements: Set<String> = [
        "annotation", "annotation-xml", "maction", "maligngroup", "malignmark", "math", "menclose", "merror",
        "mfenced", "mfrac", "mglyph", "mi", "mlabeledtr", "mlongdiv", "mmultiscripts", "mn", "mo", "mover", "mpadded",
        "mphantom", "mprescripts", "mroot", "mrow", "ms", "mscarries", "mscarry", "msgroup", "msline", "mspace",
        "msqrt", "msrow", "mstack", "mstyle", "msub", "msubsup", "msup", "mtable", "mtd", "mtext", "mtr", "munder",
        "munderover", "none", "semantics"
    ]

    /// Attributes kept on MathML elements.
    static let mathMLAttributes: Set<String> = [
        "accent", "accentunder", "actiontype", "align", "alignmentscope", "altimg", "altimg-height", "altimg-valign",
        "altimg-width", "alttext", "bevelled", "charalign", "close", "columnalign", "columnlines", "columnspacing",
        "columnspan", "columnwidth", "crossout", "decimalpoint", "denomalign", "depth", "dir", "display",
        "displaystyle", "edge", "encoding", "equalcolumns", "equalrows", "fence", "fontstyle", "fontweight", "form",
        "frame", "framespacing", "groupalign", "height", "href", "id", "indentalign", "indentalignfirst",
        "indentalignlast", "indentshift", "indentshiftfirst", "indentshiftlast", "indenttarget",
        "infixlinebreakstyle", "largeop", "length", "linebreak", "linebreakmultchar", "linebreakstyle", "lineleading",
        "linethickness", "location", "longdivstyle", "lquote", "lspace", "mathbackground", "mathcolor", "mathsize",
        "mathvariant", "maxsize", "minlabelspacing", "minsize", "movablelimits", "notation", "numalign", "open",
        "other", "overflow", "position", "rowalign", "rowlines", "rowspacing", "rowspan", "rquote", "rspace",
        "scriptlevel", "scriptminsize", "scriptsizemultiplier", "selection", "separator", "separators", "shift",
        "side", "src", "stackalign", "stretchy", "subscriptshift", "superscriptshift", "symmetric", "voffset",
        "width", "xlink:href", "xlink:show", "xlink:type", "xmlns", "xmlns:xlink"
    ]

    /// SVG Tiny elements kept inside `<svg xmlns="http://www.w3.org/2000/svg">` (lower-cased; `svgNames` restores the case).
    static let svgElements: Set<String> = [
        "a", "animate", "animatecolor", "animatemotion", "animatetransform", "circle", "defs", "desc", "ellipse",
        "font-face", "font-face-name", "font-face-src", "foreignobject", "g", "glyph", "hkern", "line",
        "lineargradient", "marker", "metadata", "missing-glyph", "mpath", "path", "polygon", "polyline",
        "radialgradient", "rect", "set", "stop", "svg", "switch", "text", "title", "tspan", "use"
    ]

    /// Attributes kept on SVG elements (lower-cased).
    static let svgAttributes: Set<String> = [
        "accent-height", "accumulate", "additive", "alphabetic", "arabic-form", "ascent", "attributename",
        "attributetype", "baseprofile", "bbox", "begin", "by", "calcmode", "cap-height", "class", "color",
        "color-rendering", "content", "cx", "cy", "d", "descent", "display", "dur", "dx", "dy", "end", "fill",
        "fill-opacity", "fill-rule", "font-family", "font-size", "font-stretch", "font-style", "font-variant",
        "font-weight", "from", "fx", "fy", "g1", "g2", "glyph-name", "gradientunits", "hanging", "height",
        "horiz-adv-x", "horiz-origin-x", "id", "ideographic", "k", "keypoints", "keysplines", "keytimes", "lang",
        "marker-end", "marker-mid", "marker-start", "markerheight", "markerunits", "markerwidth", "mathematical",
        "max", "min", "name", "offset", "opacity", "orient", "origin", "overline-position", "overline-thickness",
        "panose-1", "path", "pathlength", "points", "preserveaspectratio", "r", "refx", "refy", "repeatcount",
        "repeatdur", "requiredextensions", "requiredfeatures", "restart", "rotate", "rx", "ry", "slope", "stemh",
        "stemv", "stop-color", "stop-opacity", "strikethrough-position", "strikethrough-thickness", "stroke",
        "stroke-dasharray", "stroke-dashoffset", "stroke-linecap", "stroke-linejoin", "stroke-miterlimit",
        "stroke-opacity", "stroke-width", "systemlanguage", "target", "text-anchor", "to", "transform", "type", "u1",
        "u2", "underline-position", "underline-thickness", "unicode", "unicode-range", "units-per-em", "values",
        "version", "viewbox", "visibility", "width", "widths", "x", "x-height", "x1", "x2", "xlink:actuate",
        "xlink:arcrole", "xlink:href", "xlink:role", "xlink:show", "xlink:title", "xlink:type", "xml:base",
        "xml:lang", "xml:space", "xmlns", "xmlns:xlink", "y", "y1", "y2", "zoomandpan"
    ]

    /// CSS properties also kept in `style` inside SVG.
    static let acceptableSVGProperties: Set<String> = [
        "fill", "fill-opacity", "fill-rule", "stroke", "stroke-linecap", "stroke-linejoin", "stroke-opacity",
        "stroke-width"
    ]

    /// URI schemes a link may use; any other (`javascript:`, `data:`, `vbscript:`...) empties the attribute.
    static let acceptableURISchemes: Set<String> = [
        "aim", "callto", "cvs", "facetime", "feed", "file", "ftp", "git", "gopher", "gtalk", "h323", "hdl", "http",
        "https", "imap", "irc", "irc6", "ircs", "itms", "magnet", "mailto", "mms", "msnim", "news", "nntp",
        "prospero", "rsync", "rtsp", "rtspu", "sftp", "shttp", "sip", "sips", "skype", "smb", "snews", "ssh", "svn",
        "svn+ssh", "telnet", "wais", "ymsg"
    ]

    /// SVG element and attribute names in their camel case, by their lower-cased form.
    static let svgNames: [String: String] = [
        "animatecolor": "animateColor",
        "animatemotion": "animateMotion",
        "animatetransform": "animateTransform",
        "attributename": "attributeName",
        "attributetype": "attributeType",
        "baseprofile": "baseProfile",
        "calcmode": "calcMode",
        "foreignobject": "foreignObject",
        "gradientunits": "gradientUnits",
        "keypoints": "keyPoints",
        "keysplines": "keySplines",
        "keytimes": "keyTimes",
        "lineargradient": "linearGradient",
        "markerheight": "markerHeight",
        "markerunits": "markerUnits",
        "markerwidth": "markerWidth",
        "pathlength": "pathLength",
        "preserveaspectratio": "preserveAspectRatio",
        "radialgradient": "radialGradient",
        "refx": "refX",
        "refy": "refY",
        "repeatcount": "repeatCount",
        "repeatdur": "repeatDur",
        "requiredextensions": "requiredExtensions",
        "requiredfeatures": "requiredFeatures",
        "systemlanguage": "systemLanguage",
        "viewbox": "viewBox",
        "zoomandpan": "zoomAndPan",
    ]

    /// (element, attribute) pairs whose value is a URI resolved against the base.
    static let relativeURIs: Set<String> = [
        "a href",
        "applet codebase",
        "area href",
        "audio src",
        "blockquote cite",
        "body background",
        "del cite",
        "form action",
        "frame longdesc",
        "frame src",
        "head profile",
        "iframe longdesc",
        "iframe src",
        "img longdesc",
        "img src",
        "img usemap",
        "input src",
        "input usemap",
        "ins cite",
        "link href",
        "object classid",
        "object codebase",
        "object data",
        "object usemap",
        "q cite",
        "script src",
        "source src",
        "video poster",
        "video src",
    ]

}
