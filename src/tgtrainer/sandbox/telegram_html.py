"""Telegram's HTML parse mode as the Bot API server applies it, for the sandbox server.

`parse_html` follows TDLib's parser (the code behind "Bad Request: can't parse entities: ..."):
the same supported tags, attribute rules, entity decoding, error descriptions with UTF-8 byte
offsets, and entity offsets/lengths in UTF-16 code units. By default it is stricter than Telegram
in one respect, so that whatever passes here also passes there: a `&` that starts no entity and a
bare `>` are refused, as the Bot API documentation asks them to be escaped (Telegram itself
keeps them as text). Those two descriptions are ours, not Telegram's.

This module reads the markup; what each closed tag becomes is `telegram_entities`' job. Telegram
later drops entities that may not nest (bold inside code, a quote inside a quote) and trims the
text; that clean-up is not done here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tgtrainer.sandbox.telegram_entities import (
    Entity,
    TelegramHtmlError,
    add_entity,
    bot_api_entities,
)

__all__ = ["TelegramHtmlError", "parse_html", "visible_length"]


_SUPPORTED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPACES = " \t\r\n\v"  # TDLib's is_space(), minus the NUL it also counts (refused up front)
_ASCII_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_PLAIN_STRICT = re.compile(r"[^<>&]+")
_PLAIN_LENIENT = re.compile(r"[^<&]+")
_ALPHA_RUN = re.compile(r"[A-Za-z]*")
_DECIMAL_RUN = re.compile(r"[0-9]*")
_HEX_RUN = re.compile(r"[0-9A-Fa-f]*")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_ASTRAL = re.compile(r"[\U00010000-\U0010ffff]")
_INVALID_UNICODE = (
    "Text contains invalid Unicode characters after decoding HTML entities, check for unmatched "
    "surrogate code units"
)


def _utf16_length(text: str) -> int:
    return len(text) + len(_ASTRAL.findall(text))


def _byte_offset(html: str, index: int) -> int:
    return len(html[:index].encode("utf-8", "surrogatepass"))


def _ascii_lower(text: str) -> str:
    return "".join(c.lower() if c.isascii() else c for c in text)


def _decode_entity(html: str, pos: int) -> tuple[str, int] | None:
    """The character of the entity starting with `&` at `pos` and the index after it, as TDLib."""
    end = pos + 1
    if html.startswith("#", end):
        hexadecimal = html.startswith("#x", end)
        end += 2 if hexadecimal else 1
        digits = (_HEX_RUN if hexadecimal else _DECIMAL_RUN).match(html, end)
        assert digits is not None  # the runs match the empty string
        end = digits.end()
        code = int(digits.group(), 16 if hexadecimal else 10) if digits.group() else 0
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return None
        character = chr(code)
    else:
        name = _ALPHA_RUN.match(html, end)
        assert name is not None
        end = name.end()
        named = _NAMED_ENTITIES.get(name.group())
        if named is None:
            return None
        character = named
    if html.startswith(";", end):
        end += 1
    return character, end


@dataclass(slots=True)
class _OpenTag:
    name: str
    argument: str
    utf16_offset: int
    text_index: int  # where its visible text starts, for <a> without href


class _Parser:
    def __init__(self, html: str, *, strict: bool) -> None:
        self.html = html
        self.strict = strict
        self.pos = 0
        self.chunks: list[str] = []
        self.text_length = 0  # code points in chunks
        self.utf16_offset = 0
        self.open_tags: list[_OpenTag] = []
        self.entities: list[Entity] = []
        self.has_surrogate = False

    def error(self, message: str, index: int) -> TelegramHtmlError:
        return TelegramHtmlError(f"{message} at byte offset {_byte_offset(self.html, index)}")

    def emit(self, text: str) -> None:
        self.chunks.append(text)
        self.text_length += len(text)
        self.utf16_offset += _utf16_length(text)

    def run(self) -> tuple[str, list[dict[str, Any]]]:
        html = self.html
        plain = _PLAIN_STRICT if self.strict else _PLAIN_LENIENT
        while self.pos < len(html):
            run = plain.match(html, self.pos)
            if run is not None:
                self.emit(run.group())
                self.pos = run.end()
            elif html[self.pos] == "&":
                self.entity()
            elif html[self.pos] == ">":
                raise self.error('Unescaped ">"', self.pos)
            elif html.startswith("</", self.pos):
                self.end_tag()
            else:
                self.start_tag()
        if self.open_tags:
            name = self.open_tags[-1].name
            raise TelegramHtmlError(f'Can\'t find end tag corresponding to start tag "{name}"')
        if self.has_surrogate:
            raise TelegramHtmlError(_INVALID_UNICODE)
        return "".join(self.chunks), bot_api_entities(self.entities)

    def entity(self) -> None:
        decoded = _decode_entity(self.html, self.pos)
        if decoded is None:
            if self.strict:
                raise self.error('Unescaped "&"', self.pos)
            self.emit("&")
            self.pos += 1
            return
        character, self.pos = decoded
        self.has_surrogate = self.has_surrogate or 0xD800 <= ord(character) <= 0xDFFF
        self.emit(character)

    def skip_spaces(self) -> None:
        html = self.html
        while self.pos < len(html) and html[self.pos] in _SPACES:
            self.pos += 1

    def at(self, index: int) -> str:
        """The character at `index`, or "" past the end (TDLib reads the terminating NUL)."""
        return self.html[index] if index < len(self.html) else ""

    def start_tag(self) -> None:
        html = self.html
        begin = self.pos
        end = begin + 1
        while end < len(html) and html[end] not in _SPACES and html[end] != ">":
            end += 1
        if end >= len(html):
            raise self.error("Unclosed start tag", begin)
        name = _ascii_lower(html[begin + 1 : end])
        if name not in _SUPPORTED_TAGS:
            raise self.error(f'Unsupported start tag "{name}"', begin)
        self.pos = end
        argument = ""
        while self.at(self.pos) != ">":
            self.skip_spaces()
            if self.at(self.pos) == ">":
                break
            argument = self.attribute(name, begin, argument)
        if name == "span" and argument != "spoiler":
            raise self.error('Tag "span" must have class "tg-spoiler"', begin)
        self.open_tags.append(_OpenTag(name, argument, self.utf16_offset, self.text_length))
        self.pos += 1

    def attribute(self, tag: str, begin: int, argument: str) -> str:
        """Reads one attribute of `tag`; returns the tag's argument, updated if it names one."""
        html = self.html
        name_start = self.pos
        while (
            self.pos < len(html)
            and html[self.pos] not in _SPACES
            and html[self.pos] not in "=>/\"'"
        ):
            self.pos += 1
        name = html[name_start : self.pos]
        if not name:
            raise self.error(f'Empty attribute name in the tag "{tag}"', begin)
        self.skip_spaces()
        if self.at(self.pos) != "=":
            if self.pos >= len(html):
                raise self.error(f'Unclosed start tag "{tag}"', begin)
            return "1" if tag == "blockquote" and name == "expandable" else argument
        self.pos += 1
        self.skip_spaces()
        if self.pos >= len(html):
            raise self.error(f'Unclosed start tag "{tag}"', begin)
        if html[self.pos] in "\"'":
            value = self.quoted_value()
        else:
            token_start = self.pos
            while self.pos < len(html) and (
                html[self.pos] in _ASCII_ALNUM or html[self.pos] in ".-"
            ):
                self.pos += 1
            value = _ascii_lower(html[token_start : self.pos])
            if self.pos < len(html) and html[self.pos] not in _SPACES and html[self.pos] != ">":
                raise self.error("Unexpected end of name token", token_start)
        if self.pos >= len(html):
            raise self.error("Unclosed start tag", begin)
        if tag == "a" and name == "href":
            return value
        if tag == "code" and name == "class" and value.startswith("language-"):
            return value[len("language-") :]
        if tag == "span" and name == "class" and value.startswith("tg-"):
            return value[len("tg-") :]
        if tag == "tg-emoji" and name == "emoji-id":
            return value
        if tag == "blockquote" and name == "expandable":
            return "1"
        return argument

    def quoted_value(self) -> str:
        html = self.html
        quote = html[self.pos]
        self.pos += 1
        value: list[str] = []
        while self.pos < len(html) and html[self.pos] != quote:
            if html[self.pos] == "&":
                decoded = _decode_entity(html, self.pos)
                if decoded is not None:
                    value.append(decoded[0])
                    self.pos = decoded[1]
                    continue
                if self.strict:
                    raise self.error('Unescaped "&"', self.pos)
            value.append(html[self.pos])
            self.pos += 1
        if self.pos < len(html):
            self.pos += 1
        return "".join(value)

    def end_tag(self) -> None:
        html = self.html
        begin = self.pos
        if not self.open_tags:
            raise self.error("Unexpected end tag", begin)
        end = begin + 2
        while end < len(html) and html[end] not in _SPACES and html[end] != ">":
            end += 1
        name = _ascii_lower(html[begin + 2 : end])
        while end < len(html) and html[end] in _SPACES:
            end += 1
        if self.at(end) != ">":
            raise self.error("Unclosed end tag", begin)
        self.pos = end + 1
        opened = self.open_tags.pop()
        if name and name != opened.name:
            raise TelegramHtmlError(
                f"Unmatched end tag at byte offset {_byte_offset(html, begin)}, "
                f'expected "</{opened.name}>", found "</{name}>"'
            )
        if self.utf16_offset > opened.utf16_offset:
            argument = opened.argument
            if opened.name == "a" and not argument:  # a link without href links its text
                argument = "".join(self.chunks)[opened.text_index :]
            length = self.utf16_offset - opened.utf16_offset
            add_entity(self.entities, opened.name, argument, opened.utf16_offset, length)


def parse_html(html: str, *, strict: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """The visible text and Bot API entities of `html`, or `TelegramHtmlError` as Telegram.

    `strict=False` accepts exactly what Telegram accepts (a stray `&` or `>` stays text).
    """
    if "\0" in html:
        raise TelegramHtmlError("Text must not contain null bytes")
    if _SURROGATE.search(html):
        raise TelegramHtmlError(_INVALID_UNICODE)
    return _Parser(html, strict=strict).run()


def visible_length(html: str, *, strict: bool = True) -> int:
    """The length Telegram counts for `html`: UTF-16 code units of its visible text."""
    text, _ = parse_html(html, strict=strict)
    return _utf16_length(text)
