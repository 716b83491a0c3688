"""The series browser groups a patient's studies by date, newest first (issue 17)."""

from __future__ import annotations

from tests.gui.conftest import FakeEntry, FakeScan, ct_info


def _entry(key, study_uid, date, description):
    return FakeEntry(key, ct_info(series_uid=key, study_uid=study_uid, study_date=date, description=description))


def test_two_studies_of_one_patient_are_two_dated_groups_newest_first(qtbot):
    from gui.panels.series_browser import SeriesBrowser

    browser = SeriesBrowser()
    qtbot.addWidget(browser)
    scan = FakeScan("/x", [_entry("a", "1.1", "20240102", "CT January"), _entry("b", "1.2", "20240502", "CT May"),
                           _entry("c", "1.1", "20240102", "PET January")])
    browser.set_scan(scan)
    groups = browser.study_groups()
    assert len(groups) == 2 and "2024-05-02" in groups[0] and "2024-01-02" in groups[1]
    first, second = browser.tree.topLevelItem(0), browser.tree.topLevelItem(1)
    assert [first.child(n).text(0) for n in range(first.childCount())] == ["#2 CT May"]
    assert [second.child(n).text(0) for n in range(second.childCount())] == ["#2 CT January", "#2 PET January"]
    # a prior study opened for comparison: its own dated group, not offered to open as the current images
    browser.add_prior_scan(FakeScan("/p", [_entry("p", "1.0", "20231101", "CT November")]))
    assert browser.study_groups()[-1].startswith("Prior (compare)") and "2023-11-01" in browser.study_groups()[-1]
    prior_item = browser.tree.topLevelItem(2).child(0)
    browser.tree.setCurrentItem(prior_item)
    assert browser.selected_entry() is None and not browser.open_button.isEnabled()
