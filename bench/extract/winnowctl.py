#!/usr/bin/env python3
"""Runs Winnow the way a user does: one `winnowctl clean --json` process with every page of HTML_DIR
as an argument, best of N rounds (wall time of the whole process, start-up included), and writes the
article bodies and metadata for score.py and report.py, and its speed to speed.jsonl beside OUT.json. Prints pages per second and the process's peak RSS.
    winnowctl.py WINNOWCTL HTML_DIR OUT.json [ROUNDS]"""
import json, os, resource, subprocess, sys, time

winnowctl, html_dir, out = sys.argv[1], sys.argv[2], sys.argv[3]
rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 1
names = sorted(n for n in os.listdir(html_dir) if n.endswith('.html'))
files = [os.path.join(html_dir, n) for n in names]
best, stdout = float('inf'), b''
for round in range(rounds):
    start = time.perf_counter()
    process = subprocess.run([winnowctl, 'clean', '--json', *files], capture_output=True)
    best = min(best, time.perf_counter() - start)
    if process.returncode != 0:
        sys.exit(f'winnowctl clean failed ({process.returncode}): {process.stderr.decode()[-2000:]}')
    stdout = process.stdout
# The largest resident set of the winnowctl processes (this script's only children).
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
results = json.loads(stdout)
bodies = {}
for name, result in zip(names, results):
    bodies[name[:-5]] = {'articleBody': result['text'], 'title': result.get('title'), 'byline': result.get('author'),
                         'publishedTime': result.get('published')}
json.dump(bodies, open(out, 'w'))
with open(os.path.join(os.path.dirname(out) or '.', 'speed.jsonl'), 'a') as speed:
    speed.write(json.dumps({'extractor': 'winnow', 'pages': len(files), 'seconds': best, 'peak_mb': peak}) + '\n')
print(f'winnowctl clean --json: {len(files)} pages in one process, best of {rounds} rounds: {best:.3f} s, '
      f'{len(files) / best:.0f} pages/s, peak RSS {peak:.0f} MB', flush=True)
