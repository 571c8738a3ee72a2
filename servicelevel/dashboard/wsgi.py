"""Serving the dashboard: waitress, a production WSGI server, unless debugging.

Why not ``app.run``: Flask's built-in server is meant for development (it says so when it
starts) and opens a thread per request, so fifty wallboards meant fifty threads, each with its
own memory arena. waitress serves from a fixed pool of threads, queues what is beyond it, and
runs the same everywhere (no fork, so Windows too). ``--debug`` keeps Dash's reloading dev
server.
"""

from __future__ import annotations

import dash

DEFAULT_THREADS = 8


def run_server(
    app: dash.Dash, host: str, port: int, *, debug: bool = False, threads: int = DEFAULT_THREADS
) -> None:
    """Serve ``app`` until interrupted."""
    if debug:
        app.run(host=host, port=port, debug=True)
        return
    from waitress import serve

    serve(app.server, host=host, port=port, threads=threads, ident="servicelevel")
