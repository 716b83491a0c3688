"""Case facts the loaded images suggest: PROPOSALS, never facts until a user confirms them.

The facts form shows them beside the field ("unknown — proposed: PET-CT, from the images"); the
rule sets see the fact as unknown until the user picks the value. Worked out from the shown images of
the one case only (nothing carries over from another case or patient).

* ``imaging_modality``: "PET-CT" when a PET is shown with a CT, "MR" for MR, "CT" for a CT alone.
* ``pet_tracer``: from the PET's (0054,0016) Radiopharmaceutical Information Sequence (core.volume
  SeriesInfo.tracer): FDG, PSMA, choline, fluciclovine, or "other" for a named tracer of none of these.
"""

from __future__ import annotations

from core.rules.facts import FIELD_BY_KEY
from core.volume import Modality

#: words in a tracer's name -> the pet_tracer choice (checked in this order)
TRACER_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("FDG", ("FDG", "FLUORODEOXYGLUCOSE", "FLUDEOXYGLUCOSE")),
    ("PSMA", ("PSMA", "PIFLUFOLASTAT", "DCFPYL", "GOZETOTIDE", "FLOTUFOLASTAT")),
    ("choline", ("CHOLINE",)),
    ("fluciclovine", ("FLUCICLOVINE", "FACBC")),
)


def tracer_choice(name: str) -> str | None:
    """The pet_tracer choice of a tracer's name ("Fluorodeoxyglucose" -> "FDG"); None when unnamed."""
    upper = (name or "").upper()
    if not upper.strip():
        return None
    for choice, words in TRACER_WORDS:
        if any(word in upper for word in words):
            return choice
    return "other"


def propose_image_facts(*volumes) -> dict[str, str]:
    """{fact key: proposed value} from the shown volumes (base, overlay; None allowed).

    Only facts the rule catalogue knows, with values among their choices."""
    shown = [v for v in volumes if v is not None]
    modalities = {v.modality for v in shown}
    proposals: dict[str, str] = {}
    if Modality.PT in modalities and Modality.CT in modalities:
        proposals["imaging_modality"] = "PET-CT"
    elif Modality.MR in modalities:
        proposals["imaging_modality"] = "MR"
    elif Modality.CT in modalities:
        proposals["imaging_modality"] = "CT"
    pet = next((v for v in shown if v.modality is Modality.PT), None)
    tracer = tracer_choice(pet.info.tracer) if pet is not None else None
    if tracer is not None:
        proposals["pet_tracer"] = tracer
    return {key: value for key, value in proposals.items()
            if key in FIELD_BY_KEY and value in FIELD_BY_KEY[key].choices}
