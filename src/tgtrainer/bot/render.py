"""A chat model's Markdown as Telegram HTML, and the visible text of such HTML.

Markdown is parsed with markdown-it (CommonMark plus GFM tables and strikethrough) and written
back with only the tags Telegram supports; everything else becomes escaped text, so any input,
however broken, gives HTML that Telegram accepts. Telegram has no lists, headings or tables:
they become text lines ("•", "1.", a bold line, an aligned `<pre>` block).
"""

from __future__ import annotations

import re
from functools import cache
from html.parser import HTMLParser

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

__all__ = ["html_to_plain", "render_markdown"]

_RULE = "———"
_BULLET = "•"
# Telegram links: web pages and tg:// deep links. Other schemes are shown as text.
_LINK_SCHEME = re.compile(r"(?:https?://|tg:)", re.IGNORECASE)
_LANGUAGE = re.compile(r"[A-Za-z0-9_+#.-]+")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_OWN_TAG = re.compile(r"<[^>]*>")  # in our output every "<" of the text is escaped


@cache
def _markdown() -> MarkdownIt:
    # Raw HTML stays off: the model's tags are shown as text, never passed to Telegram.
    # Deeper nesting than maxNesting is dropped by markdown-it: allow more than its default 20.
    options = {"html": False, "maxNesting": 100}
    return MarkdownIt("commonmark", options).enable(["table", "strikethrough"])


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escape_attribute(text: str) -> str:
    return _escape(text).replace('"', "&quot;")


def render_markdown(text: str) -> str:
    """Telegram HTML for `text`; escaped source text if the Markdown shows nothing."""
    if _SURROGATE.search(text):
        # Joins surrogate pairs, replaces lone halves: Telegram needs valid UTF-8.
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    text = text.replace("\0", "\ufffd")  # as CommonMark does; Telegram refuses NUL
    tree = SyntaxTreeNode(_markdown().parse(text))
    html = _blocks(tree.children, "\n\n", in_quote=False)
    if text.strip() and not _OWN_TAG.sub("", html).strip():
        # e.g. only a link reference definition: show what the model wrote
        return _escape(text.strip())
    return html


def _blocks(nodes: list[SyntaxTreeNode], separator: str, *, in_quote: bool) -> str:
    rendered = (_block(node, in_quote=in_quote) for node in nodes)
    return separator.join(block for block in rendered if block)


def _block(node: SyntaxTreeNode, *, in_quote: bool) -> str:
    kind = node.type
    if kind == "paragraph":
        return _inline_children(node)
    if kind == "heading":
        content = _inline_children(node)
        return f"<b>{content}</b>" if content else ""
    if kind in ("bullet_list", "ordered_list"):
        return _list(node, in_quote=in_quote)
    if kind == "blockquote":
        inner = _blocks(node.children, "\n\n", in_quote=True)
        # Telegram cannot nest quotes: an inner quote joins the outer one.
        return inner if in_quote or not inner else f"<blockquote>{inner}</blockquote>"
    if kind in ("fence", "code_block"):
        return _code_block(node.content, node.info if kind == "fence" else "")
    if kind == "hr":
        return _RULE
    if kind == "table":
        return _table(node)
    if node.children:
        return _blocks(node.children, "\n", in_quote=in_quote)
    return _escape(node.content.strip())


def _code_block(code: str, info: str) -> str:
    code = code.removesuffix("\n")
    if not code.strip():
        return ""
    words = info.split()
    language = _LANGUAGE.fullmatch(words[0]) if words else None
    if language is None:
        return f"<pre>{_escape(code)}</pre>"
    return f'<pre><code class="language-{language.group()}">{_escape(code)}</code></pre>'


def _list(node: SyntaxTreeNode, *, in_quote: bool) -> str:
    ordered = node.type == "ordered_list"
    start = int(str(node.attrs.get("start", 1))) if ordered else 1
    items = []
    for number, item in enumerate(node.children, start=start):
        marker = f"{number}." if ordered else _BULLET
        body = _blocks(item.children, "\n", in_quote=in_quote)
        items.append(_hang(marker, body))
    return "\n".join(items)


def _hang(marker: str, body: str) -> str:
    """`marker body`, with the body's next lines indented under it (code lines kept as is)."""
    indent = " " * (len(marker) + 1)
    lines = body.split("\n")
    result = [f"{marker} {lines[0]}".rstrip()]
    in_code = _in_code_after(lines[0], in_code=False)
    for line in lines[1:]:
        keep = in_code or not line or line.startswith("<pre")
        result.append(line if keep else indent + line)
        in_code = _in_code_after(line, in_code=in_code)
    return "\n".join(result)


def _in_code_after(line: str, *, in_code: bool) -> bool:
    # Text is escaped, so "<pre" in our output is always a tag.
    return int(in_code) + line.count("<pre") - line.count("</pre>") > 0


def _table(node: SyntaxTreeNode) -> str:
    rows = [
        [_plain(cell).strip() for cell in row.children]
        for section in node.children
        for row in section.children
    ]
    if not rows:
        return ""
    columns = max(len(row) for row in rows)
    rows = [row + [""] * (columns - len(row)) for row in rows]
    widths = [max(len(row[column]) for row in rows) for column in range(columns)]
    lines = [
        " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    table = "\n".join(line.rstrip() for line in lines)
    return f"<pre>{_escape(table)}</pre>"


def _plain(node: SyntaxTreeNode) -> str:
    """The text of an inline subtree, without formatting."""
    if node.type in ("softbreak", "hardbreak"):
        return " "
    if node.type in ("text", "code_inline", "html_inline"):
        return node.content
    return "".join(_plain(child) for child in node.children)


def _inline_children(node: SyntaxTreeNode) -> str:
    return "".join(_inline(child, in_link=False) for child in node.children)


def _inline(node: SyntaxTreeNode, *, in_link: bool) -> str:
    kind = node.type
    if kind == "inline":
        return "".join(_inline(child, in_link=in_link) for child in node.children)
    if kind in ("softbreak", "hardbreak"):
        return "\n"
    if kind == "code_inline":
        # Telegram drops code inside a link; keep the link, show the code as text.
        code = _escape(node.content)
        return code if in_link else f"<code>{code}</code>"
    if kind == "link":
        return _link(node, in_link=in_link)
    if kind == "image":
        return _image(node, in_link=in_link)
    tag = {"strong": "b", "em": "i", "s": "s"}.get(kind)
    if tag is not None:
        inner = "".join(_inline(child, in_link=in_link) for child in node.children)
        return f"<{tag}>{inner}</{tag}>" if inner else ""
    if node.children:
        return "".join(_inline(child, in_link=in_link) for child in node.children)
    return _escape(node.content)


def _link(node: SyntaxTreeNode, *, in_link: bool) -> str:
    href = str(node.attrs.get("href", ""))
    label = "".join(_inline(child, in_link=True) for child in node.children)
    label_text = _plain(node)
    if in_link or not _LINK_SCHEME.match(href):
        if href.lower().startswith("mailto:"):
            # Telegram has no mailto links but links e-mail addresses in text by itself.
            address = href[len("mailto:") :]
            if address not in label_text:
                return f"{label} ({_escape(address)})" if label_text.strip() else _escape(address)
        return label
    if not label_text.strip():
        label = _escape(href)
    return f'<a href="{_escape_attribute(href)}">{label}</a>'


def _image(node: SyntaxTreeNode, *, in_link: bool) -> str:
    source = str(node.attrs.get("src", ""))
    alt = _escape(_plain(node).strip())
    if in_link or not _LINK_SCHEME.match(source):
        return alt
    return f'<a href="{_escape_attribute(source)}">{alt or "image"}</a>'


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_plain(html: str) -> str:
    """The visible text of Telegram HTML: tags dropped, entities decoded."""
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    return "".join(collector.parts)
