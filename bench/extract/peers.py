#!/usr/bin/env python3
"""Runs the peers over the same pages the same way Winnow sees them (page bytes in, article text out,
best of N rounds on one core) and writes their bodies for score.py, one OUT_DIR/PEER.json each, and
their speed to OUT_DIR/speed.jsonl.
Peers: trafilatura as shipped, trafilatura with include_comments=False (as a news pipeline calls it),
readability-lxml and jusText (English stoplist).
    peers.py HTML_DIR OUT_DIR [ROUNDS]"""
import json, os, resource, sys, time

html_dir, out_dir = sys.argv[1], sys.argv[2]
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 1
names = sorted(n for n in os.listdir(html_dir) if n.endswith('.html'))
pages = [open(os.path.join(html_dir, n), 'rb').read() for n in names]

def trafilatura_body(page):
    import trafilatura
    return trafilatura.extract(page) or ''

def trafilatura_no_comments_body(page):
    import trafilatura
    return trafilatura.extract(page, include_comments=False) or ''

BREAKS = ('p', 'div', 'li', 'br', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'tr', 'blockquote', 'pre')

def readability_body(page):
    import lxml.html
    from readability import Document
    tree = lxml.html.fromstring(Document(page).summary())
    # Paragraph breaks as the page has them, so words of two blocks do not run together.
    for element in tree.iter():
        if element.tag in BREAKS:
            element.tail = '\n\n' + (element.tail or '')
    return tree.text_content()

def justext_body(page):
    import justext
    paragraphs = justext.justext(page, justext.get_stoplist('English'))
    return '\n\n'.join(p.text for p in paragraphs if not p.is_boilerplate)

PEERS = [('trafilatura', trafilatura_body), ('trafilatura-no-comments', trafilatura_no_comments_body),
         ('readability-lxml', readability_body), ('justext', justext_body)]

for name, extract in PEERS:
    bodies, best = {}, float('inf')
    for round in range(rounds):
        start = time.perf_counter()
        for n, page in zip(names, pages):
            try:
                text = extract(page)
            except Exception:  # a peer's failure on one page counts as an empty body
                text = ''
            bodies[n[:-5]] = {'articleBody': text}
        best = min(best, time.perf_counter() - start)
    json.dump(bodies, open(os.path.join(out_dir, f'{name}.json'), 'w'))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with open(os.path.join(out_dir, 'speed.jsonl'), 'a') as speed:
        speed.write(json.dumps({'extractor': name, 'pages': len(pages), 'seconds': best, 'peak_mb': peak}) + '\n')
    print(f'{name}: {len(pages)} pages, best of {rounds} rounds: {best:.3f} s, {len(pages) / best:.0f} pages/s on one core, '
          f'peak RSS so far {peak:.0f} MB', flush=True)
