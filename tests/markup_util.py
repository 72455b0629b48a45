"""Checks that text from a URL, a user or a file reaches the page as text: nothing in a rendered element's
markdown or HTML source would become a link, an image, HTML, a formula, an icon or formatting."""
from __future__ import annotations

import re

# what Streamlit's markdown would turn into markup if it stood unescaped in an element's source
_ACTIVE = {
    "link or image": re.compile(r"(?<!\\)\]\s*\("),
    "raw HTML or autolink": re.compile(r"(?<!\\)<(?=[A-Za-z/!?])"),
    "LaTeX": re.compile(r"(?<!\\)\$"),
    "icon, directive or shortcode": re.compile(r"(?<!\\):(?=[A-Za-z_])"),
    "bare URL or e-mail autolink": re.compile(r"(?i)https?:/|www\.|\w@\w"),
    "control or bidi character": re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]"),
}
_UNESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def active_markup(body: str) -> list[str]:
    """The kinds of markup ``body`` (markdown source) would render."""
    return [name for name, rx in _ACTIVE.items() if rx.search(body)]


def shown(body: str) -> str:
    """Roughly the text a reader sees for an escaped markdown source: escapes and word joiners removed."""
    return _UNESCAPE.sub(r"\1", body).replace("\u2060", "")


def markdown_bodies(at) -> list[tuple[str, str]]:
    """(kind, markdown source) of every element whose text Streamlit renders as markdown or HTML."""
    out: list[tuple[str, str]] = []
    for kind in ("error", "warning", "info", "success", "caption", "markdown", "toast"):
        for el in getattr(at, kind):
            allow = bool(getattr(el.proto, "allow_html", False)) if kind in ("markdown", "caption") else False
            out.append((kind + (" (html)" if allow else ""), str(el.value)))
    for m in at.metric:
        out.append(("metric label", m.label))
        out.append(("metric value", str(m.value)))
        if m.proto.help:
            out.append(("metric help", m.proto.help))
    from tests.apptest_util import page_html

    for h in page_html(at):  # the page's own html, not the stylesheet and script every page gets
        out.append(("html", getattr(h.proto, "body", "")))
    return out


def assert_inert(at, marker: str, context) -> list[str]:
    """Every markdown element mentioning ``marker`` renders no markup from it; returns those sources."""
    hits = []
    for kind, body in markdown_bodies(at):
        if marker.lower() not in body.lower() and marker.lower() not in shown(body).lower():
            continue
        hits.append(body)
        if kind == "html":  # st.html: HTML-escaped text
            assert not re.search(r"<(?=[A-Za-z/!?])[^>]*" + re.escape(marker), body, re.I), (context, kind, body)
            continue
        assert not active_markup(body), (context, kind, active_markup(body), body[:300])
    return hits
