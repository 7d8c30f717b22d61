"""The entities Telegram's HTML parse mode makes of closed tags, in the Bot API's shape.

`telegram_html` reads the markup; this module decides what each closed tag becomes (bold, a
text_link whose URL Telegram accepts, a `pre` with its language, ...) and how TDLib orders them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

_SIMPLE_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
# TDLib sorts entities by offset, then longer first, then by this priority.
_PRIORITY = {
    "blockquote": 0,
    "expandable_blockquote": 0,
    "pre": 11,
    "code": 20,
    "text_link": 49,
    "text_mention": 49,
    "bold": 90,
    "italic": 91,
    "underline": 92,
    "strikethrough": 93,
    "spoiler": 94,
    "custom_emoji": 99,
}
_USER_LINK = re.compile(
    r"tg:(?://)?user/?\?(?:[^#]*&)?id=(\d+)(?:[&#].*)?", re.IGNORECASE | re.DOTALL
)


class TelegramHtmlError(Exception):
    """Telegram would answer "Bad Request: can't parse entities: <description>"."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


@dataclass(slots=True)
class Entity:
    """One entity, offsets and lengths in UTF-16 code units; `argument` is a language."""

    type: str
    offset: int
    length: int
    argument: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_bot_api(self) -> dict[str, Any]:
        result: dict[str, Any] = {"type": self.type, "offset": self.offset, "length": self.length}
        if self.type == "pre" and self.argument:
            result["language"] = self.argument
        result.update(self.extra)
        return result


def add_entity(entities: list[Entity], tag: str, argument: str, offset: int, length: int) -> None:
    """Append what the closed `tag` makes of its text to `entities` (the ones before it).

    `argument` is what the tag's attributes said: an href (or, for `<a>` without one, its
    text), a language, an emoji id, "1" for an expandable quote. `<pre><code>` make one entity.
    """
    last = entities[-1] if entities else None
    same_span = last is not None and last.offset == offset and last.length == length
    if tag in _SIMPLE_TYPES:
        entities.append(Entity(_SIMPLE_TYPES[tag], offset, length))
    elif tag == "tg-emoji":
        emoji_id = _custom_emoji_id(argument)
        if emoji_id is None:
            raise TelegramHtmlError("Invalid custom emoji identifier specified")
        entities.append(Entity("custom_emoji", offset, length, extra={"custom_emoji_id": emoji_id}))
    elif tag == "a":
        entity = _link_entity(argument, offset, length)
        if entity is not None:
            entities.append(entity)
    elif tag == "pre":
        if same_span and last is not None and last.type == "code" and last.argument:
            last.type = "pre"
        else:
            entities.append(Entity("pre", offset, length))
    elif tag == "code":
        if same_span and last is not None and last.type == "pre" and argument:
            last.argument = argument
        else:
            entities.append(Entity("code", offset, length, argument))
    else:  # blockquote
        kind = "expandable_blockquote" if argument else "blockquote"
        entities.append(Entity(kind, offset, length))


def bot_api_entities(entities: list[Entity]) -> list[dict[str, Any]]:
    """The entities as the Bot API lists them: in TDLib's order, a lone `code` without language."""
    for entity in entities:
        if entity.type == "code":
            entity.argument = ""
    entities.sort(key=lambda e: (e.offset, -e.length, _PRIORITY[e.type]))
    return [entity.as_bot_api() for entity in entities]


def _custom_emoji_id(argument: str) -> str | None:
    if not re.fullmatch(r"-?[0-9]+", argument):
        return None
    value = int(argument)
    if value == 0 or not -(2**63) <= value < 2**63:
        return None
    return str(value)


def _link_entity(url: str, offset: int, length: int) -> Entity | None:
    """A text_mention for tg://user?id=..., a text_link for a URL Telegram accepts, else none."""
    mention = _USER_LINK.fullmatch(url)
    if mention is not None and 0 < int(mention.group(1)) < 2**53:
        user = {"id": int(mention.group(1))}
        return Entity("text_mention", offset, length, extra={"user": user})
    checked = _checked_link(url)
    if checked is None:
        return None
    return Entity("text_link", offset, length, extra={"url": checked})


def _checked_link(url: str) -> str | None:
    """Roughly TDLib's link check: tg:/ton: links, or http(s) URLs with a dotted host."""
    lowered = url.lower()
    for scheme in ("tg:", "ton:", "tonsite:"):
        if lowered.startswith(scheme):
            rest = url[len(scheme) :].removeprefix("//")
            if not re.match(r"[A-Za-z0-9_.-]", rest) or lowered.startswith(scheme + "//http"):
                return None
            return f"{scheme}//{rest}"
    if "://" in url and not lowered.startswith(("http://", "https://")):
        return None
    if not lowered.startswith(("http://", "https://")):
        url = "http://" + url
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError:
        return None
    hostname = parts.hostname or ""
    if (
        not hostname
        or ("." not in hostname and ":" not in hostname)
        or any(c in hostname for c in " <>\"'")
    ):
        return None
    return parts._replace(path=parts.path or "/").geturl()
