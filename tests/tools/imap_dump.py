#!/usr/bin/python3
"""Dumps one IMAP folder as JSON, read by Python's imaplib and email: an independent reader for
tests of mailprune's mailbox actions (connectors/imap/imap_actions.hpp), which must not be checked
with the code under test.

    imap_dump.py --port 1143 --user 'alice*admin' --password pw --folder INBOX --output out.json
    imap_dump.py --port 1143 --user admin --authzid alice --password pw --folder Archives/2021 ...

Plaintext on 127.0.0.1 only. --folder is UTF-8 with '/' as separator (the test servers use '/').
LOGIN, or AUTHENTICATE PLAIN with --authzid (Cyrus admins). Output:
  {"uidvalidity": n, "messages": [{"uid", "internaldate" (as the server wrote it), "flags"
   (sorted, \\Recent left out), "size", "message_id", "mailprune" (top-level X-Mailprune-* fields
   as [name, value] pairs, in order), "parts": [{"section" (IMAP numbering), "content_type",
   "filename", "size" and "sha256" of the decoded content (null for message/* parts),
   "notice" (the part's X-Mailprune-Notice value or null)}]}]}
Exit status 0, or 1 with the reason on stderr.
"""

import argparse
import base64
import email
import email.policy
import hashlib
import imaplib
import json
import re
import sys


def mutf7(name):
    """RFC 3501 modified UTF-7 of a UTF-8 folder name."""
    out = []
    pending = []

    def flush():
        if pending:
            data = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(data).decode().rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            pending.append(ch)
    flush()
    return "".join(out)


def quote(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parts_of(message, prefix=""):
    """Leaf parts with their IMAP section numbers; message/* parts are leaves (not descended)."""
    if message.get_content_maintype() == "multipart":
        for index, child in enumerate(message.get_payload(), 1):
            section = f"{prefix}.{index}" if prefix else str(index)
            if child.get_content_maintype() == "multipart":
                yield from parts_of(child, section)
            else:
                yield section, child
    else:
        yield prefix or "1", message


def describe(uid, internaldate, flags, raw):
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    parts = []
    for section, part in parts_of(message):
        entry = {
            "section": section,
            "content_type": part.get_content_type(),
            "filename": part.get_filename(),
            "notice": part.get("X-Mailprune-Notice"),
            "size": None,
            "sha256": None,
        }
        if part.get_content_maintype() != "message":
            content = part.get_payload(decode=True) or b""
            entry["size"] = len(content)
            entry["sha256"] = hashlib.sha256(content).hexdigest()
        parts.append(entry)
    mailprune = [[name, str(value)] for name, value in message.items() if name.lower().startswith("x-mailprune-")]
    return {
        "uid": uid,
        "internaldate": internaldate,
        "flags": sorted(f for f in flags if f.lower() != "\\recent"),
        "size": len(raw),
        "message_id": message.get("Message-ID"),
        "mailprune": mailprune,
        "parts": parts,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--authzid", default="")
    parser.add_argument("--folder", default="INBOX")
    parser.add_argument("--output", required=True)
    args = parser.parse_args()

    imap = imaplib.IMAP4("127.0.0.1", args.port)
    if args.authzid:
        token = f"{args.authzid}\0{args.user}\0{args.password}".encode()
        imap.authenticate("PLAIN", lambda _: token)
    else:
        imap.login(args.user, args.password)
    status, data = imap.select(quote(mutf7(args.folder)), readonly=True)
    if status != "OK":
        raise SystemExit(f"cannot select {args.folder}: {data}")
    uidvalidity = int(imap.response("UIDVALIDITY")[1][0])

    messages = []
    status, data = imap.uid("FETCH", "1:*", "(UID INTERNALDATE FLAGS BODY.PEEK[])")
    if status != "OK":
        raise SystemExit(f"UID FETCH failed: {data}")
    for index, item in enumerate(data):
        if not isinstance(item, tuple):
            continue
        head = item[0].decode("latin-1")
        # Items after the literal (a server may send FLAGS last) come as the next element.
        if index + 1 < len(data) and isinstance(data[index + 1], bytes):
            head += data[index + 1].decode("latin-1")
        uid = int(re.search(r"UID (\d+)", head).group(1))
        internaldate = re.search(r'INTERNALDATE "([^"]*)"', head).group(1)
        flags = re.search(r"FLAGS \(([^)]*)\)", head).group(1).split()
        messages.append(describe(uid, internaldate, flags, item[1]))
    imap.logout()
    messages.sort(key=lambda m: m["uid"])
    with open(args.output, "w", encoding="utf-8") as out:
        json.dump({"uidvalidity": uidvalidity, "messages": messages}, out, indent=1)


if __name__ == "__main__":
    try:
        main()
    except (imaplib.IMAP4.error, OSError) as error:
        print(f"imap_dump.py: {error}", file=sys.stderr)
        sys.exit(1)
