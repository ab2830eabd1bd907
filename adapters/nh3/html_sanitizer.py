"""Nh3HtmlSanitizer: an allow-list sanitizer for mail HTML; keeps layout and `cid:` inline images."""

from __future__ import annotations

import nh3

from application.ports.html_sanitizer import HtmlSanitizer

_TAGS = set(nh3.ALLOWED_TAGS) | {
    "table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption", "col", "colgroup", "center", "font",
    "img", "div", "span", "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "u", "s",
    "small", "big", "sub", "sup",
}  # fmt: skip
_COMMON = {"style", "class", "align", "valign", "width", "height", "bgcolor", "color", "dir", "title"}
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


class Nh3HtmlSanitizer(HtmlSanitizer):
    def sanitize(self, html: str) -> str:
        return nh3.clean(
            html,
            tags=_TAGS,
            attributes=_ATTRIBUTES,
            url_schemes={"http", "https", "mailto", "cid"},
            link_rel="noopener noreferrer nofollow",
            strip_comments=True,
        )
