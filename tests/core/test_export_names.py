"""Export names carry the case: <patient ID>_<study date>_<what>; anonymised ones carry neither."""

from __future__ import annotations

from core.export_names import case_prefix, case_stem, existing
from core.volume import SeriesInfo


def info(**kw) -> SeriesInfo:
    return SeriesInfo(series_uid="1.2.3", **kw)


def test_the_name_carries_patient_id_and_study_date():
    assert case_stem(info(patient_id="P001", study_date="20240102"), "summary", anonymise=False) == \
        "P001_20240102_summary"


def test_anonymised_names_carry_neither_id_nor_date():
    stem = case_stem(info(patient_id="P001", study_date="20240102"), "summary", anonymise=True)
    assert stem == "anonymised_summary" and "P001" not in stem and "2024" not in stem


def test_unknown_id_date_or_no_images_are_named_so():
    assert case_prefix(info(), anonymise=False) == "no-patient-id_no-study-date"
    assert case_prefix(None, anonymise=False) == "no-patient-id_no-study-date"


def test_characters_unsafe_in_file_names_are_replaced():
    prefix = case_prefix(info(patient_id="../a b/c:\\d", study_date="2024"), anonymise=False)
    assert "/" not in prefix and "\\" not in prefix and ":" not in prefix and " " not in prefix
    assert not prefix.startswith(".")


def test_existing_lists_only_the_files_there(tmp_path):
    (tmp_path / "a.pdf").write_text("x")
    assert existing([tmp_path / "a.pdf", tmp_path / "b.pdf"]) == [tmp_path / "a.pdf"]
