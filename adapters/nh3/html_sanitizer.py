"""Nh3HtmlSanitizer: an allow-list sanitizer for mail HTML that is safe on its own (API clients that are not our web
app render it): tags, attributes and URL schemes by allow-list, inline CSS by property allow-list with every
declaration that could load or run something dropped (url() other than cid:, expression(), javascript:, behaviors,
CSS escapes), no positioning that could lay a fake screen over the page, and no class names to hook a host page's CSS.
Keeps layout and `cid:` inline images."""

from __future__ import annotations

import re

import nh3

from application.ports.html_sanitizer import HtmlSanitizer

_TAGS = set(nh3.ALLOWED_TAGS) | {
    "table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption", "col", "colgroup", "center", "font",
    "img", "div", "span", "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "u", "s",
    "small", "big", "sub", "sup",
}  # fmt: skip
# No `class`: once <style> blocks are gone a mail's classes style nothing of its own, but they could match the CSS of
# the page that shows the mail (an overlay class of the host app).
_COMMON = {"style", "align", "valign", "width", "height", "bgcolor", "color", "dir", "title"}
_ATTRIBUTES: dict[str, set[str]] = {
    "*": _COMMON,
    "a": {"href", "name", "target"},
    "img": {"src", "alt", "width", "height", "border"} | _COMMON,
    "td": {"colspan", "rowspan"} | _COMMON,
    "th": {"colspan", "rowspan", "scope"} | _COMMON,
    "table": {"border", "cellpadding", "cellspacing", "role"} | _COMMON,
    "font": {"face", "size", "color"},
    "col": {"span"},
}

# What mail layout needs. Deliberately absent: position/top/left/right/bottom/z-index/transform (an overlay over the
# reader's screen), content/cursor/behavior/filter/mask/clip-path/border-image/list-style-image (they load or run).
STYLE_PROPERTIES = frozenset(
    {
        "color", "background", "background-color", "background-image", "background-repeat", "background-position",
        "background-size", "font", "font-family", "font-size", "font-style", "font-weight", "font-variant",
        "line-height", "letter-spacing", "word-spacing", "text-align", "text-decoration", "text-indent",
        "text-transform", "white-space", "word-break", "word-wrap", "overflow-wrap", "vertical-align", "direction",
        "margin", "margin-top", "margin-right", "margin-bottom", "margin-left",
        "padding", "padding-top", "padding-right", "padding-bottom", "padding-left",
        "border", "border-top", "border-right", "border-bottom", "border-left", "border-color", "border-style",
        "border-width", "border-radius", "border-collapse", "border-spacing",
        "width", "height", "max-width", "min-width", "max-height", "min-height",
        "display", "float", "clear", "overflow", "visibility", "opacity", "table-layout", "caption-side",
        "empty-cells", "list-style", "list-style-type", "list-style-position",
    }
)  # fmt: skip

_URL = re.compile(r"url\s*\(", re.I)
_CID_URL = re.compile(r"""url\(\s*(["']?)cid:[^"'()\s]+\1\s*\)""", re.I)
# Constructs that run code, bind behaviour or fetch without url(); a backslash or a comment could spell any of them
# in disguise (`u\72l(`, `ur/**/l(`), so a declaration with one is dropped too.
_ACTIVE = re.compile(
    r"expression\s*\(|javascript\s*:|vbscript\s*:|livescript\s*:|data\s*:|behavior|binding|@import|\\|/\*|"
    r"image-set\s*\(|image\s*\(|cross-fade\s*\(|element\s*\(|attr\s*\(|var\s*\(|env\s*\(|src\s*\(|[<>]",
    re.I,
)


def _declarations(style: str) -> list[str]:
    """Split on `;` outside quotes and parentheses."""
    parts: list[str] = []
    current: list[str] = []
    depth, quote = 0, ""
    for ch in style:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif ch == ";" and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def safe_style(style: str) -> str | None:
    """The declarations of an inline style that are allowed and load or run nothing; None when none is left."""
    kept: list[str] = []
    for declaration in _declarations(style):
        prop, colon, value = declaration.partition(":")
        prop, value = prop.strip().lower(), value.strip()
        if not colon or not value or prop not in STYLE_PROPERTIES or _ACTIVE.search(value):
            continue
        if len(_URL.findall(value)) != len(_CID_URL.findall(value)):
            continue  # a url() that is not an inline (cid:) image of the mail itself
        kept.append(f"{prop}:{value}")
    return ";".join(kept) or None


_URL_SCHEMES = {"http", "https", "mailto", "cid"}
# What some URL parsers skip before a scheme (controls, Unicode spaces and separators): `\x01java\x03script:` or
# `&nbsp;javascript:` pass as relative URLs here but not in every client.
_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\xa0\u1680\u180e\u2000-\u200f\u2028\u2029\u205f\u3000\ufeff]")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):", re.I)


def _safe_url(value: str) -> str | None:
    scheme = _SCHEME.match(_INVISIBLE.sub("", value))
    if scheme is not None and scheme.group(1).lower() not in _URL_SCHEMES:
        return None
    return value


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "style":
        return safe_style(value)
    if attribute in ("href", "src"):
        return _safe_url(value)
    return value


class Nh3HtmlSanitizer(HtmlSanitizer):
    def sanitize(self, html: str) -> str:
        return nh3.clean(
            html,
            tags=_TAGS,
            attributes=_ATTRIBUTES,
            attribute_filter=_attribute_filter,
            filter_style_properties=set(STYLE_PROPERTIES),
            url_schemes=_URL_SCHEMES,
            link_rel="noopener noreferrer nofollow",
            strip_comments=True,
        )
