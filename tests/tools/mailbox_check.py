#!/usr/bin/python3
"""Independent check of what `mailprune apply` / `undo` did to real mailboxes.

Reads mailboxes over IMAP with the standard library only (imaplib + email), nothing of mailprune:

    mailbox_check.py snapshot --host H --port P --login-format '{mailbox}*admin' --password-env VAR \\
                              --mailbox A [--mailbox B ...] --out snapshot.json
                              [--starttls --ca-file CA] [--authzid-admin ADMIN]
    mailbox_check.py compare --before before.json --after after.json --expect expect.json \\
                              [--archive ARCHIVE_DIR] [--report report.json]

A snapshot records, for every message of every folder: UID, flags, INTERNALDATE, the Message-ID,
the SHA-256 of the raw message, and each MIME leaf part by IMAP section number (a message/* part
is one leaf, never entered) with its content type, file name, decoded size and the SHA-256 of its
decoded content, plus whether its text mentions an archive link ("/archive/").

compare checks every message of `before` against `after`, by (mailbox, folder, Message-ID), which
must be unique in `before`. expect.json says what was meant to happen:
    {"detached": [{"mailbox", "folder", "message_id", "section"}],   attachments taken out
     "moved":    [{"mailbox", "folder", "message_id", "to"}],         messages moved to folder `to`
     "restored": [{"mailbox", "folder", "message_id"}],               detached, then undone
     "removed":  [{"mailbox", "folder", "message_id"}]}               gone for good (purged)
Every message not named is expected untouched: same UID, same raw bytes. Otherwise:
  - exactly one copy of the message, in the folder it is expected in, and nowhere else in the
    mailbox; no message that was not there before;
  - flags and INTERNALDATE unchanged;
  - moved: same raw bytes;
  - detached: each named section's content is gone from that section (the part there, or a part
    under it, carries a notice with an archive link) and, with --archive, the original content is
    in the store at objects/ab/cd/<sha256> byte for byte (its SHA-256 and size checked); every
    other part's decoded content, type and file name unchanged;
  - restored: every part's decoded content, type and file name as before (the raw bytes may differ:
    re-encoding).
Protected messages (\\Flagged, multipart/signed, multipart/encrypted, application/pkcs7-mime,
text/calendar parts) are counted; a protected message named in expect.json is itself a problem.
Prints a JSON report (problems, counts); exit status 1 when there is any problem.
"""

import argparse
import base64
import email
import email.policy
import hashlib
import imaplib
import json
import os
import re
import ssl
import sys


def decode_mutf7(name):
    """IMAP modified UTF-7 (RFC 3501 5.1.3) to str."""
    out, i = [], 0
    while i < len(name):
        c = name[i]
        if c == "&":
            j = name.index("-", i)
            if j == i + 1:
                out.append("&")
            else:
                chunk = name[i + 1:j].replace(",", "/")
                chunk += "=" * (-len(chunk) % 4)
                out.append(base64.b64decode(chunk).decode("utf-16-be"))
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


LIST_RE = re.compile(rb'^\((?P<attrs>[^)]*)\) (?:"(?P<sep>[^"]*)"|NIL) (?P<name>.+)$')


def list_folders(imap):
    status, lines = imap.list('""', '"*"')
    if status != "OK":
        raise RuntimeError("LIST failed")
    folders = []
    for line in lines:
        if line is None:
            continue
        if isinstance(line, tuple):  # literal name
            attrs_line, name = line
            attrs = attrs_line.split(b")")[0]
            raw = name
        else:
            m = LIST_RE.match(line)
            if not m:
                raise RuntimeError(f"cannot parse LIST line {line!r}")
            attrs = m.group("attrs")
            raw = m.group("name")
            if raw.startswith(b'"') and raw.endswith(b'"'):
                raw = raw[1:-1].replace(b'\\"', b'"').replace(b"\\\\", b"\\")
        if b"\\Noselect" in attrs or b"\\NonExistent" in attrs:
            continue
        folders.append(raw.decode("ascii"))
    return folders


def quote(name):
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


FETCH_RE = re.compile(rb"UID (\d+)|FLAGS \(([^)]*)\)|INTERNALDATE \"([^\"]+)\"")


def leaf_parts(message):
    """(section, part) for every leaf of the MIME tree, numbered as IMAP does."""
    def walk(part, section):
        if part.is_multipart() and part.get_content_maintype() == "multipart":
            for index, child in enumerate(part.get_payload(), 1):
                yield from walk(child, f"{section}.{index}" if section else str(index))
        else:
            yield (section or "1"), part
    if message.is_multipart() and message.get_content_maintype() == "multipart":
        yield from walk(message, "")
    else:
        yield "1", message


def split_header(raw):
    """(header, body) of an entity: the header ends at the first empty line (CRLF or LF)."""
    crlf, lf = raw.find(b"\r\n\r\n"), raw.find(b"\n\n")
    if crlf >= 0 and (lf < 0 or crlf <= lf):
        return raw[:crlf + 2], raw[crlf + 4:]
    if lf >= 0:
        return raw[:lf + 1], raw[lf + 2:]
    return raw, b""


def raw_children(header, body):
    """The raw entities (header and body) of a multipart body, split at its boundary lines
    (RFC 2046 5.1.1: the line break before a delimiter belongs to the delimiter)."""
    boundary = email.message_from_bytes(header + b"\r\n", policy=email.policy.compat32).get_boundary()
    if boundary is None:
        return []
    delimiter = b"--" + boundary.encode("utf-8", "surrogateescape")
    starts = []  # (index of the delimiter line, end of that line, is close)
    at = 0
    while True:
        k = body.find(delimiter, at)
        if k < 0:
            break
        at = k + len(delimiter)
        if k > 0 and body[k - 1:k] != b"\n":
            continue
        close = body[at:at + 2] == b"--"
        end = body.find(b"\n", at)
        end = len(body) if end < 0 else end + 1
        starts.append((k, end, close))
        if close:
            break
    children = []
    for (k, end, close), nxt in zip(starts, starts[1:] + [(len(body), len(body), True)]):
        if close:
            break
        stop = nxt[0]
        if body[stop - 2:stop] == b"\r\n":
            stop -= 2
        elif body[stop - 1:stop] == b"\n":
            stop -= 1
        children.append(body[end:stop])
    return children


def raw_section_body(raw, section):
    """The raw body of the part at an IMAP section number, found by splitting the raw bytes
    (not by the email package's re-serialisation): what a message/* part's content is."""
    header, body = split_header(raw)
    for number in section.split("."):
        children = raw_children(header, body)
        index = int(number) - 1
        if index < 0 or index >= len(children):
            return None
        header, body = split_header(children[index])
    return body


def decoded(part, raw, section):
    if part.get_content_maintype() == "message":
        # INVENTORY.md: a message/* attachment's content is its body as it is (the embedded message's
        # raw bytes), not something re-serialised.
        body = raw_section_body(raw, section)
        cte = (part.get("Content-Transfer-Encoding") or "").strip().lower()
        if body is not None and cte == "base64":
            return base64.b64decode(body)
        return body if body is not None else b""
    data = part.get_payload(decode=True)
    return data if data is not None else b""


def describe_message(raw):
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    parts = []
    protected = False
    for section, part in leaf_parts(message):
        data = decoded(part, raw, section)
        ctype = part.get_content_type()
        if ctype in ("text/calendar", "application/pkcs7-mime", "application/x-pkcs7-mime"):
            protected = True
        text = data.decode("utf-8", "replace") if part.get_content_maintype() == "text" else ""
        parts.append({"section": section, "content_type": ctype,
                      "filename": part.get_filename() or "",
                      "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                      "notice": "/archive/" in text})
    for part in message.walk():
        if part.get_content_type() in ("multipart/signed", "multipart/encrypted"):
            protected = True
    return {"message_id": (message.get("Message-ID") or "").strip(), "parts": parts,
            "raw_sha256": hashlib.sha256(raw).hexdigest(), "size": len(raw), "protected_mime": protected}


def snapshot(args):
    password = os.environ[args.password_env]
    result = {}
    for mailbox in args.mailbox:
        imap = imaplib.IMAP4(args.host, args.port)
        try:
            if args.starttls:
                imap.starttls(ssl.create_default_context(cafile=args.ca_file))
            if args.authzid_admin:
                # SASL PLAIN: authorization identity the mailbox, authentication identity the admin.
                token = b"\0".join([mailbox.encode(), args.authzid_admin.encode(), password.encode()])
                imap.authenticate("PLAIN", lambda _: token)
            else:
                imap.login(args.login_format.format(mailbox=mailbox), password)
            folders = {}
            for wire in list_folders(imap):
                status, _ = imap.select(quote(wire), readonly=True)
                if status != "OK":
                    raise RuntimeError(f"{mailbox}: cannot select {wire}")
                messages = []
                status, data = imap.uid("FETCH", "1:*", "(UID FLAGS INTERNALDATE BODY.PEEK[])")
                if status != "OK":
                    raise RuntimeError(f"{mailbox}: UID FETCH failed in {wire}")
                for item in data:
                    if not isinstance(item, tuple):
                        continue
                    meta, raw = item
                    fields = {"uid": None, "flags": [], "internal_date": None}
                    for m in FETCH_RE.finditer(meta):
                        if m.group(1):
                            fields["uid"] = int(m.group(1))
                        elif m.group(2) is not None:
                            fields["flags"] = sorted(f for f in m.group(2).decode().split() if f != "\\Recent")
                        elif m.group(3):
                            fields["internal_date"] = m.group(3).decode()
                    record = describe_message(raw)
                    record.update(fields)
                    messages.append(record)
                folders[decode_mutf7(wire)] = messages
            result[mailbox] = folders
        finally:
            try:
                imap.logout()
            except Exception:  # noqa: BLE001 - best effort
                pass
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump(result, out, ensure_ascii=False, indent=1)


def index_of(snap):
    """{(mailbox, folder, message_id): [message, ...]}"""
    index = {}
    for mailbox, folders in snap.items():
        for folder, messages in folders.items():
            for m in messages:
                index.setdefault((mailbox, folder, m["message_id"]), []).append(m)
    return index


def is_protected(m):
    return "\\Flagged" in m["flags"] or m["protected_mime"]


def parts_by_section(m):
    return {p["section"]: p for p in m["parts"]}


def same_part(a, b):
    return (a["sha256"], a["size"], a["content_type"], a["filename"]) == \
        (b["sha256"], b["size"], b["content_type"], b["filename"])


def compare(args):
    before = json.load(open(args.before, encoding="utf-8"))
    after = json.load(open(args.after, encoding="utf-8"))
    expect = json.load(open(args.expect, encoding="utf-8"))
    problems = []
    counts = {"messages": 0, "untouched": 0, "detached_messages": 0, "detached_parts": 0, "moved": 0,
              "restored": 0, "removed": 0, "protected": 0, "archived_checked": 0}

    def key(e):
        return (e["mailbox"], e["folder"], e["message_id"])

    detached = {}
    for e in expect.get("detached", []):
        detached.setdefault(key(e), set()).add(e["section"])
    moved = {key(e): e["to"] for e in expect.get("moved", [])}
    restored = {key(e) for e in expect.get("restored", [])}
    removed = {key(e) for e in expect.get("removed", [])}

    before_index = index_of(before)
    after_index = index_of(after)
    for k, copies in before_index.items():
        if len(copies) > 1:
            problems.append(f"{k}: {len(copies)} copies before; the check needs unique Message-IDs per folder")
    named = set(detached) | set(moved) | restored | removed
    for k in named:
        if k not in before_index:
            problems.append(f"{k}: named in expect.json but not in the before snapshot")

    # Every message of `after` must be accounted for by one of `before`.
    expected_after = {}
    for (mailbox, folder, mid), copies in before_index.items():
        if (mailbox, folder, mid) in removed:
            continue
        target = moved.get((mailbox, folder, mid), folder)
        expected_after[(mailbox, target, mid)] = expected_after.get((mailbox, target, mid), 0) + len(copies)
    for k, copies in after_index.items():
        if len(copies) != expected_after.get(k, 0):
            problems.append(f"{k}: {len(copies)} copies after, {expected_after.get(k, 0)} expected")

    for (mailbox, folder, mid), copies in before_index.items():
        b = copies[0]
        k = (mailbox, folder, mid)
        counts["messages"] += 1
        if is_protected(b):
            counts["protected"] += 1
            if k in named:
                problems.append(f"{k}: protected (flagged, signed, encrypted or calendar) yet named in expect.json")
        if k in removed:
            counts["removed"] += 1
            continue
        target = moved.get(k, folder)
        found = after_index.get((mailbox, target, mid), [])
        if len(found) != 1:
            continue  # reported above
        a = found[0]
        if a["flags"] != b["flags"]:
            problems.append(f"{k}: flags {b['flags']} became {a['flags']}")
        if a["internal_date"] != b["internal_date"]:
            problems.append(f"{k}: INTERNALDATE {b['internal_date']} became {a['internal_date']}")
        if k in moved:
            counts["moved"] += 1
            if a["raw_sha256"] != b["raw_sha256"]:
                problems.append(f"{k}: moved to {target} but its bytes changed")
        elif k in detached:
            counts["detached_messages"] += 1
            check_detached(k, b, a, detached[k], args.archive, problems, counts)
        elif k in restored:
            counts["restored"] += 1
            bp, ap = parts_by_section(b), parts_by_section(a)
            if set(bp) != set(ap):
                problems.append(f"{k}: restored with sections {sorted(ap)} instead of {sorted(bp)}")
            for section, part in bp.items():
                if section in ap and not same_part(part, ap[section]):
                    problems.append(f"{k}: section {section} not restored as it was")
        else:
            counts["untouched"] += 1
            if a["uid"] != b["uid"] or a["raw_sha256"] != b["raw_sha256"]:
                problems.append(f"{k}: should be untouched, but UID {b['uid']}->{a['uid']} or its bytes changed")

    report = {"ok": not problems, "counts": counts, "problems": problems[:200]}
    text = json.dumps(report, ensure_ascii=False, indent=1)
    if args.report:
        with open(args.report, "w", encoding="utf-8") as out:
            out.write(text)
    print(text)
    return 0 if not problems else 1


def check_detached(k, b, a, sections, archive, problems, counts):
    bp, ap = parts_by_section(b), parts_by_section(a)

    def under(section, root):
        return section == root or section.startswith(root + ".")

    for section in sections:
        if section not in bp:
            problems.append(f"{k}: section {section} to detach is not in the message")
            continue
        original = bp[section]
        counts["detached_parts"] += 1
        replaced = [p for s, p in ap.items() if under(s, section)]
        if not replaced:
            problems.append(f"{k}: section {section} has no notice in its place")
        elif any(p["sha256"] == original["sha256"] and p["size"] == original["size"] for p in replaced):
            problems.append(f"{k}: section {section} still holds the attachment")
        elif not any(p["notice"] for p in replaced):
            problems.append(f"{k}: the part in place of section {section} has no archive link")
        if archive:
            h = original["sha256"]
            path = os.path.join(archive, "objects", h[0:2], h[2:4], h)
            try:
                with open(path, "rb") as f:
                    data = f.read()
                if hashlib.sha256(data).hexdigest() != h or len(data) != original["size"]:
                    problems.append(f"{k}: section {section}: the archived copy {path} differs from the original")
                else:
                    counts["archived_checked"] += 1
            except OSError as e:
                problems.append(f"{k}: section {section}: no archived copy ({e})")
    # Every other part as it was (sections outside the detached ones keep their numbers).
    for section, part in bp.items():
        if any(under(section, s) for s in sections):
            continue
        if section not in ap:
            problems.append(f"{k}: section {section} is gone")
        elif not same_part(part, ap[section]):
            problems.append(f"{k}: section {section} changed")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    snap = sub.add_parser("snapshot")
    snap.add_argument("--host", default="127.0.0.1")
    snap.add_argument("--port", type=int, required=True)
    snap.add_argument("--login-format", default="{mailbox}", help="LOGIN name, e.g. '{mailbox}*admin' (Dovecot)")
    snap.add_argument("--authzid-admin", help="AUTHENTICATE PLAIN as this admin for each mailbox (Cyrus)")
    snap.add_argument("--starttls", action="store_true")
    snap.add_argument("--ca-file", help="CA to verify the server's certificate with (--starttls)")
    snap.add_argument("--password-env", required=True)
    snap.add_argument("--mailbox", action="append", required=True)
    snap.add_argument("--out", required=True)
    comp = sub.add_parser("compare")
    comp.add_argument("--before", required=True)
    comp.add_argument("--after", required=True)
    comp.add_argument("--expect", required=True)
    comp.add_argument("--archive")
    comp.add_argument("--report")
    args = parser.parse_args()
    if args.command == "snapshot":
        snapshot(args)
        return 0
    return compare(args)


if __name__ == "__main__":
    sys.exit(main())
