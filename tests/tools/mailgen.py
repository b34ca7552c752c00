#!/usr/bin/env python3
"""Generate sample mailboxes for mailprune's tests, demo and benchmark.

    mailgen.py --users N --messages M --out DIR [--seed S] [--size-scale F] [--damaged K]

Writes DIR/<user>/<folder>/<n>.eml (one message per file, CRLF line endings, so a file's size is
the message's IMAP RFC822.SIZE), DIR/manifest.json and DIR/agents.csv. Deterministic: the same
arguments give the same bytes (no clock, no global random state).

The mix is meant to look like a real office's mail: text-only mails, newsletters (HTML,
List-Unsubscribe, a shared inline logo), PDF/DOCX/XLSX/JPEG/PNG/ZIP-like attachments from a few KB
to a few MB (times --size-scale), inline images in multipart/related with Content-ID, forwarded
messages (message/rfc822), calendar invitations, S/MIME-signed messages; French file names in RFC
2231 (plain and continued) and RFC 2047 forms; base64 at several line lengths and
quoted-printable. Many duplicates: a team mail sends the same attachment to several mailboxes (and
the sender's Sent), popular attachments recur, the same content travels under other names and
encodings. Size collisions that are NOT duplicates: pairs of the same size with different content,
and pairs that also share their first 64 KiB (to exercise prefix hashing).

manifest.json:
  users:            [{address, display_name, team, language}]
  folders:          [{user, folder}]  every folder, parents and empty ones included; "/" separator
  messages:         [{user, folder, file, flags, internal_date, internal_date_epoch, size}]
  damaged_messages: same fields plus "damage": bad-base64 | missing-boundary | truncated
Within a folder, internal dates are distinct and increasing with the file number.

Standard library only.
"""

import argparse
import base64
import csv
import datetime
import email.header
import email.utils
import json
import os
import random
import sys
import urllib.parse

CRLF = b"\r\n"
PREFIX = 64 * 1024  # the crawler's prefix-hash length: some non-duplicates share this much

FIRST_NAMES = ["Alice", "Bruno", "Chloé", "David", "Élodie", "François", "Gaëlle", "Hugo", "Inès",
               "Julien", "Karim", "Léa", "Mathieu", "Noémie", "Olivier", "Pauline", "Quentin",
               "Rémi", "Sophie", "Thomas", "Ursule", "Valérie", "William", "Yasmine", "Zoé"]
LAST_NAMES = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
              "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "Roux"]
TEAMS = ["support", "ventes", "comptabilité", "direction"]

ATTACHMENT_NAMES = {
    "pdf": ["compte-rendu réunion.pdf", "Facture n°{n}.pdf", "devis {n}.pdf", "contrat signé.pdf",
            "Procès-verbal assemblée générale {n}.pdf", "report-{n}.pdf", "Bon de commande {n}.pdf"],
    "docx": ["résumé.docx", "Note de synthèse {n}.docx", "proposal-{n}.docx", "Cahier des charges.docx"],
    "xlsx": ["budget prévisionnel {n}.xlsx", "planning équipe.xlsx", "sales-{n}.xlsx"],
    "jpeg": ["photo équipe.jpg", "IMG_{n}.jpg", "séminaire été {n}.jpg"],
    "png": ["capture d'écran {n}.png", "schema-{n}.png", "logo.png"],
    "zip": ["archive {n}.zip", "documents à signer.zip", "export-{n}.zip"],
    "txt": ["notes réunion {n}.txt", "readme-{n}.txt"],
}
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "zip": "application/zip",
    "txt": "text/plain; charset=utf-8",
}
MAGIC = {"pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "docx": b"PK\x03\x04\x14\x00\x06\x00",
         "xlsx": b"PK\x03\x04\x14\x00\x06\x00", "jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
         "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "zip": b"PK\x03\x04\n\x00\x00\x00"}
SUBJECTS = ["Compte-rendu de la réunion du {d}", "Budget {y} : version révisée", "Re: planning de l'équipe",
            "Devis pour le projet {n}", "Photos du séminaire", "Contrat à signer avant vendredi",
            "Quarterly report {y}", "Fwd: documents demandés", "Point hebdo", "Question sur la facture {n}",
            "Invitation : revue de projet", "Proposition commerciale", "Mise à jour des procédures"]
LOREM = ("Bonjour, veuillez trouver ci-joint les éléments évoqués lors de notre échange. N'hésitez pas "
         "à revenir vers moi pour toute question. Les délais prévus restent inchangés ; la prochaine "
         "étape est prévue la semaine prochaine. Bien cordialement.").split()
FOLDERS_ALWAYS = ["INBOX", "Sent", "Archives", "Archives/Réunions", "Newsletters"]
FOLDERS_SOMETIMES = ["Projets", "Projets/Clients été", "Factures", "Brouillons"]
START = datetime.datetime(2019, 1, 1, tzinfo=datetime.timezone.utc)
SPAN_SECONDS = 5 * 365 * 24 * 3600


class Generator:
    def __init__(self, args):
        self.rng = random.Random(args.seed)
        self.seed = args.seed
        self.scale = args.size_scale
        self.boundary_counter = 0
        self.message_counter = 0
        self.users = self.make_users(args.users)
        self.pool = self.make_pool(args.users * args.messages)
        self.logo = self.payload("png", max(800, int(6000 * self.scale)))

    # ---- people and content -------------------------------------------------------------------

    def make_users(self, count):
        users = []
        for i in range(count):
            first = FIRST_NAMES[i % len(FIRST_NAMES)]
            last = LAST_NAMES[(i * 7 + i // len(FIRST_NAMES)) % len(LAST_NAMES)]
            local = ascii_fold(first).lower() + ("" if i < len(FIRST_NAMES) else str(i))
            users.append({"address": f"{local}@example.org", "display_name": f"{first} {last}",
                          "team": TEAMS[i % len(TEAMS)], "language": "fr" if i % 5 else "en"})
        return users

    def size(self):
        # Log-normal around 20 KB, clipped to [2 KB, 4 MB], then scaled: mostly small, a few big.
        value = int(min(max(self.rng.lognormvariate(9.9, 1.4), 2000), 4_000_000) * self.scale)
        return max(value, 200)

    def payload(self, kind, size):
        if kind == "txt":
            words, length = [], 0
            while length < size:
                words.append(self.rng.choice(LOREM))
                length += len(words[-1]) + 1
            text = " ".join(words)
            lines = [text[i:i + 70] for i in range(0, len(text), 70)]
            return ("\r\n".join(lines) + "\r\n").encode("utf-8")
        magic = MAGIC[kind]
        return magic + self.rng.randbytes(max(size - len(magic), 0))

    def name_for(self, kind):
        return self.rng.choice(ATTACHMENT_NAMES[kind]).format(n=self.rng.randint(100, 9999))

    def make_pool(self, total_messages):
        kinds = ["pdf"] * 5 + ["docx"] * 3 + ["xlsx"] * 2 + ["jpeg"] * 3 + ["png"] * 2 + ["zip"] + ["txt"]
        pool = []
        for _ in range(max(10, total_messages // 5)):
            kind = self.rng.choice(kinds)
            pool.append({"kind": kind, "name": self.name_for(kind), "data": self.payload(kind, self.size())})
        # Same size, different content (not duplicates): the crawler must hash to tell them apart.
        for _ in range(max(2, total_messages // 100)):
            a = self.rng.choice(pool)
            twin = a["data"][:len(MAGIC.get(a["kind"], b""))] + self.rng.randbytes(
                len(a["data"]) - len(MAGIC.get(a["kind"], b"")))
            if a["kind"] == "txt":
                twin = bytes(reversed(a["data"]))
            if twin != a["data"]:
                pool.append({"kind": a["kind"], "name": self.name_for(a["kind"]), "data": twin})
        # Same size AND the same first 64 KiB, different tail: only a full hash separates them.
        for _ in range(2):
            size = PREFIX + 4096 + self.rng.randint(0, 60_000)
            head = self.payload("pdf", PREFIX)
            for _ in range(2):
                pool.append({"kind": "pdf", "name": self.name_for("pdf"),
                             "data": head + self.rng.randbytes(size - PREFIX)})
        return pool

    def pick_attachment(self):
        # Popular files first: a few documents are sent again and again.
        index = min(int(self.rng.paretovariate(1.2)) - 1, len(self.pool) - 1)
        if self.rng.random() < 0.5:
            index = self.rng.randrange(len(self.pool))
        item = self.pool[index]
        name = item["name"] if self.rng.random() < 0.7 else self.name_for(item["kind"])
        return item, name

    def words(self, count):
        return " ".join(self.rng.choice(LOREM) for _ in range(count))

    # ---- MIME assembly (by hand, so every byte is known and CRLF) --------------------------------

    def boundary(self):
        self.boundary_counter += 1
        return f"=_mailgen_{self.seed}_{self.boundary_counter}_{self.rng.getrandbits(48):012x}"

    def text_part(self, text, subtype="plain", qp=False):
        data = text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")
        if qp:
            return ([("Content-Type", f"text/{subtype}; charset=utf-8"),
                     ("Content-Transfer-Encoding", "quoted-printable")], qp_encode_text(data))
        if all(b < 128 for b in data):
            return [("Content-Type", f"text/{subtype}; charset=us-ascii"),
                    ("Content-Transfer-Encoding", "7bit")], data
        return ([("Content-Type", f"text/{subtype}; charset=utf-8"),
                 ("Content-Transfer-Encoding", "base64")], b64(data, 76))

    def attachment_part(self, item, name, disposition="attachment", content_id=None):
        ctype = CONTENT_TYPES[item["kind"]]
        data = item["data"]
        style = self.rng.random()
        headers = []
        if all(ord(c) < 128 for c in name):
            headers.append(("Content-Type", f'{ctype}; name="{name}"'))
            disp = f'{disposition}; filename="{name}"'
        elif style < 0.45:  # RFC 2231, one piece (Thunderbird, Apple Mail)
            headers.append(("Content-Type", f"{ctype}; name*=utf-8''{pct(name)}"))
            disp = f"{disposition};\r\n filename*=utf-8''{pct(name)}"
        elif style < 0.7:  # RFC 2231 continuations
            encoded = pct(name)
            pieces = [encoded[i:i + 24] for i in range(0, len(encoded), 24)]
            headers.append(("Content-Type", f"{ctype}"))
            disp = disposition + "".join(f";\r\n filename*{i}*={'utf-8' + chr(39) * 2 if i == 0 else ''}{p}"
                                         for i, p in enumerate(pieces))
        else:  # RFC 2047 inside quotes (Outlook, Gmail)
            word = email.header.Header(name, "utf-8").encode().replace("\n", "\r\n")
            headers.append(("Content-Type", f'{ctype};\r\n name="{word}"'))
            disp = f'{disposition};\r\n filename="{word}"'
        if disposition is not None:
            headers.append(("Content-Disposition", disp))
        if content_id:
            headers.append(("Content-ID", f"<{content_id}>"))
        if item["kind"] == "txt" and self.rng.random() < 0.5:
            headers.append(("Content-Transfer-Encoding", "quoted-printable"))
            return headers, qp_encode_binary(data)
        headers.append(("Content-Transfer-Encoding", "base64"))
        return headers, b64(data, self.rng.choice([76, 76, 76, 72, 64]))

    def multipart(self, subtype, parts, params=""):
        boundary = self.boundary()
        body = b"This is a multi-part message in MIME format." + CRLF
        for headers, part_body in parts:
            body += b"--" + boundary.encode() + CRLF + header_bytes(headers) + CRLF + part_body + CRLF
        body += b"--" + boundary.encode() + b"--" + CRLF
        return [("Content-Type", f'multipart/{subtype};{params}\r\n boundary="{boundary}"')], body

    def envelope(self, sender, recipients, subject, date):
        self.message_counter += 1
        return [("From", email.utils.formataddr((sender["display_name"], sender["address"]))),
                ("To", ", ".join(email.utils.formataddr((r["display_name"], r["address"])) for r in recipients)),
                ("Subject", email.header.Header(subject, "utf-8").encode().replace("\n", "\r\n")
                 if any(ord(c) > 127 for c in subject) else subject),
                ("Date", email.utils.format_datetime(date.astimezone(
                    datetime.timezone(datetime.timedelta(hours=self.rng.choice([1, 2])))))),
                ("Message-ID", f"<mailgen.{self.seed}.{self.message_counter}.{self.rng.getrandbits(40):x}@example.org>"),
                ("MIME-Version", "1.0")]

    def subject(self, date):
        return self.rng.choice(SUBJECTS).format(d=date.strftime("%d/%m/%Y"), y=date.year,
                                                n=self.rng.randint(100, 999))

    # ---- message kinds ------------------------------------------------------------------------

    def body_and_attachments(self, count):
        parts = [self.text_part(self.words(self.rng.randint(20, 120)), qp=self.rng.random() < 0.5)]
        for _ in range(count):
            parts.append(self.attachment_part(*self.pick_attachment()))
        return self.multipart("mixed", parts)

    def make_message(self, kind, sender, recipients, date):
        subject = self.subject(date)
        if kind == "text":
            content = self.text_part(self.words(self.rng.randint(10, 300)), qp=self.rng.random() < 0.6)
        elif kind == "newsletter":
            cid = f"logo.{self.seed}@news.example.com"
            html = (f"<html><body><img src=\"cid:{cid}\"><h1>Lettre d'information</h1><p>{self.words(80)}</p>"
                    f"<a href=\"https://news.example.com/unsubscribe\">Se désabonner</a></body></html>")
            alternative = self.multipart("alternative", [self.text_part(self.words(80), qp=True),
                                                         self.text_part(html, "html", qp=True)])
            logo = self.attachment_part({"kind": "png", "data": self.logo}, "logo.png", "inline", cid)
            content = self.multipart("related", [alternative, logo], ' type="multipart/alternative";')
            sender = {"display_name": "Lettre d'information", "address": "news@news.example.com"}
            subject = f"Les nouvelles de {date.strftime('%B %Y')}"
        elif kind in ("attachment", "team"):
            content = self.body_and_attachments(1 if self.rng.random() < 0.7 else self.rng.randint(2, 4))
        elif kind == "inline":
            cids = [f"image{i:03d}.{self.rng.getrandbits(32):08x}@example.org" for i in range(self.rng.randint(1, 3))]
            html = "<html><body><p>" + self.words(60) + "</p>" + "".join(
                f'<img src="cid:{c}">' for c in cids) + "</body></html>"
            images = [self.attachment_part({"kind": "jpeg", "data": self.payload("jpeg", self.size() // 2)},
                                           f"image{i:03d}.jpg", "inline", c) for i, c in enumerate(cids)]
            related = self.multipart("related", [self.text_part(html, "html", qp=True)] + images)
            content = related
            if self.rng.random() < 0.5:
                content = self.multipart("mixed", [related, self.attachment_part(*self.pick_attachment())])
        elif kind == "forward":
            inner_sender = {"display_name": "Partenaire Externe", "address": "contact@partenaire.example.net"}
            inner_date = date - datetime.timedelta(days=self.rng.randint(1, 30))
            inner_headers, inner_body = self.body_and_attachments(self.rng.randint(0, 2))
            inner = header_bytes(self.envelope(inner_sender, [sender], self.subject(inner_date), inner_date)
                                 + inner_headers) + CRLF + inner_body
            forwarded = ([("Content-Type", "message/rfc822"), ("Content-Disposition", "attachment")], inner)
            content = self.multipart("mixed", [self.text_part("Pour information, ci-dessous.\n" + self.words(20)),
                                               forwarded])
            subject = "Fwd: " + subject
        elif kind == "invitation":
            start = date + datetime.timedelta(days=7)
            ics = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//mailgen//FR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n"
                   f"UID:{self.rng.getrandbits(64):x}@example.org\r\nDTSTART:{start.strftime('%Y%m%dT%H%M%SZ')}\r\n"
                   f"DTEND:{(start + datetime.timedelta(hours=1)).strftime('%Y%m%dT%H%M%SZ')}\r\n"
                   "SUMMARY:Revue de projet\r\nLOCATION:Salle Réunion 2\r\n"
                   f"ORGANIZER:mailto:{sender['address']}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
            calendar = ([("Content-Type", "text/calendar; charset=utf-8; method=REQUEST"),
                         ("Content-Transfer-Encoding", "base64")], b64(ics.encode(), 76))
            alternative = self.multipart("alternative", [self.text_part("Revue de projet " + self.words(15)),
                                                         self.text_part("<p>Revue de projet</p>", "html"),
                                                         calendar])
            invite = ([("Content-Type", 'application/ics; name="invite.ics"'),
                       ("Content-Disposition", 'attachment; filename="invite.ics"'),
                       ("Content-Transfer-Encoding", "base64")], b64(ics.encode(), 76))
            content = self.multipart("mixed", [alternative, invite])
            subject = "Invitation : Revue de projet"
        elif kind == "signed":
            inner = self.body_and_attachments(self.rng.randint(0, 1))
            signature = ([("Content-Type", 'application/pkcs7-signature; name="smime.p7s"'),
                          ("Content-Disposition", 'attachment; filename="smime.p7s"'),
                          ("Content-Transfer-Encoding", "base64")],
                         b64(b"\x30\x82" + self.rng.randbytes(3000), 76))
            content = self.multipart("signed", [inner, signature],
                                     ' protocol="application/pkcs7-signature"; micalg=sha-256;')
        else:
            raise ValueError(kind)
        headers, body = content
        top = self.envelope(sender, recipients, subject, date)
        if kind == "newsletter":
            top += [("List-Id", "Lettre d'information <news.example.com>"),
                    ("List-Unsubscribe", "<https://news.example.com/unsubscribe>, <mailto:unsubscribe@news.example.com>"),
                    ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")]
        return header_bytes(top + headers) + CRLF + body

    def damage(self, raw, how):
        if how == "bad-base64":
            marker = raw.find(b"Content-Transfer-Encoding: base64\r\n\r\n")
            start = marker + 40 if marker >= 0 else len(raw) // 2
            raw = bytearray(raw)
            for offset in range(start + 5, min(start + 400, len(raw) - 2), 37):
                if raw[offset] not in b"\r\n":
                    raw[offset] = ord(self.rng.choice("!*%$"))
            return bytes(raw)
        if how == "missing-boundary":
            end = raw.rstrip(CRLF).rfind(b"\r\n--")
            return raw[:end + 2] if end > 0 else raw
        if how == "truncated":
            return raw[:int(len(raw) * 0.6)]
        raise ValueError(how)


def header_bytes(headers):
    return b"".join(f"{name}: {value}".encode("ascii") + CRLF for name, value in headers)


def b64(data, width):
    text = base64.b64encode(data)
    return CRLF.join(text[i:i + width] for i in range(0, len(text), width))


def pct(name):
    return urllib.parse.quote(name, safe="")


def qp_encode_binary(data):
    """Quoted-printable that keeps every byte, CR and LF included (=0D=0A): decodes to exactly data."""
    out, line = [], b""
    for byte in data:
        piece = bytes([byte]) if 33 <= byte <= 126 and byte != 61 or byte == 32 else b"=%02X" % byte
        if len(line) + len(piece) > 75:
            out.append(line + b"=")
            line = b""
        line += piece
    out.append(line)
    return CRLF.join(out)


def qp_encode_text(data):
    """Quoted-printable for body text: lines stay lines (hard CRLF breaks)."""
    lines = []
    for text_line in data.split(CRLF):
        encoded = qp_encode_binary(text_line)
        if encoded.endswith(b" "):
            encoded = encoded[:-1] + b"=20"
        lines.append(encoded)
    return CRLF.join(lines)


def ascii_fold(text):
    table = str.maketrans("éèêëàâäîïôöùûüçÉÈÊËÀÂÄÎÏÔÖÙÛÜÇ", "eeeeaaaiioouuucEEEEAAAIIOOUUUC")
    return text.translate(table)


def folder_path(folder):
    return folder  # "/" separated: nested directories under the user


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--messages", type=int, required=True, help="messages per user (copies included)")
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--size-scale", type=float, default=1.0, help="multiplies attachment sizes")
    parser.add_argument("--damaged", type=int, default=0, help="damaged messages to add (listed apart)")
    args = parser.parse_args()
    if args.users < 1 or args.messages < 0 or args.size_scale <= 0:
        parser.error("need --users >= 1, --messages >= 0, --size-scale > 0")

    gen = Generator(args)
    rng = gen.rng
    users = gen.users
    folders = {}
    for user in users:
        chosen = list(FOLDERS_ALWAYS) + [f for f in FOLDERS_SOMETIMES if rng.random() < 0.5]
        if "Projets/Clients été" in chosen and "Projets" not in chosen:
            chosen.append("Projets")
        folders[user["address"]] = chosen

    # Plan: (user, folder, date, message index) for each copy; messages are built once.
    counts = {u["address"]: 0 for u in users}
    copies = []   # (user, folder, message_id, flags)
    bodies = []   # raw bytes per message index
    kinds = (["text"] * 25 + ["newsletter"] * 10 + ["attachment"] * 25 + ["inline"] * 8 + ["forward"] * 7
             + ["invitation"] * 3 + ["signed"] * 3 + ["team"] * 19)
    turn = 0
    while any(c < args.messages for c in counts.values()):
        owner = users[turn % len(users)]
        turn += 1
        if counts[owner["address"]] >= args.messages:
            continue
        kind = rng.choice(kinds)
        date = START + datetime.timedelta(seconds=rng.randrange(SPAN_SECONDS))
        if kind == "team":
            others = [u for u in users if u is not owner and counts[u["address"]] < args.messages]
            team = [u for u in others if u["team"] == owner["team"]] or others
            recipients = rng.sample(team, min(len(team), rng.randint(2, 7)))
            if not recipients:
                kind, recipients = "attachment", [rng.choice(users)]
        else:
            recipients = [owner]
        sender = owner if kind == "team" else rng.choice(users)
        raw = gen.make_message(kind, sender, recipients, date)
        index = len(bodies)
        bodies.append(raw)
        if kind == "team":
            targets = [(owner, "Sent")] + [(r, "Archives/Réunions" if rng.random() < 0.3 else "INBOX")
                                           for r in recipients]
        elif kind == "newsletter":
            targets = [(owner, "Newsletters" if rng.random() < 0.7 else "INBOX")]
        else:
            places = [f for f in folders[owner["address"]] if f not in ("Sent", "Newsletters", "Brouillons")]
            targets = [(owner, "INBOX" if rng.random() < 0.55 else rng.choice(places))]
        for user, folder in targets:
            if counts[user["address"]] >= args.messages:
                continue
            flags = []
            if folder == "Sent" or rng.random() < 0.7:
                flags.append("\\Seen")
            if rng.random() < 0.08:
                flags.append("\\Flagged")
            if folder != "Sent" and rng.random() < 0.1:
                flags.append("\\Answered")
            copies.append((user["address"], folder, index, flags, date))
            counts[user["address"]] += 1

    damaged = []
    damage_kinds = ["bad-base64", "missing-boundary", "truncated"]
    for k in range(args.damaged):
        owner = users[k % len(users)]
        date = START + datetime.timedelta(seconds=rng.randrange(SPAN_SECONDS))
        raw = gen.damage(gen.make_message("attachment", owner, [owner], date), damage_kinds[k % 3])
        index = len(bodies)
        bodies.append(raw)
        damaged.append((owner["address"], "INBOX", index, [], date, damage_kinds[k % 3]))

    os.makedirs(args.out, exist_ok=True)
    manifest = {"format": 1, "generator": "mailgen.py", "seed": args.seed, "size_scale": args.size_scale,
                "users": users,
                "folders": [{"user": u["address"], "folder": f} for u in users for f in folders[u["address"]]],
                "messages": [], "damaged_messages": []}

    # Within a folder: distinct, increasing internal dates in file order (servers give UIDs by date).
    by_folder = {}
    for entry in copies:
        by_folder.setdefault((entry[0], entry[1]), []).append(entry + (None,))
    for entry in damaged:
        by_folder.setdefault((entry[0], entry[1]), []).append(entry)
    for (user, folder), entries in sorted(by_folder.items()):
        entries.sort(key=lambda e: (e[4], e[2]))
        directory = os.path.join(args.out, user, folder_path(folder))
        os.makedirs(directory, exist_ok=True)
        last = None
        for number, (_, _, index, flags, date, damage) in enumerate(entries, 1):
            received = int(date.timestamp()) + rng.randint(5, 600)  # delivered a little after sending
            if last is not None and received <= last:
                received = last + 1
            last = received
            raw = bodies[index]
            assert b"\n" not in raw.replace(CRLF, b""), "bare LF in generated message"
            name = f"{number:06d}.eml"
            with open(os.path.join(directory, name), "wb") as out:
                out.write(raw)
            record = {"user": user, "folder": folder, "file": f"{user}/{folder_path(folder)}/{name}",
                      "flags": flags,
                      "internal_date": datetime.datetime.fromtimestamp(received, datetime.timezone.utc)
                      .strftime("%Y-%m-%dT%H:%M:%SZ"),
                      "internal_date_epoch": received, "size": len(raw)}
            if damage:
                record["damage"] = damage
                manifest["damaged_messages"].append(record)
            else:
                manifest["messages"].append(record)

    with open(os.path.join(args.out, "manifest.json"), "w", encoding="utf-8") as out:
        json.dump(manifest, out, ensure_ascii=False, indent=1)
        out.write("\n")
    with open(os.path.join(args.out, "agents.csv"), "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["address", "display_name", "team", "language"])
        for u in users:
            writer.writerow([u["address"], u["display_name"], u["team"], u["language"]])
    total = sum(m["size"] for m in manifest["messages"])
    print(f"mailgen: {len(users)} users, {len(manifest['messages'])} messages ({total} bytes), "
          f"{len(manifest['damaged_messages'])} damaged, in {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
