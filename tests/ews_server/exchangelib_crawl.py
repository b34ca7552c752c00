#!/usr/bin/python3
"""Crawl the EWS test server with exchangelib, an independent and widely used EWS client.

    /usr/bin/python3 exchangelib_crawl.py --url URL --user LOGIN --password PW \
        --mailbox alice@example.org [--mailbox ...] [--access-type impersonation|delegate] \
        [--ca CA.pem] [--fetch-content N]

Walks each mailbox's folder tree under msgfolderroot, lists every item with subject and size,
its attachments (name, content type, size, inline) and fetches the content of the first N file
attachments and N item attachments (sizes and SHA-256 of what came back). Prints one JSON object.
Needs Debian's python3-exchangelib (importable by /usr/bin/python3 only).
"""

import argparse
import hashlib
import json
import sys

import requests
from exchangelib import BASIC, DELEGATE, IMPERSONATION, Account, Configuration, Credentials, Version
from exchangelib.attachments import FileAttachment, ItemAttachment
from exchangelib.protocol import BaseProtocol
from exchangelib.version import EXCHANGE_2013_SP1


def make_adapter(ca_path):
    class VerifyingAdapter(requests.adapters.HTTPAdapter):
        def cert_verify(self, conn, url, verify, cert):
            super().cert_verify(conn=conn, url=url, verify=ca_path, cert=cert)
    return VerifyingAdapter


def folder_path(folder, top):
    names = []
    current = folder
    while current is not None and current.id != top.id:
        names.append(current.name)
        current = current.parent
    path = "/".join(reversed(names))
    return "INBOX" if path == "Inbox" else path


def crawl_mailbox(account, fetch_limit, totals):
    top = account.msg_folder_root
    result = {"address": account.primary_smtp_address, "folders": []}
    fetched = {"file": 0, "item": 0}
    for folder in top.walk():
        if folder.folder_class not in (None, "IPF.Note") and not str(folder.folder_class).startswith("IPF.Note"):
            continue
        entry = {"path": folder_path(folder, top), "total_count": folder.total_count, "items": []}
        query = folder.all().only("subject", "size", "datetime_received", "has_attachments", "attachments",
                                  "is_read", "item_class")
        for item in query:
            record = {"subject": item.subject, "size": item.size, "is_read": item.is_read,
                      "item_class": item.item_class, "attachments": []}
            for attachment in item.attachments or []:
                described = {"name": attachment.name, "content_type": attachment.content_type,
                             "size": attachment.size, "is_inline": bool(attachment.is_inline),
                             "kind": "item" if isinstance(attachment, ItemAttachment) else "file"}
                if isinstance(attachment, FileAttachment) and fetched["file"] < fetch_limit:
                    content = attachment.content
                    described["fetched_bytes"] = len(content)
                    described["sha256"] = hashlib.sha256(content).hexdigest()
                    fetched["file"] += 1
                elif isinstance(attachment, ItemAttachment) and fetched["item"] < fetch_limit:
                    embedded = attachment.item
                    mime = embedded.mime_content or b""
                    described["fetched_bytes"] = len(mime)
                    described["embedded_subject"] = embedded.subject
                    fetched["item"] += 1
                record["attachments"].append(described)
                totals["attachments"] += 1
                totals["attachment_bytes"] += attachment.size or 0
            totals["messages"] += 1
            totals["message_bytes"] += item.size or 0
            entry["items"].append(record)
        result["folders"].append(entry)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--mailbox", action="append", required=True)
    parser.add_argument("--access-type", choices=["impersonation", "delegate"], default="impersonation")
    parser.add_argument("--ca")
    parser.add_argument("--fetch-content", type=int, default=3)
    args = parser.parse_args()

    if args.ca:
        BaseProtocol.HTTP_ADAPTER_CLS = make_adapter(args.ca)
    config = Configuration(service_endpoint=args.url, credentials=Credentials(args.user, args.password),
                           auth_type=BASIC, version=Version(build=EXCHANGE_2013_SP1), max_connections=2)
    access = IMPERSONATION if args.access_type == "impersonation" else DELEGATE
    totals = {"messages": 0, "message_bytes": 0, "attachments": 0, "attachment_bytes": 0}
    mailboxes = []
    for address in args.mailbox:
        account = Account(primary_smtp_address=address, config=config, autodiscover=False, access_type=access)
        mailboxes.append(crawl_mailbox(account, args.fetch_content, totals))
    json.dump({"mailboxes": mailboxes, "totals": totals}, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
