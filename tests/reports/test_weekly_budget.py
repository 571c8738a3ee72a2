"""The weekly email gives each rate its week's error budget, in the words of docs/budgets.md.

On the hand-worked week of ``tests/breachweek.py`` (``bw.STRICT``): 224 of 270 calls in time,
6 abandoned. 80 %: floor(0.2 x 270) = 54 late answers allowed, 46 spent, 8 left (8 / 54 = 15 %);
8 % abandons: floor(21.6) = 21 allowed, 6 spent, 15 left (71 %); 96 %: floor(10.8) = 10
allowed, 46 spent, 36 over. The ideals: 90 % allows 27 (19 over), 3 % abandons 8 (2 left,
25 %), 98 % allows 5 (41 over).
"""

from __future__ import annotations

import breachweek as bw
from click.testing import CliRunner

from servicelevel.cli import main
from servicelevel.store import make_engine


def test_each_rate_has_its_budget_line_in_the_text_and_the_html(tmp_path, sqlite_url):
    path = bw.write_targets(tmp_path, extra=bw.STRICT)
    engine = make_engine(sqlite_url)
    bw.fill(engine, bw.load(path))
    engine.dispose()
    common = ["report", "weekly", "--db", sqlite_url, "--targets", str(path), "--week", "2026-W47"]
    text = CliRunner().invoke(main, [*common, "--text"])
    assert text.exit_code == 0, text.output
    lines = [
        line.strip()
        for line in text.output.splitlines()
        if line.strip().startswith("Error budget:   ")
    ]
    ideal_90 = "to the ideal: overspent by 19: 46 late answers, 27 allowed"
    assert lines == [
        f"Error budget:   8 of 54 late answers allowed left (15 %); {ideal_90}",
        f"Error budget:   8 of 54 late answers allowed left (15 %); {ideal_90}",
        "Error budget:   15 of 21 abandons allowed left (71 %); to the ideal: 2 of 8 abandons "
        "allowed left (25 %)",
        "Error budget:   overspent by 36: 46 late answers, 10 allowed; to the ideal: overspent "
        "by 41: 46 late answers, 5 allowed",
    ]
    html_path = tmp_path / "week.html"
    html = CliRunner().invoke(main, [*common, "--html", str(html_path)])
    assert html.exit_code == 0, html.output
    page = html_path.read_text(encoding="utf-8")
    assert page.count("Error budget: ") == 4
    assert "Error budget: overspent by 36: 46 late answers, 10 allowed" in page
