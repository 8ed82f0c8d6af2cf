#!/usr/bin/env python3
"""gen-text.py ascii|mixed BYTES [reply|inbound] - deterministic support text.

ascii: only bytes < 0x80; mixed: the same sentences with about one word in
six in another script or with accents, curly quotes and dashes (about a
third of the bytes >= 0x80). With 'reply', wraps the text as an agent's
reply (from alice@support.example.com), with 'inbound' as a customer's
message to billing@support.example.com, for `helpdeskctl scan`. Used by
bench/match/run; not part of make check.
"""
import random
import sys

SENTENCES = [
    "Thank you for contacting Acme Support.",
    "I am sorry to hear that your order has not arrived yet.",
    "I have checked with our warehouse and the parcel left on Monday.",
    "Could you please confirm the delivery address on your account?",
    "I understand how frustrating this is, and I want to get it resolved for you today.",
    "Our records show that the payment was authorised but not yet captured.",
    "In the meantime, you can track the parcel from the My orders page.",
    "We can offer a replacement or a full refund, whichever you prefer.",
    "Please note that the refund may take up to five working days to appear.",
    "Could you try clearing the cache and signing in again?",
    "I have forwarded your feedback to the product team.",
    "Thanks again for reaching out, and have a lovely day.",
]
MIXED_WORDS = ["caf\u00e9", "\u00fcber", "Stra\u00dfe", "\u0437\u0430\u043a\u0430\u0437", "\u0434\u043e\u0441\u0442\u0430\u0432\u043a\u0430",
               "\u03c0\u03b1\u03c1\u03b1\u03b3\u03b3\u03b5\u03bb\u03af\u03b1", "\u6ce8\u6587", "\u914d\u9001",
               "\u201cquoted\u201d", "it\u2019s", "\u2014", "na\u00efve", "r\u00e9sum\u00e9", "\u00c5ngstr\u00f6m"]


def main():
    kind, n = sys.argv[1], int(sys.argv[2])
    eml = sys.argv[3] if len(sys.argv) > 3 else ''
    rnd = random.Random(15)
    out, size = [], 0
    while size < n:
        s = rnd.choice(SENTENCES)
        if kind == 'mixed':
            words = s.split(' ')
            for i in range(len(words)):
                if rnd.randrange(3) == 0:
                    words[i] = rnd.choice(MIXED_WORDS)
            s = ' '.join(words)
        if rnd.randrange(500) == 0:
            s += " Please calm down, it is not our fault."
        s += "\n" if rnd.randrange(4) == 0 else " "
        out.append(s)
        size += len(s.encode())
    text = ''.join(out).encode()[:n]
    text = text.decode('utf-8', 'ignore').encode()
    if eml == 'inbound':
        head = ("From: Pat <pat@example.net>\nTo: billing@support.example.com\n"
                "Message-ID: <bench-in@example.net>\nSubject: My order has not arrived\n"
                "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
                "Content-Transfer-Encoding: 8bit\n\n").encode()
        text = head + text
    elif eml == 'reply':
        head = ("From: Alice <alice@support.example.com>\nTo: pat@example.net\n"
                "Message-ID: <bench-reply@support.example.com>\nSubject: Re: your order\n"
                "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
                "Content-Transfer-Encoding: 8bit\n\n").encode()
        text = head + text
    sys.stdout.buffer.write(text)


if __name__ == '__main__':
    main()
