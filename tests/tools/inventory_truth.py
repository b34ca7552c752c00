#!/usr/bin/env python3
"""Ground truth for a mailgen.py set: the `report summary` mailprune must print after a crawl.

    inventory_truth.py DIR [--groups] [--include-damaged] [--output FILE]

Independent of mailprune's C++ code on purpose: it applies the rules of shared/INVENTORY.md
to each .eml file listed in DIR/manifest.json, with its own MIME splitting on raw bytes (so a
message/* part's content is the exact embedded bytes) and Python's email package for headers,
parameters (RFC 2231), encoded words (RFC 2047) and transfer decoding.

Prints one JSON object: mailboxes, folders, messages, message_bytes (file sizes: the files are CRLF,
so this is the sum of RFC822.SIZE), attachments, attachment_bytes, duplicate_groups,
duplicate_attachments, reclaimable_bytes; also inline_attachments, size_colliding_attachments and
size_colliding_bytes (attachments whose decoded size another attachment shares: what the crawler
must hash), and with --groups the duplicate groups (sha256, size, count, reclaimable_bytes,
copies with user, folder, file, name). Damaged messages are left out unless --include-damaged
(their numbers then follow Python's lenient decoding, which another decoder may not match).
Standard library only.
"""

import argparse
import base64
import binascii
import email.header
import email.parser
import hashlib
import json
import quopri
import re
import sys
from collections import defaultdict

HEADER_PARSER = email.parser.BytesHeaderParser()
MESSAGE_TYPES = {"rfc822", "global", "delivery-status", "disposition-notification", "feedback-report",
                 "partial", "news"}  # every message/* subtype counts; these are the ones named


def split_header_body(raw):
    """(header bytes, body bytes) of one entity; the blank line belongs to neither."""
    if raw.startswith(b"\r\n"):
        return b"", raw[2:]
    if raw.startswith(b"\n"):
        return b"", raw[1:]
    match = re.search(rb"\r?\n\r?\n", raw)
    if match is None:
        return raw, b""
    return raw[:match.start() + 1], raw[match.end():]


def split_multipart(body, boundary):
    """The raw parts of a multipart body (RFC 2046 5.1.1): a delimiter is CRLF "--" boundary at the
    start of a line; the CRLF before it belongs to it. A missing close delimiter ends the last part
    at the end of the body."""
    delimiter = b"--" + boundary
    parts = []
    position = 0
    start = None
    while True:
        # A delimiter line: at the body's start or after a line break.
        if position == 0 and body.startswith(delimiter):
            index = 0
        else:
            found = body.find(b"\n" + delimiter, position)
            if found < 0:
                break
            index = found + 1
        after = index + len(delimiter)
        line_end = body.find(b"\n", after)
        rest = body[after:line_end if line_end >= 0 else len(body)]
        closing = rest.startswith(b"--")
        if not closing and rest.strip(b" \t\r") != b"":
            position = after  # "--boundaryX": a longer boundary, not ours
            continue
        if start is not None:
            end = index - 1  # the LF
            if end > start and body[end - 1:end] == b"\r":
                end -= 1
            parts.append(body[start:max(end, start)])
        if closing:
            return parts
        if line_end < 0:
            return parts
        start = line_end + 1
        position = line_end
    if start is not None:
        parts.append(body[start:])  # no close delimiter: damaged, take what is there
    return parts


def decode_body(body, encoding):
    encoding = (encoding or "7bit").strip().lower()
    if encoding == "base64":
        cleaned = re.sub(rb"[^A-Za-z0-9+/]", b"", body)  # lenient: skip what is not base64
        cleaned = cleaned[:len(cleaned) - len(cleaned) % 4] if len(cleaned) % 4 == 1 else cleaned
        cleaned += b"=" * (-len(cleaned) % 4)
        try:
            return base64.b64decode(cleaned)
        except binascii.Error:
            return b""
    if encoding == "quoted-printable":
        return quopri.decodestring(body)
    return body


def decode_words(value):
    chunks = []
    for text, charset in email.header.decode_header(value):
        if isinstance(text, bytes):
            chunks.append(text.decode(charset or "utf-8", errors="replace"))
        else:
            chunks.append(text)
    return "".join(chunks)


def file_name(headers):
    """RFC 2231 first (collapsed by the email package), then RFC 2047, then raw."""
    for getter in (lambda: headers.get_param("filename", header="content-disposition"),
                   lambda: headers.get_param("name", header="content-type")):
        value = getter()
        if value is None:
            continue
        if isinstance(value, tuple):  # RFC 2231: (charset, language, text)
            value = email.utils.collapse_rfc2231_value(value)
        value = str(value)
        if "=?" in value:
            value = decode_words(value)
        return value
    return ""


def walk(raw, in_related, found, depth=0, default_type="text/plain"):
    """Appends (name, content_type, content bytes, inline) for each attachment of one entity.
    `default_type`: what a part without a (valid) Content-Type is: text/plain, but message/rfc822
    inside multipart/digest (RFC 2046 5.1.5)."""
    header_bytes, body = split_header_body(raw)
    headers = HEADER_PARSER.parsebytes(header_bytes + b"\r\n")
    headers.set_default_type(default_type)
    content_type = headers.get_content_type()  # the default when absent or invalid
    maintype, subtype = content_type.split("/", 1)
    if maintype == "multipart" and depth < 100:
        boundary = headers.get_param("boundary")
        if isinstance(boundary, tuple):
            boundary = email.utils.collapse_rfc2231_value(boundary)
        if boundary:
            for part in split_multipart(body, str(boundary).encode("utf-8")):
                walk(part, in_related or subtype == "related", found, depth + 1,
                     "message/rfc822" if subtype == "digest" else "text/plain")
            return
        # A multipart without a boundary: nothing inside can be found.
        return
    disposition = (headers.get_content_disposition() or "")
    name = file_name(headers)
    if maintype == "message":
        is_attachment = True
    else:
        is_attachment = disposition == "attachment" or bool(name) or maintype != "text"
    if not is_attachment:
        return
    content = decode_body(body, headers.get("content-transfer-encoding"))
    inline = disposition in ("inline", "") and in_related or bool(headers.get("content-id"))
    found.append((name, content_type, content, inline))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dir")
    parser.add_argument("--groups", action="store_true", help="also list the duplicate groups")
    parser.add_argument("--include-damaged", action="store_true")
    parser.add_argument("--output", help="write the JSON here instead of stdout")
    args = parser.parse_args()
    with open(f"{args.dir}/manifest.json", encoding="utf-8") as f:
        manifest = json.load(f)
    entries = list(manifest["messages"])
    if args.include_damaged:
        entries += manifest.get("damaged_messages", [])

    messages = 0
    message_bytes = 0
    attachments = []  # (sha256, size, user, folder, file, name, inline)
    for entry in entries:
        with open(f"{args.dir}/{entry['file']}", "rb") as f:
            raw = f.read()
        messages += 1
        message_bytes += len(raw) + raw.count(b"\n") - raw.count(b"\r\n")  # RFC822.SIZE counts CRLF
        found = []
        walk(raw, False, found)
        for name, content_type, content, inline in found:
            attachments.append((hashlib.sha256(content).hexdigest(), len(content), entry["user"],
                                entry["folder"], entry["file"], name, inline))

    by_hash = defaultdict(list)
    by_size = defaultdict(int)
    for attachment in attachments:
        by_hash[attachment[0]].append(attachment)
        by_size[attachment[1]] += 1
    groups = [copies for copies in by_hash.values() if len(copies) >= 2]
    summary = {
        "mailboxes": len(manifest["users"]),
        "folders": len(manifest["folders"]),
        "messages": messages,
        "message_bytes": message_bytes,
        "attachments": len(attachments),
        "attachment_bytes": sum(a[1] for a in attachments),
        "duplicate_groups": len(groups),
        "duplicate_attachments": sum(len(g) for g in groups),
        "reclaimable_bytes": sum((len(g) - 1) * g[0][1] for g in groups),
        "inline_attachments": sum(1 for a in attachments if a[6]),
        "size_colliding_attachments": sum(1 for a in attachments if by_size[a[1]] >= 2),
        "size_colliding_bytes": sum(a[1] for a in attachments if by_size[a[1]] >= 2),
        "damaged_messages_included": bool(args.include_damaged),
    }
    if args.groups:
        groups.sort(key=lambda g: (-(len(g) - 1) * g[0][1], g[0][0]))
        summary["groups"] = [{"sha256": g[0][0], "size": g[0][1], "count": len(g),
                              "reclaimable_bytes": (len(g) - 1) * g[0][1],
                              "copies": [{"user": a[2], "folder": a[3], "file": a[4], "name": a[5]} for a in g]}
                             for g in groups]
    text = json.dumps(summary, ensure_ascii=False, indent=1) + "\n"
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
