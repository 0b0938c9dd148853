"""Leak-free splits: by speaker/voice group, from a hash, stable as data grows.

A group's split is a pure function of the group name and the salt: the first 8 bytes of
sha256(salt + "\\0" + group), as a fraction in [0, 1), picks the split whose cumulative
fraction interval holds it (like Speech Commands' hashing, but by group rather than file).
Adding data never moves a group that was already there; all of a group's clips land together;
augmented variants (part 2) inherit their source clip's split. Groups matching a holdout
pattern (whole TTS engines or voice families) form the ``crossvoice`` split, kept out of
training and validation for an honest estimate on voices of a kind the model never heard.
"""

from __future__ import annotations

import fnmatch
import hashlib
from collections import defaultdict
from dataclasses import dataclass

from kwsc.config import SplitConfig


def group_fraction(group: str, salt: str) -> float:
    """Where the group falls in [0, 1): its hash as a fraction."""
    digest = hashlib.sha256(f"{salt}\0{group}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


#: The split of groups held out by ``[split] holdout``: the cross-voice evaluation's.
HOLDOUT_SPLIT = "crossvoice"


def split_of(group: str, config: SplitConfig) -> str:
    """The split of a group: ``crossvoice`` if it matches a holdout pattern, else by its hash."""
    if any(fnmatch.fnmatchcase(group, pattern) for pattern in config.holdout):
        return HOLDOUT_SPLIT
    position = group_fraction(group, config.salt)
    total = 0.0
    for name, fraction in config.fractions:
        total += fraction
        if position < total:
            return name
    return config.fractions[-1][0]


@dataclass(frozen=True)
class LeakageFinding:
    """One leak: ``kind`` "group" (a group in several splits), "exact" / "near" (copies across
    splits) or "babble" (a babble clip mixing a talker whose recipe is an input of another split)."""

    kind: str
    detail: str
    ids: tuple[str, ...]


def groups_in_several_splits(rows: list[dict[str, str]]) -> list[LeakageFinding]:
    """Groups whose accepted clips sit in more than one split."""
    splits: dict[str, set[str]] = defaultdict(set)
    members: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        splits[row["group"]].add(row["split"])
        members[row["group"]].append(row["id"])
    return [
        LeakageFinding("group", f"group {group!r} in {', '.join(sorted(s))}", tuple(sorted(members[group])[:5]))
        for group, s in sorted(splits.items())
        if len(s) > 1
    ]
