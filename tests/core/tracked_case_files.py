"""A case of the current scan with its comparison to the prior one, from the two-timepoint phantom.

As `oligoplan track --out --accept-new` writes it (core.cli_track.write_tracked_case), with two
differences that keep the tests small: the registration is the phantom's known motion (the
registration has its own tests) and the new lesions come from the phantom's truth (the PET
candidate finder is not wired into `track` yet).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from bench.two_timepoints import standard_case
from core.case import load_case
from core.cli_track import track_json, tracking_record, write_tracked_case as write_case_of_current_scan
from core.registration import RegistrationResult
from core.rt.case_images import open_case_images
from core.samples import sphere_mask
from core.tracking.derived import derive_facts, derived_to_json
from core.tracking.tracker import NewCandidate, track
from core.workspace import open_folder
from tests.core.track_phantom_files import write_two_timepoints

PRIOR_DATE, CURRENT_DATE = "2024-01-02", "2024-05-02"  # as track_phantom_files writes them
LABEL_PREFIX = "Doe nodule"


def tracked_case(root: Path) -> tuple[Path, Path]:
    """(current case file with "tracking", prior case file) under ``root``."""
    truth = standard_case()
    prior_path, current_folder = write_two_timepoints(truth, root)
    body = json.loads(prior_path.read_text(encoding="utf-8"))
    for item in body["lesions"]:  # labels a user typed: an anonymised export must not show them
        item["label"] = f"{LABEL_PREFIX} {item['id']}"
    prior_path.write_text(json.dumps(body), encoding="utf-8")
    prior_case = load_case(prior_path)
    prior = open_case_images(prior_case, prior_path.parent)
    current = open_folder(current_folder)

    def find_new(images, masks):
        for key in ("N1", "N2"):
            ball = truth.current_lesions[key]
            yield NewCandidate(ball.centre_mm, sphere_mask(images.primary, np.array(ball.centre_mm),
                                                           ball.diameter_mm), site="lung")

    registration = RegistrationResult(truth.truth, "rigid", "Mattes mutual information", -0.5, 0.0)
    result = track(list(prior_case.lesions), prior, current, find_new=find_new, registration=registration,
                   first_new_number=prior_case.lesions.next_number)
    doc = track_json(result, prior.primary.info.study_date, current.primary.info.study_date)
    doc["derived_facts"] = derived_to_json(derive_facts(result))
    out = root / "current-case" / "case.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    record = tracking_record(doc, prior_path, prior.primary.info.study_date, current.primary.info.study_date,
                             result, True)
    write_case_of_current_scan(result, current, doc, record, out, True)
    return out, prior_path


def without_tracking(case_path: Path, out: Path) -> Path:
    """A copy of the case file without its comparison (the prior images untouched)."""
    body = json.loads(case_path.read_text(encoding="utf-8"))
    body.pop("tracking")
    out.write_text(json.dumps(body), encoding="utf-8")
    return out
