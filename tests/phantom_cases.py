"""Case files for the sample phantoms, built from their ground_truth.json with
sphere masks on the CT grid (shared by core and gui tests)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from core.case import Case, save_case
from core.lesions import AddLesion, Lesion, UndoStack
from core.samples import SAMPLE_ROOT, sphere_mask

#: Facts under which phantom-oligo is eligible for SABR-COMET.
ELIGIBLE_FACTS = {
    "primary_site": "colorectal", "histology": "adenocarcinoma",
    "primary_diagnosis_date": "2022-01-10", "metastasis_diagnosis_date": "2024-03-01",
    "primary_controlled": "yes", "primary_definitive_treatment_date": "2022-04-01",
    "history_polymetastatic": "no", "history_oligometastatic": "no", "on_systemic_therapy": "no",
    "lesions_progressing": "yes", "ecog": 1, "life_expectancy_months": 24, "age_years": 64,
    "imaging_date": "2024-03-01", "imaging_modality": "PET-CT", "brain_imaging_done": "yes",
    "all_lesions_treatable": "yes",  # every lesion starts "not assessed" (issue 12)
}


def truth(name: str) -> dict:
    return json.loads((SAMPLE_ROOT / name / "ground_truth.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=2)
def workspace(name: str):
    from core.workspace import open_folder

    return open_folder(SAMPLE_ROOT / name)


def phantom_case(name: str, folder: Path, facts: dict | None = None, case_name: str = "case.json") -> Path:
    """Write ``folder/case_name`` for a phantom: one sphere lesion per ground-truth lesion."""
    ws = workspace(name)
    ct = ws.primary
    case = Case(images=ws.image_refs(), facts=dict(facts or {}))
    stack = UndoStack()
    for item in truth(name)["lesions"]:
        mask = sphere_mask(ct, item["centre_mm"], item["diameter_mm"])
        lesion = Lesion(item["id"], f"{item['organ'].capitalize()} {item['id']}", site=item["organ"],
                        laterality=item.get("laterality") or "", kind=item["kind"],
                        point_mm=tuple(item["centre_mm"]), mask=mask)
        stack.push(AddLesion(case.lesions, lesion))
    folder.mkdir(parents=True, exist_ok=True)
    return save_case(case, folder / case_name)
