"""scoring.config.read_yaml: a large params file is parsed once per content, then read from the
parse cache — the same data, a changed file parsed again, a damaged cache never trusted."""

from __future__ import annotations

import marshal

import pytest
import yaml

from scoring import config
from scoring.errors import SpecError


def _units_file(path, n: int, name: str = "单位") -> dict:
    data = {"tiers": {"county": "县"}, "units": [{"code": f"u{i:04d}", "name": f"{name}{i}", "tier": "county",
                                                   "population_2010": 10.5 + i} for i in range(n)]}
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return data


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv(config.CACHE_ENV, str(folder))
    return folder


def _kept(cache):
    return sorted(cache.rglob("*.marshal"))


def test_a_large_file_is_parsed_once_and_then_read_from_the_cache(tmp_path, cache, monkeypatch):
    path = tmp_path / "units.yaml"
    written = _units_file(path, 2000)
    assert path.stat().st_size >= config.CACHED_BYTES
    data, digest = config.read_yaml(path)
    assert data == written
    assert [p.name for p in _kept(cache)] == [f"{digest}.marshal"]
    monkeypatch.setattr(config.yaml, "load", lambda *a, **k: pytest.fail("parsed again"))
    again, same_digest = config.read_yaml(path)
    assert again == written and same_digest == digest
    assert again is not data  # each read its own copy: a caller may change it


def test_a_changed_file_is_parsed_again(tmp_path, cache):
    path = tmp_path / "units.yaml"
    _units_file(path, 2000)
    first, digest = config.read_yaml(path)
    changed = _units_file(path, 2000, name="区")
    data, new_digest = config.read_yaml(path)
    assert new_digest != digest and data == changed != first
    assert len(_kept(cache)) == 2


@pytest.mark.parametrize("damage", [b"", b"\x00not marshal", marshal.dumps(["a list, not a mapping"])])
def test_a_damaged_cache_file_is_parsed_again_and_replaced(tmp_path, cache, damage):
    path = tmp_path / "units.yaml"
    written = _units_file(path, 2000)
    config.read_yaml(path)
    (kept,) = _kept(cache)
    kept.write_bytes(damage)
    assert config.read_yaml(path)[0] == written
    assert marshal.loads(kept.read_bytes()) == written


def test_a_small_file_is_not_cached(tmp_path, cache):
    path = tmp_path / "units.yaml"
    written = _units_file(path, 3)
    assert config.read_yaml(path)[0] == written
    assert not cache.exists()


def test_a_cache_folder_that_cannot_be_written_is_no_cache(tmp_path, monkeypatch):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    monkeypatch.setenv(config.CACHE_ENV, str(blocked))
    path = tmp_path / "units.yaml"
    written = _units_file(path, 2000)
    assert config.read_yaml(path)[0] == written
    assert config.read_yaml(path)[0] == written


def test_a_value_marshal_cannot_hold_is_read_but_not_cached(tmp_path, cache):
    path = tmp_path / "dated.yaml"
    path.write_text("since: 2019-01-01\n" + "".join(f"k{i}: {'x' * 40}\n" for i in range(2000)), encoding="utf-8")
    data, _digest = config.read_yaml(path)
    assert str(data["since"]) == "2019-01-01" and len(data) == 2001
    assert not _kept(cache)


def test_a_large_file_that_is_not_yaml_is_refused_and_not_cached(tmp_path, cache):
    path = tmp_path / "units.yaml"
    path.write_text("units: [" + "x, " * 30000 + "\n  : bad", encoding="utf-8")
    with pytest.raises(SpecError, match="not valid YAML"):
        config.read_yaml(path)
    assert not _kept(cache)


def test_the_cache_keeps_the_files_last_written(tmp_path, cache, monkeypatch):
    monkeypatch.setattr(config, "CACHE_KEPT", 3)
    path = tmp_path / "units.yaml"
    digests = []
    for i in range(5):
        _units_file(path, 2000, name=f"单位{i}-")
        digests.append(config.read_yaml(path)[1])
    assert sorted(p.stem for p in _kept(cache)) == sorted(digests[-3:])
