"""A deterministic, realistic demo mailbox (threads, labels, attachments, newsletters) to seed any Mailbox."""

from __future__ import annotations

import random
import struct
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

from domain.mail import (
    CATEGORY_PERSONAL,
    CATEGORY_PROMOTIONS,
    CATEGORY_UPDATES,
    IMPORTANT,
    INBOX,
    SENT,
    STARRED,
    UNREAD,
    EmailAddress,
    OutgoingAttachment,
    OutgoingMessage,
)
from domain.mime import build_mime, deterministic_message_id

DEMO_OWNER = "you@demo.mailagent.local"
DEMO_LABELS = ("Work", "Later", "Receipts", "Newsletters", "Travel", "Family", "Projects/Offsite")
DEMO_SEED = 20250615
SPAN_DAYS = 90


@dataclass(frozen=True)
class DemoMessage:
    raw: bytes
    system_labels: tuple[str, ...]
    user_labels: tuple[str, ...]  # label names (created on seeding), not ids
    internal_date: datetime


@runtime_checkable
class DemoSeedable(Protocol):
    """What a mailbox adapter offers to take demo mail (InMemoryMailbox and SqliteMailbox do)."""

    def seed(
        self,
        messages: Iterable[tuple[bytes, Sequence[str], Sequence[str], datetime]],
        *,
        only_if_empty: bool = True,
    ) -> int: ...


def seed_mailbox(target: DemoSeedable, messages: Iterable[DemoMessage], *, only_if_empty: bool = True) -> int:
    """Put the demo messages into `target` (once: nothing happens when it already has mail); returns how many."""
    return target.seed(
        ((m.raw, m.system_labels, m.user_labels, m.internal_date) for m in messages), only_if_empty=only_if_empty
    )


# ---------------------------------------------------------------- cast


@dataclass(frozen=True)
class _Person:
    name: str
    address: str

    @property
    def email(self) -> EmailAddress:
        return EmailAddress(address=self.address, name=self.name)

    @property
    def first(self) -> str:
        return self.name.split()[0]


ALICE = _Person("Alice Chen", "alice@northwind.example")
BOB = _Person("Bob Martin", "bob@northwind.example")
CAROL = _Person("Carol Díaz", "carol@contoso.example")
JOHN_SMITH = _Person("John Smith", "john.smith@contoso.example")
JOHN_PARK = _Person("John Park", "john.park@fabrikam.example")
DANA = _Person("Dana Okafor", "dana.okafor@mailbox.example")
ERIK = _Person("Erik Løvås", "erik@fjord.example")
MEI = _Person("Mei Tanaka", "mei.tanaka@fabrikam.example")
COLLEAGUES = (BOB, CAROL, JOHN_SMITH, JOHN_PARK, MEI, ERIK)

NEWSLETTERS = (
    _Person("The Weekly Byte", "news@weeklybyte.example"),
    _Person("Trailhead Outdoor", "deals@trailhead.example"),
    _Person("Python Digest", "digest@pydigest.example"),
)
RECEIPTS = (
    _Person("Corner Books", "receipts@cornerbooks.example"),
    _Person("CityRide", "no-reply@cityride.example"),
    _Person("Green Grocer", "orders@greengrocer.example"),
)
TRAVEL = (_Person("SkyJet Airlines", "bookings@skyjet.example"), _Person("Harbor Hotel", "stay@harborhotel.example"))

WORK_TOPICS = (
    "Q3 roadmap review",
    "Customer escalation: Acme Corp",
    "Hiring loop for the backend role",
    "Budget numbers for next quarter",
    "Release 2.4 checklist",
    "Design review: onboarding flow",
    "Security audit follow-up",
    "Vendor contract renewal",
    "Migration to the new CI runners",
    "Weekly metrics",
    "Postmortem: login outage",
    "Partner API rate limits",
)
WORK_LINES = (
    "Can you take a look before Thursday?",
    "I've put the numbers in the attached sheet.",
    "Let's sync for 15 minutes tomorrow morning.",
    "The draft is ready for review; comments welcome.",
    "Legal signed off, we're good to go.",
    "I moved the deadline to Friday to give QA more time.",
    "Sharing the notes from today's call below.",
    "Could you confirm the owner for each action item?",
    "This is blocking the release, so it's top priority.",
    "No rush — whenever you get a chance this week.",
)
REPLY_LINES = (
    "Thanks, looks good to me.",
    "Sounds good — I'll follow up with the team.",
    "I have a couple of questions, see inline.",
    "Works for me. Tuesday 10:00?",
    "Done. Let me know if anything else is needed.",
    "Can we push this to next week?",
    "Great work, thank you!",
)
FAMILY_TOPICS = ("Dinner on Sunday?", "Photos from the weekend", "Birthday present ideas", "Moving day help")


# ---------------------------------------------------------------- attachments (tiny but real files)


def _pdf(title: str, lines: Sequence[str]) -> bytes:
    text = " ".join(f"({line.replace('(', '[').replace(')', ']')}) Tj T*" for line in (title, *lines))
    stream = f"BT /F1 12 Tf 14 TL 72 720 Td {text} ET".encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _png(rng: random.Random, width: int = 16, height: int = 12) -> bytes:
    base = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
    rows = b"".join(
        b"\x00" + b"".join(bytes((c + 7 * x + 5 * y) % 256 for c in base) for x in range(width)) for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def _csv(rng: random.Random, rows: int = 6) -> bytes:
    lines = ["week,signups,active_users,revenue_eur"]
    for week in range(1, rows + 1):
        lines.append(f"{week},{rng.randint(80, 400)},{rng.randint(1000, 5000)},{rng.randint(5000, 30000)}")
    return ("\n".join(lines) + "\n").encode()


def _ics(summary: str, start: datetime, uid: str, organizer: _Person, attendees: Sequence[_Person]) -> bytes:
    """An iMIP invitation (METHOD:REQUEST) as a calendar program would attach it."""
    stamp = start.strftime("%Y%m%dT%H%M%SZ")
    end = (start + timedelta(hours=8)).strftime("%Y%m%dT%H%M%SZ")
    people = "".join(
        f"ATTENDEE;CN={p.name};PARTSTAT={'ACCEPTED' if p is organizer else 'NEEDS-ACTION'};RSVP=TRUE:"
        f"mailto:{p.address}\r\n"
        for p in (organizer, *attendees)
    )
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//mailagent demo//EN\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:{stamp}\r\nDTSTART:{stamp}\r\nDTEND:{end}\r\nSUMMARY:{summary}\r\n"
        f"LOCATION:Lisbon\r\nORGANIZER;CN={organizer.name}:mailto:{organizer.address}\r\n{people}"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


# ---------------------------------------------------------------- generation


@dataclass
class _Draft:
    """One message before it is rendered."""

    sender: _Person
    recipients: list[_Person]
    subject: str
    text: str
    at: datetime
    html: str | None = None
    cc: list[_Person] = field(default_factory=list)
    attachments: list[OutgoingAttachment] = field(default_factory=list)
    user_labels: set[str] = field(default_factory=set)
    system_labels: set[str] = field(default_factory=set)
    thread_key: str = ""


class _Generator:
    def __init__(self, now: datetime, owner: str, size: int, seed: int) -> None:
        self.now = now.astimezone(UTC)
        self.owner = _Person("You", owner)
        self.size = size
        self.rng = random.Random(seed)
        self.domain = owner.rpartition("@")[2] or "demo.mailagent.local"
        self.drafts: list[_Draft] = []

    # time helpers
    def moment(self, days_ago_max: float = SPAN_DAYS, days_ago_min: float = 0.05) -> datetime:
        days = self.rng.uniform(days_ago_min, days_ago_max)
        at = self.now - timedelta(days=days)
        # office-ish hours, minutes precision
        return at.replace(hour=self.rng.choice(range(7, 22)), minute=self.rng.randrange(60), second=0, microsecond=0)

    def clamp(self, at: datetime) -> datetime:
        latest = self.now - timedelta(minutes=3)
        return min(at, latest)

    # scenarios
    def offsite_thread(self) -> None:
        start = self.clamp(self.now - timedelta(days=12, hours=3))
        event_day = (self.now + timedelta(days=9)).replace(hour=9, minute=0, second=0, microsecond=0)
        subject = "Team offsite in Lisbon — agenda and logistics"
        agenda = (
            f"Hi all,\n\nThe offsite is on {event_day:%A %d %B}. Draft agenda:\n"
            "  09:00 Kickoff and goals\n  11:00 Roadmap deep-dive\n  14:00 Team retro\n  16:30 Walk + dinner\n\n"
            "Please reply with dietary restrictions by Friday. Calendar invite attached.\n\nCarol"
        )
        messages = [
            _Draft(
                CAROL,
                [self.owner, JOHN_SMITH, JOHN_PARK],
                subject,
                agenda,
                start,
                cc=[BOB],
                attachments=[
                    OutgoingAttachment(
                        filename="offsite.ics",
                        mime_type="text/calendar",
                        content=_ics(
                            "Team offsite",
                            event_day,
                            f"offsite-{self.domain}",
                            CAROL,
                            [self.owner, JOHN_SMITH, JOHN_PARK, BOB],
                        ),
                    )
                ],
            ),
            _Draft(
                JOHN_SMITH,
                [CAROL],
                f"Re: {subject}",
                "Vegetarian for me. Can we add a session on hiring?",
                start + timedelta(hours=2),
            ),
            _Draft(
                JOHN_PARK,
                [CAROL],
                f"Re: {subject}",
                "No restrictions. I land at 08:10, might be a few minutes late.",
                start + timedelta(hours=5),
            ),
            _Draft(
                self.owner,
                [CAROL, JOHN_SMITH, JOHN_PARK],
                f"Re: {subject}",
                "Looks great. I'll book the dinner place — any objections to seafood?",
                start + timedelta(days=1, hours=1),
            ),
            _Draft(
                CAROL,
                [self.owner, JOHN_SMITH, JOHN_PARK, BOB],
                f"Re: {subject}",
                "Seafood is fine for everyone. Updated agenda: hiring session at 15:30.",
                start + timedelta(days=2),
            ),
            _Draft(
                BOB,
                [CAROL, self.owner],
                f"Re: {subject}",
                "I'll bring the projector and the retro cards.",
                self.clamp(self.now - timedelta(hours=20)),
            ),
        ]
        for message in messages:
            message.user_labels |= {"Work", "Projects/Offsite"}
            message.thread_key = "offsite"
        messages[0].system_labels.add(STARRED)
        messages[-1].system_labels.add(IMPORTANT)
        self.drafts += messages

    def invoices_from_alice(self) -> None:
        for index, months_ago in enumerate((2, 1, 0)):
            at = self.clamp(self.now - timedelta(days=30 * months_ago + 4, hours=index))
            number = f"NW-{at:%Y}-{at.month:02d}{17 + index}"
            amount = 1200 + 150 * index
            pdf = _pdf(
                f"Invoice {number}",
                ["Northwind Consulting", f"Amount due: EUR {amount:,}.00", f"Due: {at + timedelta(days=30):%Y-%m-%d}"],
            )
            self.drafts.append(
                _Draft(
                    ALICE,
                    [self.owner],
                    f"Invoice {number} from Northwind Consulting",
                    f"Hello,\n\nPlease find attached invoice {number} for EUR {amount:,}.00, due in 30 days.\n\n"
                    "Kind regards,\nAlice Chen\nNorthwind Consulting",
                    at,
                    attachments=[
                        OutgoingAttachment(filename=f"invoice-{number}.pdf", mime_type="application/pdf", content=pdf)
                    ],
                    user_labels={"Receipts"},
                    system_labels={IMPORTANT},
                    thread_key=f"invoice-{number}",
                )
            )

    def travel(self) -> None:
        at = self.clamp(self.now - timedelta(days=6, hours=2))
        flight = self.now + timedelta(days=8)
        code = "".join(self.rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(6))
        html = (
            "<html><body><h1>Your trip to Lisbon</h1>"
            f"<p>Booking reference <b>{code}</b></p><table><tr><td>Outbound</td>"
            f"<td>{flight:%a %d %b} 06:45 → 08:10</td></tr></table>"
            '<p><a href="https://skyjet.example/manage">Manage booking</a></p></body></html>'
        )
        self.drafts.append(
            _Draft(
                TRAVEL[0],
                [self.owner],
                f"Booking confirmed: Lisbon, {flight:%d %b} ({code})",
                f"Your booking {code} is confirmed. Outbound {flight:%a %d %b} 06:45, arrives 08:10.",
                at,
                html=html,
                attachments=[
                    OutgoingAttachment(
                        filename=f"itinerary-{code}.pdf",
                        mime_type="application/pdf",
                        content=_pdf("Itinerary", [code, f"{flight:%Y-%m-%d} 06:45 LIS"]),
                    )
                ],
                user_labels={"Travel"},
                system_labels={CATEGORY_UPDATES},
                thread_key=f"travel-{code}",
            )
        )
        self.drafts.append(
            _Draft(
                TRAVEL[1],
                [self.owner],
                "Your reservation at Harbor Hotel",
                f"We look forward to welcoming you on {flight:%d %B}. Check-in from 15:00.",
                at + timedelta(hours=3),
                user_labels={"Travel"},
                system_labels={CATEGORY_UPDATES},
                thread_key="hotel",
            )
        )

    def newsletter(self, sender: _Person, at: datetime, issue: int) -> None:
        headline = self.rng.choice(
            ("10 tips for calmer mornings", "What's new this week", "Our biggest sale of the season", "Release notes")
        )
        items = [self.rng.choice(WORK_LINES) for _ in range(3)]
        html = (
            f"<html><head><style>h1{{color:#235}}</style></head><body><h1>{sender.name} #{issue}</h1>"
            f"<h2>{headline}</h2><ul>{''.join(f'<li>{item}</li>' for item in items)}</ul>"
            f'<p><img src="https://{sender.address.split("@")[1]}/pixel.gif" width="1" height="1">'
            f'<a href="https://{sender.address.split("@")[1]}/unsubscribe">Unsubscribe</a></p></body></html>'
        )
        self.drafts.append(
            _Draft(
                sender,
                [self.owner],
                f"{sender.name} #{issue}: {headline}",
                "",
                at,
                html=html,
                user_labels={"Newsletters"},
                system_labels={CATEGORY_PROMOTIONS if "deals" in sender.address else CATEGORY_UPDATES},
                thread_key=f"news-{sender.address}-{issue}",
            )
        )

    def receipt(self, at: datetime) -> None:
        shop = self.rng.choice(RECEIPTS)
        total = self.rng.randint(5, 180) + self.rng.choice((0, 0.5, 0.99))
        order = self.rng.randint(10000, 99999)
        self.drafts.append(
            _Draft(
                shop,
                [self.owner],
                f"Your receipt from {shop.name} (order {order})",
                f"Thanks for your order {order}.\nTotal: EUR {total:.2f}\n",
                at,
                attachments=[
                    OutgoingAttachment(
                        filename=f"receipt-{order}.pdf",
                        mime_type="application/pdf",
                        content=_pdf(f"Receipt {order}", [f"Total EUR {total:.2f}"]),
                    )
                ]
                if self.rng.random() < 0.5
                else [],
                user_labels={"Receipts"},
                system_labels={CATEGORY_UPDATES},
                thread_key=f"receipt-{order}",
            )
        )

    def conversation(self, key: str) -> None:
        family = self.rng.random() < 0.15
        if family:
            subject = self.rng.choice(FAMILY_TOPICS)
            people = [DANA]
        else:
            subject = self.rng.choice(WORK_TOPICS)
            people = self.rng.sample(COLLEAGUES, k=self.rng.randint(1, 3))
        length = self.rng.choice((1, 1, 2, 2, 3, 3, 4, 5, 6))
        at = self.moment()
        starter = self.rng.choice([*people, self.owner] if not family else people)
        participants = [*people, self.owner]
        sender = starter
        attachments: list[OutgoingAttachment] = []
        roll = self.rng.random()
        if roll < 0.15 and not family:
            attachments.append(OutgoingAttachment(filename="metrics.csv", mime_type="text/csv", content=_csv(self.rng)))
        elif roll < 0.22:
            attachments.append(OutgoingAttachment(filename="photo.png", mime_type="image/png", content=_png(self.rng)))
        elif roll < 0.27 and not family:
            attachments.append(
                OutgoingAttachment(
                    filename="proposal.pdf",
                    mime_type="application/pdf",
                    content=_pdf(subject, list(self.rng.sample(WORK_LINES, 3))),
                )
            )
        for index in range(length):
            if at >= self.now:
                break
            recipients = [p for p in participants if p != sender][:4]
            greeting = f"Hi {recipients[0].first}," if recipients[0] is not self.owner else "Hi,"
            lines = self.rng.sample(WORK_LINES if index == 0 else REPLY_LINES, k=2 if index == 0 else 1)
            text = f"{greeting}\n\n" + "\n".join(lines) + f"\n\n{sender.first}"
            draft = _Draft(
                sender,
                recipients,
                subject if index == 0 else f"Re: {subject}",
                text,
                self.clamp(at),
                attachments=attachments if index == 0 else [],
                user_labels={"Family"} if family else ({"Work"} if self.rng.random() < 0.7 else set()),
                system_labels={CATEGORY_PERSONAL},
                thread_key=key,
            )
            if self.rng.random() < 0.08:
                draft.system_labels.add(STARRED)
            if self.rng.random() < 0.1:
                draft.user_labels.add("Later")
            self.drafts.append(draft)
            sender = self.rng.choice([p for p in participants if p != sender])
            at += timedelta(hours=self.rng.uniform(0.3, 30))

    def generate(self) -> Iterator[DemoMessage]:
        self.offsite_thread()
        self.invoices_from_alice()
        self.travel()
        for sender in NEWSLETTERS:
            weekly_at = self.now - timedelta(days=self.rng.uniform(0.5, 7))
            issue = 120
            while weekly_at > self.now - timedelta(days=SPAN_DAYS):
                self.newsletter(sender, weekly_at.replace(second=0, microsecond=0), issue)
                weekly_at -= timedelta(days=7)
                issue -= 1
        for _ in range(max(3, self.size // 25)):
            self.receipt(self.moment())
        conversation = 0
        while len(self.drafts) < self.size:
            self.conversation(f"conv-{conversation}")
            conversation += 1
        self.drafts.sort(key=lambda d: d.at)
        kept = self.drafts[-self.size :] if self.size else []
        return self.render(kept)

    def render(self, drafts: list[_Draft]) -> Iterator[DemoMessage]:
        previous: dict[str, list[str]] = {}
        for index, draft in enumerate(drafts):
            message_id = deterministic_message_id(f"demo-{index}-{draft.thread_key}", self.domain)
            chain = previous.setdefault(draft.thread_key, [])
            outgoing = OutgoingMessage(
                from_=draft.sender.email,
                to=tuple(p.email for p in draft.recipients),
                cc=tuple(p.email for p in draft.cc),
                subject=draft.subject,
                text_body=draft.text,
                html_body=draft.html,
                attachments=tuple(draft.attachments),
                in_reply_to=chain[-1] if chain else None,
                references=tuple(chain[-10:]),
            )
            chain.append(message_id)
            raw = build_mime(outgoing, message_id=message_id, date=draft.at)
            labels = set(draft.system_labels)
            if draft.sender is self.owner:
                labels = (labels - {CATEGORY_PERSONAL, CATEGORY_UPDATES, CATEGORY_PROMOTIONS}) | {SENT}
            else:
                labels.add(INBOX)
                age = self.now - draft.at
                unread_chance = 0.65 if age < timedelta(days=3) else 0.25 if age < timedelta(days=14) else 0.04
                if "Newsletters" in draft.user_labels:
                    unread_chance /= 2
                if self.rng.random() < unread_chance:
                    labels.add(UNREAD)
                if self.rng.random() < 0.12 and age > timedelta(days=20):
                    labels.discard(INBOX)  # archived
            yield DemoMessage(
                raw=raw,
                system_labels=tuple(sorted(labels)),
                user_labels=tuple(sorted(draft.user_labels)),
                internal_date=draft.at,
            )


def generate_demo_mailbox(
    now: datetime, owner_address: str = DEMO_OWNER, size: int = 300, *, seed: int = DEMO_SEED
) -> list[DemoMessage]:
    """`size` messages of a lively mailbox over the ~90 days before `now`, oldest first. The same arguments always
    give the same bytes. Includes an offsite thread (Carol, two Johns, Bob), invoices from Alice with PDFs,
    newsletters in HTML, receipts, travel bookings, sent replies, unread/starred/archived mail and labels."""
    return list(iter_demo_mailbox(now, owner_address, size, seed=seed))


def iter_demo_mailbox(
    now: datetime, owner_address: str = DEMO_OWNER, size: int = 300, *, seed: int = DEMO_SEED
) -> Iterator[DemoMessage]:
    """`generate_demo_mailbox`, one message at a time (for very large mailboxes: the bytes are made lazily)."""
    if size < 0:
        raise ValueError("size must not be negative")
    return _Generator(now, owner_address, size, seed).generate()
