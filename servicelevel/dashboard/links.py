"""Links built from data (queue names, days): always through URL encoding.

A queue name comes from a source's lines, so it can be anything: ``x" onclick=...``,
``?q=1&next=//evil.example`` or ``x) [evil](https://evil.example``. Pasted into an href or a
markdown link as it is, it could end the link early, add parameters, or make a second link to
another site. Here every value is percent-encoded (nothing left as ``/ ? & # ( ) [ ]`` or space),
so the link's path stays the page's and the name comes back whole as one parameter.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

_MARKDOWN_TEXT = str.maketrans({c: "\\" + c for c in "\\[]()*_`<>"})


def page_href(path: str, **params: str) -> str:
    """``/queue?queue=...&day=...`` with every value percent-encoded; ``path`` is ours."""
    if not path.startswith("/") or path.startswith("//"):
        raise ValueError(f"a dashboard path, not {path!r}")
    query = urlencode(params, quote_via=quote, safe="")
    return f"{path}?{query}" if query else path


def markdown_link(text: str, href: str) -> str:
    """A markdown link whose text cannot close the link or open another."""
    return f"[{text.translate(_MARKDOWN_TEXT)}]({href})"
