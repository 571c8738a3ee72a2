"""TargetsWatcher: `serve` keeps running on the last good targets while the file is bad."""

import os
import threading
import time
from pathlib import Path

import pytest

from servicelevel.config import TargetsWatcher

SEED = (Path(__file__).resolve().parents[2] / "targets.toml").read_text(encoding="utf-8")
BAD = SEED.replace('kpi = "asa"', 'kpi = "asap"')
GOOD_EDIT = SEED.replace("refresh_seconds = 10", "refresh_seconds = 30")


def write(path: Path, text: str) -> None:
    """Write and move the mtime on, so the change is seen even on coarse-clock filesystems."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 2_000_000_000, before + 2_000_000_000))


@pytest.fixture
def targets_file(tmp_path):
    path = tmp_path / "targets.toml"
    write(path, SEED)
    return path


def test_the_watcher_loads_the_file_on_first_use(targets_file):
    targets, errors = TargetsWatcher(targets_file).current()
    assert errors == []
    assert targets.operation.refresh_seconds == 10


def test_the_watcher_does_not_reload_an_unchanged_file(targets_file):
    watcher = TargetsWatcher(targets_file)
    first, _ = watcher.current()
    second, _ = watcher.current()
    assert second is first


def test_the_watcher_keeps_the_last_good_targets_after_a_bad_edit(targets_file):
    watcher = TargetsWatcher(targets_file)
    good, _ = watcher.current()
    write(targets_file, BAD)
    targets, errors = watcher.current()
    assert targets is good
    assert [e.key for e in errors] == ["target[4].kpi"]
    # The errors stay up, for the banner, until the file changes again.
    assert watcher.current()[1] == errors


def test_the_watcher_picks_up_a_good_edit_and_clears_the_errors(targets_file):
    watcher = TargetsWatcher(targets_file)
    watcher.current()
    write(targets_file, BAD)
    watcher.current()
    write(targets_file, GOOD_EDIT)
    targets, errors = watcher.current()
    assert errors == []
    assert targets.operation.refresh_seconds == 30


def test_the_watcher_survives_the_file_being_deleted(targets_file):
    watcher = TargetsWatcher(targets_file)
    good, _ = watcher.current()
    targets_file.unlink()
    targets, errors = watcher.current()
    assert targets is good
    assert [e.message for e in errors] == ["file not found"]


def test_a_watcher_started_on_a_bad_file_has_no_targets_yet(tmp_path):
    path = tmp_path / "targets.toml"
    write(path, BAD)
    targets, errors = TargetsWatcher(path).current()
    assert targets is None
    assert errors


def test_concurrent_callers_share_one_load(targets_file):
    watcher = TargetsWatcher(targets_file)
    seen = []

    def read():
        seen.append(watcher.current()[0])

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 8
    assert all(targets is seen[0] for targets in seen)


def test_a_slow_re_read_never_blocks_other_readers(targets_file, monkeypatch):
    """While one caller re-reads a changed file, the others get the last good targets at once."""
    from servicelevel.config import loading

    watcher = TargetsWatcher(targets_file)
    good, _ = watcher.current()
    started, release = threading.Event(), threading.Event()
    real_parse = loading.parse_targets

    def slow_parse(text, filename="targets.toml"):
        started.set()
        release.wait(10)
        return real_parse(text, filename=filename)

    monkeypatch.setattr(loading, "parse_targets", slow_parse)
    write(targets_file, GOOD_EDIT)
    reloaded = []
    reloader = threading.Thread(target=lambda: reloaded.append(watcher.current()))
    reloader.start()
    assert started.wait(10), "the re-read did not start"

    served, took = [], []

    def read():
        begun = time.perf_counter()
        served.append(watcher.current())
        took.append(time.perf_counter() - begun)

    reader = threading.Thread(target=read)
    reader.start()
    reader.join(1.0)  # on a blocking watcher the reader is still waiting here
    release.set()
    reader.join(10)
    reloader.join(10)
    assert took and took[0] < 0.1, f"a reader waited {took[0] if took else 'forever'} s"
    assert served[0] == (good, [])
    new, errors = reloaded[0]
    assert errors == [] and new.operation.refresh_seconds == 30
    assert watcher.current() == (new, [])


def test_an_oversized_file_keeps_the_last_good_targets_with_the_size_error(targets_file):
    watcher = TargetsWatcher(targets_file)
    good, _ = watcher.current()
    write(targets_file, SEED + "#" * (2 * 1024 * 1024) + "\n")
    targets, errors = watcher.current()
    assert targets is good
    assert [e.message for e in errors] == ["file is 2.0 MiB; the limit is 1 MiB"]


def test_a_nan_edit_keeps_the_last_good_targets_with_the_located_error(targets_file):
    watcher = TargetsWatcher(targets_file)
    good, _ = watcher.current()
    write(targets_file, SEED.replace("minimum = 60     # seconds at most", "minimum = nan"))
    targets, errors = watcher.current()
    assert targets is good
    assert [e.key for e in errors] == ["target[4].minimum"]
