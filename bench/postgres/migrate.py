#!/usr/bin/env python3
"""Times `winnowctl migrate` of a SQLite store into a throw-away PostgreSQL cluster (started here:
127.0.0.1 only, fsync off), twice: straight through, and killed with SIGKILL after --kill-after seconds
then run again to the end. Checks that both targets show what the SQLite file shows (`status --json`
stage counts, `export` line by line) and that the killed one holds no row twice.

Usage: migrate.py STORE.sqlite --winnowctl PATH [--kill-after 10]
"""
import argparse
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from ingest import start_cluster, stop_cluster  # noqa: E402


def digest(winnowctl, db):
    """status stage counts and a hash of the export, as the user sees them."""
    status = json.loads(subprocess.run([winnowctl, "status", "--db", db, "--json"], check=True, capture_output=True).stdout)
    h = hashlib.sha256()
    with subprocess.Popen([winnowctl, "export", "--db", db], stdout=subprocess.PIPE) as p:
        for line in p.stdout:
            h.update(line)
    return status["stages"], h.hexdigest()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("store")
    parser.add_argument("--winnowctl", required=True)
    parser.add_argument("--kill-after", type=float, default=10)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="winnow-pg-migrate-")
    os.chmod(folder, 0o755)
    try:
        expected = digest(args.winnowctl, args.store)
        print(f"{args.store}: {expected[0]['articles']:,} articles, {expected[0]['raw']:,} items, "
              f"{os.path.getsize(args.store) / 1e6:,.0f} MB")
        bindir, data, port = start_cluster(folder)
        try:
            for name in ["straight", "killed"]:
                subprocess.run([f"{bindir}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", name], check=True)
            url = f"postgresql://postgres@127.0.0.1:{port}/straight"
            started = time.monotonic()
            subprocess.run([args.winnowctl, "migrate", "--from", args.store, "--to", url], check=True, stderr=subprocess.DEVNULL)
            seconds = time.monotonic() - started
            same = digest(args.winnowctl, url) == expected
            print(f"migrate straight through: {seconds:6.1f} s  {expected[0]['articles'] / seconds:7,.0f} articles/s  "
                  f"status and export as on SQLite: {same}")

            url = f"postgresql://postgres@127.0.0.1:{port}/killed"
            started = time.monotonic()
            p = subprocess.Popen([args.winnowctl, "migrate", "--from", args.store, "--to", url], stderr=subprocess.DEVNULL)
            time.sleep(args.kill_after)
            p.send_signal(signal.SIGKILL)
            p.wait()
            subprocess.run([args.winnowctl, "migrate", "--from", args.store, "--to", url], check=True, stderr=subprocess.DEVNULL)
            seconds = time.monotonic() - started
            same = digest(args.winnowctl, url) == expected
            print(f"migrate killed after {args.kill_after:.0f} s, run again: {seconds:6.1f} s in all  "
                  f"status and export as on SQLite: {same}")
            if not same:
                sys.exit("the resumed migration differs from the SQLite store")
        finally:
            stop_cluster(bindir, data)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
