#!/usr/bin/env python3
"""Runs `winnowctl parse-feed --json` over Python feedparser's test fixtures and judges each fixture's
expectation (XML `Expect:` headers, JSON `__tests`) against the JSON, as feedparser's own test suite
judges feedparser. Prints the pass rate per category and the failing fixtures. A report, not a gate:
`--subset FILE --require-all` makes it one (CI runs a fixed subset that must pass).

    bench/feeds/conformance.py [--corpus ../shared/corpus/feedparser] [--winnowctl .build/debug/winnowctl]
                               [--show-failures N] [--subset FILE --require-all]
"""
import argparse, datetime, json, os, re, subprocess, sys, time
from collections import defaultdict

BASE = 'http://127.0.0.1:8097/'  # where feedparser's harness serves the fixtures


class FeedParserDict(dict):
    """feedparser's result dict: item and attribute access, with its historical aliases."""
    keymap = {'channel': 'feed', 'items': 'entries', 'guid': 'id', 'date': 'updated', 'date_parsed': 'updated_parsed',
              'description': ['summary', 'subtitle'], 'description_detail': ['summary_detail', 'subtitle_detail'],
              'url': ['href'], 'modified': 'updated', 'modified_parsed': 'updated_parsed', 'issued': 'published',
              'issued_parsed': 'published_parsed', 'copyright': 'rights', 'copyright_detail': 'rights_detail',
              'tagline': 'subtitle', 'tagline_detail': 'subtitle_detail'}

    def __getitem__(self, key):
        if key == 'category':
            try:
                return dict.__getitem__(self, 'tags')[0]['term']
            except (KeyError, IndexError):
                raise KeyError("object doesn't have key 'category'")
        if key == 'enclosures':
            return [FeedParserDict({k: v for k, v in l.items() if k != 'rel'}) for l in dict.get(self, 'links', []) if l.get('rel') == 'enclosure'] \
                or dict.get(self, 'enclosures', [])
        if key == 'license':
            for l in dict.get(self, 'links', []):
                if l.get('rel') == 'license' and 'href' in l:
                    return l['href']
        if key == 'updated' and not dict.__contains__(self, 'updated') and dict.__contains__(self, 'published'):
            return dict.__getitem__(self, 'published')
        if key == 'updated_parsed' and not dict.__contains__(self, 'updated_parsed') and dict.__contains__(self, 'published_parsed'):
            return dict.__getitem__(self, 'published_parsed')
        realkey = self.keymap.get(key, key)
        if isinstance(realkey, list):
            for k in realkey:
                if dict.__contains__(self, k):
                    return dict.__getitem__(self, k)
        elif dict.__contains__(self, realkey):
            return dict.__getitem__(self, realkey)
        return dict.__getitem__(self, key)

    def __contains__(self, key):
        if key in ('updated', 'updated_parsed'):
            return dict.__contains__(self, key)
        try:
            self.__getitem__(key)
        except KeyError:
            return False
        return True

    has_key = __contains__

    def get(self, key, default=None):
        try:
            return self.__getitem__(key)
        except KeyError:
            return default

    def __getattr__(self, key):
        try:
            return self.__getitem__(key)
        except KeyError:
            raise AttributeError("object has no attribute '%s'" % key)


def wrap(value, key=None):
    """JSON back into the Python types feedparser returns: *_parsed 9-tuples as struct_time, a PSC
    chapter's start_parsed (seconds) as timedelta, GeoRSS coordinates as tuples."""
    if isinstance(value, dict):
        return FeedParserDict({k: wrap(v, k) for k, v in value.items()})
    if key == 'start_parsed' and isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.timedelta(seconds=value)
    if key == 'coordinates' and isinstance(value, list):
        return tuples(value)
    if isinstance(value, list):
        if key and key.endswith('_parsed') and len(value) == 9 and all(isinstance(x, int) for x in value):
            return time.struct_time(value)
        return [wrap(v) for v in value]
    return value


def tuples(value):
    return tuple(tuples(v) for v in value) if isinstance(value, list) else value


def read_fixture(path):
    """(description, [expressions], skip_unless, headers) of one fixture."""
    if path.endswith('.json'):
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
        return data.get('__description', ''), data.get('__tests', []), None, {}
    with open(path, 'rb') as f:
        raw = f.read(8192)
    for bom, codec in ((b'\x00\x00\xfe\xff', 'utf-32-be'), (b'\xff\xfe\x00\x00', 'utf-32-le'), (b'\xfe\xff', 'utf-16-be'),
                       (b'\xff\xfe', 'utf-16-le'), (b'\x00\x00\x00<', 'utf-32-be'), (b'<\x00\x00\x00', 'utf-32-le'),
                       (b'\x00<', 'utf-16-be'), (b'<\x00', 'utf-16-le')):
        if raw.startswith(bom):
            head = raw[len(bom) if bom[0] != ord('<') and bom[-1] != ord('<') else 0:].decode(codec, 'replace')
            break
    else:
        head = raw.decode('utf-8', 'replace')
    m = re.search(r'<!--(.*?)-->', head, re.S)
    fields, headers = {}, {}
    if m:
        for line in m.group(1).splitlines():
            line = line.strip()
            if ':' not in line:
                continue
            name, value = line.split(':', 1)
            if name == 'Header':
                hname, hvalue = value.split(':', 1)
                headers[hname.strip().lower()] = hvalue.strip()
            else:
                fields[name] = value.strip()
    expect = fields.get('Expect')
    return fields.get('Description', ''), [expect] if expect else [], fields.get('SkipUnless'), headers


def category(relpath):
    parts = relpath.split(os.sep)
    if parts[0] == 'wellformed' and len(parts) > 2:
        return parts[1]
    if parts[0] == 'illformed':
        return 'illformed'
    return parts[0]


def run_batch(winnowctl, files, extra):
    out = subprocess.run([winnowctl, 'parse-feed', '--json', *extra, *files], capture_output=True, text=True)
    lines = out.stdout.splitlines()
    if len(files) == 1:
        return [out.stdout] if out.stdout.strip() else [None]
    if len(lines) != len(files):  # a crash part way: run one at a time to find it
        return [run_batch(winnowctl, [f], extra)[0] for f in files]
    return lines


def evaluate(expression, result):
    env = {'time': time, 'datetime': datetime, 'u': str}  # feedparser's own harness has both modules
    env.update(result)
    try:
        return bool(eval(expression, env)), None
    except Exception as error:  # noqa: BLE001 - a failing expectation, whatever it raised
        return False, '%s: %s' % (type(error).__name__, error)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--corpus', default=os.path.join(repo, '..', 'shared', 'corpus', 'feedparser'))
    parser.add_argument('--winnowctl', default=os.path.join(repo, '.build', 'debug', 'winnowctl'))
    parser.add_argument('--show-failures', type=int, default=15, help='failing fixtures listed per category')
    parser.add_argument('--subset', help='a file listing fixtures (relative paths) to run instead of all')
    parser.add_argument('--require-all', action='store_true', help='exit 1 unless every fixture run passes')
    parser.add_argument('--json-report', help='write per-fixture results here')
    args = parser.parse_args()
    corpus = os.path.abspath(args.corpus)

    fixtures = []
    if args.subset:
        with open(args.subset) as f:
            fixtures = [os.path.join(corpus, line.strip()) for line in f if line.strip() and not line.startswith('#')]
    else:
        for root, _, names in os.walk(corpus):
            for name in sorted(names):
                if name.endswith(('.xml', '.json', '.rdf')) and name != 'dates.jsonl':
                    fixtures.append(os.path.join(root, name))
    fixtures.sort()

    plain, special, skipped = [], [], []
    meta = {}
    for path in fixtures:
        description, tests, skip_unless, headers = read_fixture(path)
        rel = os.path.relpath(path, corpus)
        meta[path] = (description, tests, headers)
        if skip_unless:
            try:
                eval(skip_unless)
            except Exception:
                skipped.append((rel, 'SkipUnless: ' + skip_unless))
                continue
        if not tests:
            skipped.append((rel, 'no expectation'))
            continue
        (special if headers else plain).append(path)

    started = time.time()
    outputs = {}
    by_folder = defaultdict(list)
    for path in plain:
        by_folder[os.path.dirname(path)].append(path)
    for folder, files in by_folder.items():
        base = BASE + os.path.relpath(folder, corpus) + '/'
        for i in range(0, len(files), 200):
            chunk = files[i:i + 200]
            # Each fixture's own URL is its base; one batch shares a folder, so the folder URL stands in
            # and the file name is added by resolving against it.
            for path, line in zip(chunk, run_batch(args.winnowctl, chunk, ['--base', base + '__fixture__'])):
                outputs[path] = line
    for path in special:
        headers = meta[path][2]
        url = BASE + os.path.relpath(path, corpus)
        extra = ['--base', url]
        if 'content-location' in headers:
            from urllib.parse import urljoin
            extra = ['--base', urljoin(url, headers['content-location'])]
        if 'content-type' in headers:
            extra += ['--content-type', headers['content-type']]
        outputs[path] = run_batch(args.winnowctl, [path], extra)[0]
    elapsed = time.time() - started

    results = defaultdict(lambda: [0, 0])
    failures = defaultdict(list)
    report = []
    for path in plain + special:
        rel = os.path.relpath(path, corpus)
        cat = category(rel)
        description, tests, _ = meta[path]
        raw = outputs.get(path)
        ok, why = False, 'no output (crash?)'
        if raw:
            try:
                result = wrap(json.loads(raw))
                ok, why = True, None
                for test in tests:
                    passed, error = evaluate(test, result)
                    if not passed:
                        ok, why = False, test + (' -> ' + error if error else '')
                        break
            except json.JSONDecodeError as error:
                why = 'invalid JSON: %s' % error
        results[cat][0 if ok else 1] += 1
        if not ok:
            failures[cat].append((rel, why))
        report.append({'fixture': rel, 'category': cat, 'passed': ok, 'why': why})

    total_pass = sum(v[0] for v in results.values())
    total = sum(v[0] + v[1] for v in results.values())
    print('feedparser conformance: %d fixtures judged in %.1f s, %d skipped' % (total, elapsed, len(skipped)))
    print('%-14s %7s %7s %8s' % ('category', 'passed', 'total', 'rate'))
    for cat in sorted(results):
        p, f = results[cat]
        print('%-14s %7d %7d %7.1f%%' % (cat, p, p + f, 100.0 * p / (p + f)))
    print('%-14s %7d %7d %7.1f%%' % ('all', total_pass, total, 100.0 * total_pass / max(1, total)))
    if skipped:
        print('\nskipped (not applicable), %d:' % len(skipped))
        for rel, why in skipped:
            print('  %s  (%s)' % (rel, why))
    if args.show_failures:
        for cat in sorted(failures):
            print('\nfailing in %s (%d):' % (cat, len(failures[cat])))
            for rel, why in failures[cat][:args.show_failures]:
                print('  %s: %s' % (rel, (why or '')[:200]))
    if args.json_report:
        with open(args.json_report, 'w') as f:
            json.dump(report, f, indent=1)
    if args.require_all and total_pass != total:
        sys.exit(1)


if __name__ == '__main__':
    main()
