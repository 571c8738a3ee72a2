"""A complaint's nature becomes a category here, at the collector, never free text.

Why: the nature is counted and named in the weekly email ("Complaints: billing, 14 opened") and
may be shown on pages. A CRM's "description" column holds whatever the agent typed ("Call back
Mr John Smith on 555-0199 ..."), and whatever is stored is read by every reader. So the text is
matched against categories the mapping names, and only the category is stored:

* ``values = { "BILL" = "billing", ... }``: the source's own category codes translated (case
  is ignored);
* ``categories = ["billing", "late delivery", ...]``: a value equal to a category (case and
  spacing ignored) is that category; otherwise the first category (in the list's order) that
  appears in the text as whole words, so a free-text column can be sorted by keywords;
* anything else is :data:`OTHER`. A mapping that maps ``nature`` with neither is refused
  (:mod:`.models`), so no free text is stored by mistake.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

OTHER = "other"


class CategoryMatcher:
    """The categories of one field (``nature``), matched as the module docstring says."""

    def __init__(self, categories: Sequence[str] = (), values: Mapping[str, object] | None = None):
        self.values = {_fold(k): str(v).strip() for k, v in (values or {}).items()}
        self.names = [c.strip() for c in categories if c.strip()]
        self._exact = {_fold(c): c for c in self.names}
        self._words = [(re.compile(rf"(?<!\w){re.escape(_fold(c))}(?!\w)"), c) for c in self.names]

    def category(self, raw: object) -> str:
        """The category of a source value; :data:`OTHER` when nothing matches."""
        text = _fold(str(raw))
        if text in self.values:
            return self.values[text]
        if text in self._exact:
            return self._exact[text]
        for pattern, name in self._words:
            if pattern.search(text):
                return name
        return OTHER


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()
