"""The SMTP server's handler in the e-mail test (e2e/tests/mail.rs), for aiosmtpd:

    .venv/bin/python -m aiosmtpd -n -l 127.0.0.1:PORT -c capture.Capture FOLDER   (PYTHONPATH=e2e/smtp)

Every message received is written to FOLDER/<n>.json: the envelope (MAIL FROM, RCPT TO) and the
message as a reader sees it, headers and text decoded (RFC 2047 words, quoted-printable or
base64), so the test compares plain strings. Each file appears whole (written, then renamed).
"""

import itertools
import json
import os
from email import message_from_bytes, policy


class Capture:
    def __init__(self, folder):
        self.folder = folder
        self.numbers = itertools.count(1)

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 1:
            parser.error("capture.Capture takes one argument: the folder to write the messages to")
        return cls(args[0])

    async def handle_DATA(self, server, session, envelope):
        msg = message_from_bytes(envelope.original_content, policy=policy.default)
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "from": str(msg["From"]),
            "to": str(msg["To"]),
            "subject": str(msg["Subject"]),
            "message_id": str(msg["Message-ID"]),
            "content_type": msg.get_content_type(),
            "charset": msg.get_content_charset(),
            "body": msg.get_content(),
        }
        n = next(self.numbers)
        partial = os.path.join(self.folder, f".{n}.partial")
        with open(partial, "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False)
        os.rename(partial, os.path.join(self.folder, f"{n}.json"))
        return "250 OK"
