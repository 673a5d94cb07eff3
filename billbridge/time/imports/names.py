"""Who and what a file's names are in the practice: people, clients and work codes matched by
name, and the choices a person makes for the names that match nothing (the mappings).

Names are matched without regard to case or surrounding (or repeated) spaces. A person is
matched by email first when the file has one, then by the user's full name, then by username.
A name two of the practice's members (or clients, or work codes) share matches none of them:
guessing would put time on the wrong person, so it is offered for a choice like an unknown one.
"""

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field

from billbridge.clients.models import Client
from billbridge.core.errors import InvalidInput
from billbridge.practice.models import Membership
from billbridge.time.models import WorkCode

# What a name can be mapped to, besides one of the practice's members, clients or work codes.
SKIP = "skip"  # the file's rows with that name are not imported
NO_WORK_CODE = "none"  # for a work-code name: the rows are imported without a work code

MAX_MAPPINGS = 5_000
MAX_NAME_CHARS = 500


class Kind(enum.StrEnum):
    PERSON = "person"
    CLIENT = "client"
    WORK_CODE = "work_code"

    @property
    def label(self) -> str:
        return {"person": "person", "client": "client", "work_code": "work code"}[self.value]


def name_key(text: str) -> str:
    """A name as it is matched: case and spaces aside."""
    return " ".join(text.split()).casefold()


def person_key(name: str, email: str) -> str:
    """How a file's person is told apart: by email when the file gives one, else by name."""
    return name_key(email) if email.strip() else name_key(name)


def person_label(name: str, email: str) -> str:
    return f"{name} <{email}>" if email.strip() else name


Choice = int | str  # an id, SKIP or NO_WORK_CODE


@dataclass
class Mappings:
    """The choices made for the file's names that match nothing, by kind and name_key."""

    person: dict[str, Choice] = field(default_factory=dict)
    client: dict[str, Choice] = field(default_factory=dict)
    work_code: dict[str, Choice] = field(default_factory=dict)

    def of(self, kind: Kind) -> dict[str, Choice]:
        return getattr(self, kind.value)

    def to_json(self) -> dict:
        return {kind.value: dict(self.of(kind)) for kind in Kind}

    @classmethod
    def from_json(cls, data: dict | None) -> "Mappings":
        data = data or {}
        return cls(**{kind.value: dict(data.get(kind.value) or {}) for kind in Kind})


class _Index:
    """name_key → id, where a key two rows share maps to None (ambiguous: no match)."""

    def __init__(self, pairs: Iterable[tuple[str, int]]) -> None:
        self.ids: dict[str, int | None] = {}
        for text, pk in pairs:
            key = name_key(text)
            if key:
                self.ids[key] = None if key in self.ids and self.ids[key] != pk else pk

    def get(self, key: str) -> int | None:
        return self.ids.get(key)


class Directory:
    """The practice's members, clients and work codes, read once for a whole file."""

    def __init__(self, practice) -> None:
        members = list(Membership.objects.filter(practice=practice).select_related("user"))
        self.members: dict[int, Membership] = {m.pk: m for m in members}
        self.clients: dict[int, str] = dict(
            Client.objects.for_practice(practice).values_list("pk", "name")
        )
        self.work_codes: dict[int, WorkCode] = {
            code.pk: code for code in WorkCode.objects.filter(practice=practice)
        }
        self._emails = _Index((m.user.email, m.pk) for m in members)
        self._full_names = _Index((m.user.get_full_name(), m.pk) for m in members)
        self._usernames = _Index((m.user.username, m.pk) for m in members)
        self._client_names = _Index((name, pk) for pk, name in self.clients.items())
        self._work_code_names = _Index((code.name, pk) for pk, code in self.work_codes.items())

    def person(self, name: str, email: str) -> int | None:
        """The member a file's person is, or None when no one (or several) match."""
        found = self._emails.get(name_key(email)) if email.strip() else None
        key = name_key(name)
        return found or self._full_names.get(key) or self._usernames.get(key)

    def client(self, name: str) -> int | None:
        return self._client_names.get(name_key(name))

    def work_code(self, name: str) -> int | None:
        return self._work_code_names.get(name_key(name))

    def username(self, username: str) -> int | None:
        """The member with that username (for the command's --map-person)."""
        return self._usernames.get(name_key(username))

    def member_name(self, staff_id: int) -> str:
        user = self.members[staff_id].user
        return user.get_full_name() or user.username

    def check(self, mappings: Mappings) -> None:
        """Raises InvalidInput unless every choice is one of the practice's members, clients
        or work codes (by id), SKIP, or for a work code NO_WORK_CODE: a choice is never
        another practice's."""
        known = {
            Kind.PERSON: (self.members, "one of your practice's members"),
            Kind.CLIENT: (self.clients, "one of your practice's clients"),
            Kind.WORK_CODE: (self.work_codes, "one of your practice's work codes"),
        }
        if sum(len(mappings.of(kind)) for kind in Kind) > MAX_MAPPINGS:
            raise InvalidInput(
                f"At most {MAX_MAPPINGS:,} names can be mapped.", {"mappings": ["Too many."]}
            )
        for kind, (ids, words) in known.items():
            for name, choice in mappings.of(kind).items():
                allowed = choice == SKIP or (kind == Kind.WORK_CODE and choice == NO_WORK_CODE)
                if not allowed and not (type(choice) is int and choice in ids):
                    raise InvalidInput(
                        f"For the {kind.label} “{name[:100]}”, choose {words}, or skip its rows.",
                        {"mappings": [f"Unknown choice for “{name[:100]}”."]},
                    )
                if len(name) > MAX_NAME_CHARS:
                    raise InvalidInput(
                        f"A mapped name has at most {MAX_NAME_CHARS} characters.",
                        {"mappings": ["A name is too long."]},
                    )
