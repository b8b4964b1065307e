#!/usr/bin/env python3
"""Times `winnowctl ingest` on SQLite (one process) and on PostgreSQL (N processes at once over
interleaved parts of the corpus), and scores the clusters the stores end with (read back through
`winnowctl export`: a later article may merge the cluster an ingest reported): pair precision and
recall against the one SQLite process and against the corpus labels (family). Clusters do not depend
on arrival order, so anything but 1.0 against SQLite is a race. Starts and stops its own PostgreSQL
cluster (initdb in a temporary folder, 127.0.0.1 only, fsync off; as the postgres user when root).

Usage: ingest.py CORPUS.jsonl --winnowctl PATH [--processes 1 2 3]
"""
import argparse
import glob
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time


def as_postgres(args):
    if os.getuid() == 0:
        return ["setpriv", "--reuid", "postgres", "--regid", "postgres", "--init-groups", "--"] + args
    return args


def start_cluster(folder):
    bindir = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))[-1]
    if os.getuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    data = os.path.join(folder, "data")
    subprocess.run(as_postgres([f"{bindir}/initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8",
                                "--locale=C", "--no-sync"]), check=True, stdout=subprocess.DEVNULL)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    subprocess.run(as_postgres([f"{bindir}/pg_ctl", "-D", data, "-l", os.path.join(folder, "server.log"), "-w", "-o",
                                f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50",
                                "start"]), check=True, stdout=subprocess.DEVNULL)
    return bindir, data, port


def stop_cluster(bindir, data):
    subprocess.run(as_postgres([f"{bindir}/pg_ctl", "-D", data, "-m", "fast", "stop"]), stdout=subprocess.DEVNULL)


def pairs(verdicts):
    clusters = {}
    for v in verdicts:
        clusters.setdefault(v["cluster_id"], []).append(v["file"])
    out = set()
    for files in clusters.values():
        out.update(itertools.combinations(sorted(files), 2))
    return out


def score(found, expected):
    common = len(found & expected)
    return (common / len(found) if found else 1.0), (common / len(expected) if expected else 1.0)


def final_clusters(winnowctl, db, verdicts):
    """Each verdict with the cluster its article ends in, as `winnowctl export` gives it."""
    out = subprocess.run([winnowctl, "export", "--db", db], capture_output=True, check=True).stdout
    clusters = {}
    for line in out.splitlines():
        article = json.loads(line)
        clusters[article["id"]] = article["cluster_id"]
    return [dict(v, cluster_id=clusters.get(v["article_id"], -1)) for v in verdicts]


def run(winnowctl, db, parts, config=None):
    started = time.monotonic()
    options = ["--config", config] if config else []
    procs = [subprocess.Popen([winnowctl, "ingest", "--db", db, "--json"] + options + part, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for part in parts]
    verdicts = []
    for p in procs:
        out, err = p.communicate()
        if p.returncode != 0:
            sys.exit(f"winnowctl ingest --db {db} failed ({p.returncode}): {err.decode()[-2000:]}")
        verdicts += json.loads(out)
    seconds = time.monotonic() - started
    return seconds, final_clusters(winnowctl, db, verdicts)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus")
    parser.add_argument("--winnowctl", required=True)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--no-learning", action="store_true",
                        help="turn learned boilerplate off (cleaning then depends on the document alone, not on what was seen before)")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="winnow-pg-bench-")
    os.chmod(folder, 0o755)
    config = None
    if args.no_learning:
        config = os.path.join(folder, "pipeline.json")
        with open(config, "w") as f:
            json.dump({"feeds": [], "cleaning": {"learn": {"min_count": 0}}}, f)
    try:
        docs = [json.loads(line) for line in open(args.corpus)]
        files, family = [], {}
        for d in docs:
            path = os.path.join(folder, f"doc-{d['id']}.txt")
            with open(path, "w") as f:
                f.write(d["text"])
            files.append(path)
            family[path] = d["family"]
        labelled = set()
        by_family = {}
        for path, fam in family.items():
            if fam is not None and fam != -1:
                by_family.setdefault(fam, []).append(path)
        for members in by_family.values():
            labelled.update(itertools.combinations(sorted(members), 2))

        seconds, sqlite = run(args.winnowctl, os.path.join(folder, "one.sqlite"), [files], config)
        reference = pairs(sqlite)
        p, r = score(reference, labelled)
        print(f"{len(files)} documents, {len(labelled)} labelled duplicate pairs" + (", learned boilerplate off" if config else ""))
        print(f"sqlite     1 process : {seconds:6.1f} s  {len(files) / seconds:7.0f} docs/s  vs labels P {p:.4f} R {r:.4f}")
        bindir, data, port = start_cluster(folder)
        try:
            for n in args.processes:
                name = f"bench_{n}"
                subprocess.run([f"{bindir}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", name], check=True)
                url = f"postgresql://postgres@127.0.0.1:{port}/{name}"
                subprocess.run([args.winnowctl, "ingest", "--db", url, "/dev/null"], capture_output=True)  # the schema, outside the timing
                seconds, verdicts = run(args.winnowctl, url, [files[i::n] for i in range(n)], config)
                found = pairs(verdicts)
                ps, rs = score(found, reference)
                pl, rl = score(found, labelled)
                print(f"postgres {n} process{'es' if n > 1 else '  '}: {seconds:6.1f} s  {len(files) / seconds:7.0f} docs/s  "
                      f"vs sqlite P {ps:.4f} R {rs:.4f}  vs labels P {pl:.4f} R {rl:.4f}")
        finally:
            stop_cluster(bindir, data)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
