"""References to stored assumption sets: ``assumptions://NAME:VERSION``, ``:latest`` and ``:draft``.

* ``assumptions://NAME:sha256:<64 hex>`` — one version, exactly (the bare hex, or a
  unique prefix of at least 7 hex digits, also works where a person types it);
* ``assumptions://NAME:latest`` — the most recently *approved* version of NAME;
* ``assumptions://NAME:draft`` — the working draft: the most recently saved version
  of NAME still awaiting review.

``latest`` and ``draft`` move as versions are saved and reviewed, so whatever
records a run (jobs, results) records the version they resolved to
(:attr:`AssumptionRef.concrete`), never the selector.

>>> r = parse_ref("assumptions://demo:latest")
>>> r.name, r.selector, r.is_concrete
('demo', 'latest', False)
>>> parse_ref("assumptions://demo:sha256:" + "ab" * 32).is_concrete
True
>>> str(parse_ref("assumptions://basis-2026.Q1:3fa9c01"))
'assumptions://basis-2026.Q1:3fa9c01'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from livecalc_lab.errors import AssumptionError

__all__ = ["AssumptionRef", "parse_ref", "is_ref", "ref_for", "normal_version", "check_name", "NAME", "PREFIX",
           "SELECTORS"]

PREFIX = "assumptions://"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
SELECTORS = ("latest", "draft")
_VERSION = re.compile(r"^(?:sha256:)?([0-9a-f]{7,64})$")


def check_name(name: Any) -> str:
    """``name`` if it is a valid assumption-set name (1-64 letters, digits, ``_ . -``; first a letter or digit).

    Raises
    ------
    AssumptionError
        Otherwise (the message quotes the name).
    """
    if not isinstance(name, str) or not NAME.match(name):
        raise AssumptionError(f"{name!r} is not an assumption-set name: 1-64 letters, digits, '_', '.' or '-', "
                              "starting with a letter or digit")
    return name


def normal_version(text: str) -> str:
    """A version as typed (``sha256:<hex>``, ``<hex>`` or a prefix of >= 7 hex digits) as ``sha256:<hex...>``.

    Raises
    ------
    AssumptionError
        Not hex digits (lower case), or fewer than 7 of them.
    """
    m = _VERSION.match(text)
    if m is None:
        raise AssumptionError(f"{text!r} is not a version: expected sha256:<hex>, or at least 7 of its hex digits, "
                              f"or {' or '.join(SELECTORS)}")
    return "sha256:" + m.group(1)


@dataclass(frozen=True)
class AssumptionRef:
    """A parsed reference.

    Attributes
    ----------
    name : str
        The assumption set's name in its store.
    selector : str
        ``"latest"``, ``"draft"``, or a version ``sha256:<hex>`` (possibly a prefix).
    """

    name: str
    selector: str

    def __str__(self) -> str:
        text = self.selector
        if text not in SELECTORS and len(text) < len("sha256:") + 64:
            text = text[len("sha256:"):]  # a prefix is written as typed
        return f"{PREFIX}{self.name}:{text}"

    @property
    def is_concrete(self) -> bool:
        """True when the selector is one full version (what a job or result records)."""
        return self.selector not in SELECTORS and len(self.selector) == len("sha256:") + 64

    def concrete(self, version: str) -> "AssumptionRef":
        """The reference to ``version`` (a full ``sha256:<hex>``) of the same set."""
        return AssumptionRef(self.name, version)


def is_ref(value: Any) -> bool:
    """True for a string that starts with ``assumptions://``."""
    return isinstance(value, str) and value.startswith(PREFIX)


def parse_ref(text: Any) -> AssumptionRef:
    """Parse ``assumptions://NAME:SELECTOR`` (``NAME:SELECTOR`` alone is accepted too).

    Raises
    ------
    AssumptionError
        No ``:`` after the name, an invalid name, or a selector that is neither
        ``latest``, ``draft`` nor a version.
    """
    if isinstance(text, AssumptionRef):
        return text
    if not isinstance(text, str):
        raise AssumptionError(f"an assumption-set reference is a string {PREFIX}NAME:VERSION, not {type(text).__name__}")
    body = text[len(PREFIX):] if text.startswith(PREFIX) else text
    name, sep, selector = body.partition(":")
    if not sep or not selector:
        raise AssumptionError(f"{text!r}: expected {PREFIX}NAME:VERSION, {PREFIX}NAME:latest or {PREFIX}NAME:draft")
    check_name(name)
    return AssumptionRef(name, selector if selector in SELECTORS else normal_version(selector))


def ref_for(name: str, version: str) -> str:
    """``assumptions://NAME:sha256:<hex>`` of one version."""
    return f"{PREFIX}{name}:{version}"
