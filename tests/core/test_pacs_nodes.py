"""PACS nodes in the JSON settings file: round trip, validation, broken files."""

from __future__ import annotations

import json

import pytest

from core.errors import PacsConfigError
from core.pacs.nodes import LocalAE, PacsNode, PacsSettings, load_settings, save_settings, settings_path


def test_settings_round_trip_in_the_config_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("OLIGOPLAN_CONFIG_DIR", str(tmp_path / "cfg"))
    assert load_settings() == PacsSettings()  # nothing saved yet: defaults, no nodes
    settings = PacsSettings(LocalAE("MYWS", 11200, "10.0.0.5")).with_node(
        PacsNode("Hospital", "PACS1", "pacs.example.org", 104))
    path = save_settings(settings)
    assert path == settings_path() == tmp_path / "cfg" / "pacs.json"
    assert load_settings() == settings
    replaced = settings.with_node(PacsNode("Hospital", "PACS2", "pacs.example.org", 11112))
    assert [n.ae_title for n in replaced.nodes] == ["PACS2"]
    assert replaced.without_node("Hospital").nodes == ()


@pytest.mark.parametrize("kwargs, message", [
    (dict(ae_title="", host="h", port=104), "called AE title '': must be 1 to 16"),
    (dict(ae_title="A" * 17, host="h", port=104), "must be 1 to 16 characters"),
    (dict(ae_title="A\\B", host="h", port=104), "without backslash"),
    (dict(ae_title="PACS", host="", port=104), "host ''"),
    (dict(ae_title="PACS", host="h", port=0), "port 0: expected a number from 1 to 65535"),
    (dict(ae_title="PACS", host="h", port=65536), "65535"),
])
def test_invalid_nodes_are_refused_with_the_reason(kwargs, message):
    with pytest.raises(PacsConfigError, match=message.replace("\\", "\\\\").replace("(", "\\(")):
        PacsNode(name="n", **kwargs)


def test_a_broken_settings_file_names_the_file_and_what_to_do(tmp_path):
    path = tmp_path / "pacs.json"
    path.write_text("{not json")
    with pytest.raises(PacsConfigError, match=r"pacs.json: cannot read.*fix or delete the file"):
        load_settings(path)
    path.write_text(json.dumps({"nodes": [{"name": "x", "ae_title": "P", "host": "h", "port": "abc"}]}))
    with pytest.raises(PacsConfigError, match=r"port 'abc'.*fix or delete the file"):
        load_settings(path)
    with pytest.raises(PacsConfigError, match="no PACS node named 'nope'"):
        PacsSettings().node("nope")
