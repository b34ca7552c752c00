#!/usr/bin/python3
"""Reads one raw RFC 5322 message (file named by argv[1]) with Python's own email package, an
implementation independent of mailprune's, and prints what it understood as JSON:

  headers      [[name, decoded value], ...] in order
  from, to, reply_to   [[display name, address], ...] as parsed by the address parser
  defects      every defect Python's parser noted, in the message or any part
  parts        [{content_type, charset, cte, content (decoded text, LF line ends)}] for the leaves
  max_header_line, max_body_line   the longest raw line (without CRLF) of the header / the body
  bare_lf      true when a LF is not preceded by CR anywhere
"""
import json
import sys
from email import message_from_bytes, policy


def addresses(message, name):
    header = message[name]
    if header is None:
        return []
    return [[a.display_name, a.addr_spec] for a in header.addresses]


def main():
    with open(sys.argv[1], "rb") as f:
        raw = f.read()
    message = message_from_bytes(raw, policy=policy.default)
    head, _, body = raw.partition(b"\r\n\r\n")
    out = {
        "headers": [[k, str(v)] for k, v in message.items()],
        "from": addresses(message, "From"),
        "to": addresses(message, "To"),
        "reply_to": addresses(message, "Reply-To"),
        "defects": [],
        "parts": [],
        "max_header_line": max((len(l) for l in head.split(b"\r\n")), default=0),
        "max_body_line": max((len(l) for l in body.split(b"\r\n")), default=0),
        "bare_lf": b"\n" in raw.replace(b"\r\n", b""),
    }
    for part in message.walk():
        out["defects"] += [type(d).__name__ for d in part.defects]
        if part.is_multipart():
            continue
        content = part.get_content()
        out["parts"].append({
            "content_type": part.get_content_type(),
            "charset": part.get_content_charset(),
            "cte": part.get("Content-Transfer-Encoding", ""),
            "content": content.replace("\r\n", "\n") if isinstance(content, str) else "",
        })
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
