"""OAR flag settings in the user config (oar_flags.json): read, written, refused when bad, used by the CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from core.errors import OarSettingsError
from core.rules.oar import OarSettings
from core.rules.oar_settings import load_oar_settings, save_oar_settings, settings_path
from core.samples import SAMPLE_ROOT


@pytest.fixture(autouse=True)
def config(tmp_path, monkeypatch):
    folder = tmp_path / "config"
    monkeypatch.setenv("OLIGOPLAN_CONFIG_DIR", str(folder))
    return folder


def test_no_file_means_the_defaults_and_a_saved_file_reads_back(config):
    assert load_oar_settings() == OarSettings()
    chosen = OarSettings(ultracentral_margin_mm=12.0, ultracentral_structures=("proximal_bronchial_tree",
                                                                               "oesophagus"))
    path = save_oar_settings(chosen)
    assert path == config / "oar_flags.json" == settings_path()
    assert load_oar_settings() == chosen
    assert json.loads(path.read_text())["ultracentral_structures"] == ["proximal_bronchial_tree", "oesophagus"]


def test_a_partial_file_keeps_the_other_defaults(config):
    config.mkdir()
    (config / "oar_flags.json").write_text('{"ultracentral_margin_mm": 2}')
    s = load_oar_settings()
    assert s.ultracentral_margin_mm == 2.0 and s.ultracentral_structures == OarSettings().ultracentral_structures
    assert s.central_margin_mm == 20.0


@pytest.mark.parametrize("text,message", [
    ('{"ultracentral_margin_mm": -1}', r"ultracentral_margin_mm: expected a number of mm from 0 to 100, found -1"),
    ('{"ultracentral_margin_mm": "5"}', r"ultracentral_margin_mm: expected a number .* found '5'"),
    ('{"ultracentral_structures": ["windpipe"]}', r"unknown structure role\(s\) windpipe; expected some of "
                                                  r"proximal_bronchial_tree, trachea"),
    ('{"ultracentral_structures": []}', r"expected a non-empty list"),
    ('{"ultracentral_margin": 5}', r"unknown key\(s\) ultracentral_margin"),
    ('[5]', r"expected an object"),
    ('{"ultracentral_margin_mm": 5,', r"not valid JSON \(line 1"),
])
def test_a_bad_file_is_refused_naming_the_file_key_and_value(config, text, message):
    config.mkdir()
    (config / "oar_flags.json").write_text(text)
    with pytest.raises(OarSettingsError, match=message) as info:
        load_oar_settings()
    assert "oar_flags.json" in str(info.value)


@pytest.mark.skipif(not (SAMPLE_ROOT / "phantom-oligo").is_dir(), reason="sample scans not present")
def test_oligoplan_check_uses_the_ultracentral_settings_of_the_user_config(config, tmp_path):
    from tests.phantom_cases import ELIGIBLE_FACTS, phantom_case

    case = phantom_case("phantom-oligo", tmp_path / "case", ELIGIBLE_FACTS)

    def lung_flags():
        proc = subprocess.run([sys.executable, "-m", "gui.entry", "check", str(case), "--rules", "sabr-comet",
                               "--json"], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        return next(e for e in json.loads(proc.stdout)["oar_flags"] if e["lesion"] == "L4")["flags"]

    assert lung_flags() == ["central_lung"]  # 10 mm from the proximal bronchial tree; default margin 5 mm
    save_oar_settings(OarSettings(ultracentral_margin_mm=12.0))
    assert lung_flags() == ["central_lung", "ultracentral_lung"]
    (config / "oar_flags.json").write_text('{"ultracentral_margin_mm": "wide"}')
    proc = subprocess.run([sys.executable, "-m", "gui.entry", "check", str(case), "--json"], capture_output=True,
                          text=True)
    assert proc.returncode == 2 and "oar_flags.json: ultracentral_margin_mm" in proc.stderr


def test_a_settings_file_that_cannot_be_written_is_a_clear_error(config):
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("a file where the config folder should be")
    with pytest.raises(OarSettingsError, match=r"oar_flags.json: cannot be written .*config folder"):
        save_oar_settings(OarSettings(ultracentral_margin_mm=7.0))
