"""Driving the dashboard as a browser does, with Flask's test client: pages and callbacks.

A Dash page is an HTML shell; what it shows arrives from ``/_dash-layout`` (the shell), the
page routing callback (the page's layout) and the page's own callbacks, all POSTed to
``/_dash-update-component``. :class:`Visit` sends those requests with the values the layouts
hold, as the browser would on load, and keeps every response body.
"""

from __future__ import annotations

import json
from typing import Any

from servicelevel.dashboard.auth import EDITOR_OUTPUTS


def props(node: Any, values: dict[str, Any]) -> None:
    """Every ``id.property`` value of the components under ``node`` (a layout as JSON)."""
    if isinstance(node, list):
        for child in node:
            props(child, values)
    elif isinstance(node, dict):
        own = node.get("props")
        if isinstance(own, dict) and "type" in node:
            if isinstance(own.get("id"), str):
                for key, value in own.items():
                    values[f"{own['id']}.{key}"] = value
            for value in own.values():
                props(value, values)


def _outputs(output: str) -> Any:
    if not output.startswith(".."):
        ident, prop = output.rsplit(".", 1)
        return {"id": ident, "property": prop}
    return [
        {"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]}
        for part in output.strip(".").split("...")
    ]


def callback_body(dep: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The JSON the browser posts for callback ``dep`` when its inputs hold ``values``."""

    def item(spec: dict[str, Any]) -> dict[str, Any]:
        key = f"{spec['id']}.{spec['property']}"
        return {"id": spec["id"], "property": spec["property"], "value": values.get(key)}

    return {
        "output": dep["output"],
        "outputs": _outputs(dep["output"]),
        "inputs": [item(s) for s in dep["inputs"]],
        "state": [item(s) for s in dep["state"]],
        "changedPropIds": [f"{s['id']}.{s['property']}" for s in dep["inputs"]],
    }


class Visit:
    """One signed-in client going through pages; ``served`` holds (where, body) of every
    response."""

    def __init__(self, client: Any, who: str) -> None:
        self.client = client
        self.who = who
        self.served: list[tuple[str, str]] = []
        self.deps: list[dict[str, Any]] = self.get("/_dash-dependencies").get_json()
        self.shell: dict[str, Any] = {}
        props(self.get("/_dash-layout").get_json(), self.shell)
        self.routing = next(d for d in self.deps if "_pages_content.children" in d["output"])
        self.callbacks = 0

    def get(self, path: str) -> Any:
        response = self.client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        self.served.append((f"{self.who} GET {path}", response.get_data(as_text=True)))
        return response

    def post(self, where: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.client.post("/_dash-update-component", json=body)
        text = response.get_data(as_text=True)
        self.served.append((f"{self.who} {where}", text))
        if response.status_code == 204:  # the callback chose not to update
            return {}
        assert response.status_code == 200, (where, response.status_code, text[:500])
        answer: dict[str, Any] = json.loads(text)
        return answer

    def page(self, page: str, *, callbacks: bool = True) -> dict[str, Any]:
        """GET ``page``, route to it, then fire each of its read-only callbacks once with the
        values on the page (a write, the targets editor's save, is left out). Returns the
        page's ``id.property`` values after all that."""
        self.get(page)
        path, _, query = page.partition("?")
        values = {**self.shell, "_pages_location.pathname": path,
                  "_pages_location.search": f"?{query}" if query else ""}  # fmt: skip
        self._answered(values, self.post(f"route {page}", callback_body(self.routing, values)))
        if not callbacks:
            return values
        for dep in self.deps:
            if dep is self.routing or dep.get("clientside_function") or "_pages_" in dep["output"]:
                continue
            if any(name in dep["output"] for name in EDITOR_OUTPUTS):
                continue
            ids = [f"{s['id']}.{s['property']}" for s in dep["inputs"]]
            if not all(i.rsplit(".", 1)[0] + ".id" in values for i in ids):
                continue  # not on this page
            for i in ids:
                if i.endswith(".n_intervals") and values.get(i) is None:
                    values[i] = 1  # a refresh tick
            body = callback_body(dep, values)
            self._answered(values, self.post(f"{dep['output']} on {page}", body))
            self.callbacks += 1
        return values

    @staticmethod
    def _answered(values: dict[str, Any], answer: dict[str, Any]) -> None:
        for ident, changed in answer.get("response", {}).items():
            for prop, value in changed.items():
                values[f"{ident}.{prop}"] = value
                props(value, values)
