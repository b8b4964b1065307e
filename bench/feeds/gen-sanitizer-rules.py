#!/usr/bin/env python3
"""Prints the allow-lists of Sources/WinnowFeeds/HTMLSanitizer+Rules.swift from the installed Python
feedparser (its sanitizer is the standard the conformance fixtures judge):

    /tmp/winnow-peers/bin/python bench/feeds/gen-sanitizer-rules.py > /tmp/rules.swift
"""
from feedparser.sanitizer import _HTMLSanitizer as S
from feedparser.urls import ACCEPTABLE_URI_SCHEMES, RelativeURIResolver as R


def fmt(name, items, doc):
    items = sorted(set(items))
    lines, cur = [], '       '
    for it in items:
        piece = ' "%s",' % it
        if len(cur) + len(piece) > 118:
            lines.append(cur)
            cur = '       '
        cur += piece
    lines.append(cur.rstrip(','))
    return '    /// %s\n    static let %s: Set<String> = [\n%s\n    ]\n' % (doc, name, '\n'.join(lines))


out = [
    fmt('acceptableElements', S.acceptable_elements, 'Elements kept (their tags; the text inside is kept either way).'),
    fmt('acceptableAttributes', S.acceptable_attributes, 'Attributes kept on HTML elements.'),
    fmt('acceptableCSSProperties', S.acceptable_css_properties, 'CSS properties kept in `style`.'),
    fmt('acceptableCSSKeywords', S.acceptable_css_keywords,
        'Keywords a `background-*`, `border-*`, `margin-*` or `padding-*` value may be made of.'),
    fmt('mathMLElements', S.mathml_elements, 'MathML elements kept inside `<math xmlns="http://www.w3.org/1998/Math/MathML">`.'),
    fmt('mathMLAttributes', S.mathml_attributes, 'Attributes kept on MathML elements.'),
    fmt('svgElements', [x.lower() for x in S.svg_elements],
        'SVG Tiny elements kept inside `<svg xmlns="http://www.w3.org/2000/svg">` (lower-cased; `svgNames` restores the case).'),
    fmt('svgAttributes', [x.lower() for x in S.svg_attributes], 'Attributes kept on SVG elements (lower-cased).'),
    fmt('acceptableSVGProperties', S.acceptable_svg_properties, 'CSS properties also kept in `style` inside SVG.'),
    fmt('acceptableURISchemes', ACCEPTABLE_URI_SCHEMES,
        'URI schemes a link may use; any other (`javascript:`, `data:`, `vbscript:`...) empties the attribute.'),
]
mix = sorted(set(x for x in list(S.svg_elements) + list(S.svg_attributes) if x != x.lower()))
out.append('    /// SVG element and attribute names in their camel case, by their lower-cased form.\n'
           '    static let svgNames: [String: String] = [\n'
           + '\n'.join('        "%s": "%s",' % (x.lower(), x) for x in mix) + '\n    ]\n')
out.append('    /// (element, attribute) pairs whose value is a URI resolved against the base.\n'
           '    static let relativeURIs: Set<String> = [\n'
           + '\n'.join('        "%s %s",' % p for p in sorted(R.relative_uris)) + '\n    ]\n')
print('\n'.join(out))
