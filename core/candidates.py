"""PET hot-spot candidates kept in a case until a user accepts or rejects each one.

Candidates are not lesions: they come from `oligoplan detect` or the gui's
"Find lesions" (core.detect) and wait for review. Accepting one makes a
lesion with its segmentation and proposed site and side (a proposal, for the
user to confirm); rejecting records the choice. Both are commands (undoable)
and both go into the audit trail. While any candidate is unreviewed, every
rule set is undetermined (core.rules.engine, ``unreviewed_candidates``).

Case file: ``"pet_candidates"`` (docs/case-file.md), absent when detection
never ran.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum

import numpy as np

from core.audit import AuditAction
from core.events import Signal
from core.lesions import Command, Lesion, LesionMask
from core.mask_json import decode_runs, mask_to_json


class CandidateStatus(str, Enum):
    UNREVIEWED = "unreviewed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Candidate:
    id: str
    centroid_mm: tuple[float, float, float]
    volume_cc: float
    suv_max: float
    sul_peak: float
    site: str
    side: str
    site_source: str
    mask: LesionMask | None
    status: CandidateStatus = CandidateStatus.UNREVIEWED
    lesion_id: str = ""  # the lesion it became, once accepted

    def to_json(self) -> dict:
        return {"id": self.id, "centroid_mm": [round(float(v), 2) for v in self.centroid_mm],
                "volume_cc": round(float(self.volume_cc), 4), "suv_max": round(float(self.suv_max), 3),
                "sul_peak": round(float(self.sul_peak), 3), "site": self.site, "side": self.side,
                "site_source": self.site_source, "status": self.status.value, "lesion_id": self.lesion_id,
                "mask": mask_to_json(self.mask) if self.mask is not None else None}

    @classmethod
    def from_found(cls, found, candidate_id: str | None = None) -> "Candidate":
        """A core.detect Found as a candidate of the case, unreviewed (``candidate_id``: another id)."""
        return cls(candidate_id or found.id, tuple(found.centroid_mm), found.volume_cc, found.suv_max,
                   found.sul_peak, found.site, found.side, found.site_source, found.mask)

    @classmethod
    def from_json(cls, item: dict) -> "Candidate":
        mask = None
        if item.get("mask") is not None:
            m = item["mask"]
            mask = LesionMask(tuple(m["offset"]), decode_runs(m["rle"], tuple(int(v) for v in m["shape"])),
                              tuple(m["grid_shape"]), str(m["series_uid"]))
        centroid = tuple(float(v) for v in item["centroid_mm"])
        if len(centroid) != 3 or not all(np.isfinite(centroid)):
            raise ValueError(f"candidate {item.get('id')}: centroid_mm must be 3 finite numbers")
        return cls(str(item["id"]), centroid, float(item["volume_cc"]), float(item["suv_max"]),
                   float(item["sul_peak"]), str(item.get("site", "unknown")), str(item.get("side", "unknown")),
                   str(item.get("site_source", "unknown")), mask, CandidateStatus(item.get("status", "unreviewed")),
                   str(item.get("lesion_id", "") or ""))


@dataclass
class CandidateSet:
    """The candidates of one detection run, its reference region and what it left out."""

    items: list[Candidate] = field(default_factory=list)
    reference: dict = field(default_factory=dict)  # the `detect --json` "reference" object
    suppressed: list[dict] = field(default_factory=list)  # the `detect --json` "suppressed" objects
    series_uid: str = ""

    def __post_init__(self) -> None:
        self.changed = Signal()  # emitted with the candidate id after each status change

    def __iter__(self):
        return iter(list(self.items))

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, candidate_id: str) -> Candidate:
        for c in self.items:
            if c.id == candidate_id:
                return c
        raise KeyError(f"no candidate '{candidate_id}'")

    @property
    def unreviewed(self) -> list[Candidate]:
        return [c for c in self.items if c.status is CandidateStatus.UNREVIEWED]

    def _set(self, candidate: Candidate) -> None:
        self.items = [candidate if c.id == candidate.id else c for c in self.items]
        self.changed.emit(candidate.id)

    def to_json(self) -> dict:
        return {"series_uid": self.series_uid, "reference": dict(self.reference),
                "suppressed": list(self.suppressed), "candidates": [c.to_json() for c in self.items]}

    @classmethod
    def from_json(cls, doc) -> "CandidateSet":
        if doc is None:
            return cls()
        if not isinstance(doc, dict) or not isinstance(doc.get("candidates", []), list):
            raise ValueError("pet_candidates must be an object with a list of candidates")
        items = [Candidate.from_json(item) for item in doc.get("candidates", [])]
        ids = [c.id for c in items]
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate candidate ids {sorted({i for i in ids if ids.count(i) > 1})}")
        return cls(items, dict(doc.get("reference") or {}), list(doc.get("suppressed") or []),
                   str(doc.get("series_uid", "")))

    @classmethod
    def from_detection(cls, detection) -> "CandidateSet":
        """A core.detect Detection, every candidate unreviewed."""
        items = [Candidate.from_found(f) for f in detection.candidates]
        return cls(items, detection.reference.to_json(), [s.to_json() for s in detection.suppressed],
                   detection.series_uid)


def pending_text(n: int) -> str:
    """What the verdict panel, `check` and the PDF say while candidates wait for review."""
    return (f"{n} PET candidate{'s' if n != 1 else ''} not yet reviewed: accept or reject "
            f"{'each' if n != 1 else 'it'} in the window's PET candidates tab; until then every rule set is "
            "undetermined")


# ----------------------------------------------------------------- lesions
def mask_on_grid(mask: LesionMask, source, target) -> LesionMask | None:
    """The candidate's mask (on ``source``, the PET) on ``target``'s grid (the CT), by nearest voxel."""
    if target is None or target.info.series_uid == mask.series_uid:
        return mask
    idx = mask.indices().astype(np.float64)
    half = 0.5 * np.ones(3)
    corners = np.array([[a, b, c] for a in (-1, 1) for b in (-1, 1) for c in (-1, 1)], float) * half
    pts = source.index_to_patient((idx[:, None, :] + corners[None]).reshape(-1, 3))
    t = target.patient_to_index(pts)
    lo = np.maximum(np.floor(t.min(axis=0)).astype(int), 0)
    hi = np.minimum(np.ceil(t.max(axis=0)).astype(int) + 1, np.array(target.shape))
    if np.any(hi <= lo):
        return None
    zz, yy, xx = np.meshgrid(*[np.arange(a, b) for a, b in zip(lo, hi)], indexing="ij")
    back = np.rint(source.patient_to_index(target.index_to_patient(
        np.stack([zz.ravel(), yy.ravel(), xx.ravel()], axis=1).astype(np.float64)))).astype(int)
    full = mask.full()
    ok = np.all((back >= 0) & (back < np.array(full.shape)), axis=1)
    inside = np.zeros(len(back), bool)
    inside[ok] = full[tuple(back[ok].T)]
    return LesionMask.from_box(inside.reshape(zz.shape), tuple(lo), target.shape, target.info.series_uid)


def lesion_from_candidate(candidate: Candidate, lesion_id: str, pet=None, grid=None) -> Lesion:
    """The lesion an accepted candidate becomes: its mask (on ``grid``, the CT, when given), its proposed
    site and side, a note saying where it came from."""
    from core.codes import Laterality, Site, SiteSource

    mask = candidate.mask
    if mask is not None and pet is not None and grid is not None:
        mask = mask_on_grid(mask, pet, grid) or mask
    try:
        site = Site.parse(candidate.site)
        note = ""
    except ValueError:
        site = Site.UNKNOWN
        note = f"site not proposed ({candidate.site}): choose it. "
    side = candidate.side if candidate.side in ("left", "right") else ""
    notes = (f"{note}PET candidate {candidate.id}: SUVmax {candidate.suv_max:.1f}, "
             f"SULpeak {candidate.sul_peak:.1f}, {candidate.volume_cc:.2f} cm3 (proposed site: "
             f"{candidate.site}, source {candidate.site_source})")
    # the candidate's site and side stay a proposal until the user confirms them (core.anatomy)
    source = str(candidate.site_source or "unknown")
    structure = source.split(":", 1)[1] if source.startswith("structure:") else ""
    detail = (f"{structure} structure" if structure else
              f"CT anatomy: {site.value}" if source == "ct-anatomy" else "PET body outline: side only")
    try:
        site_source = SiteSource.parse(source)
    except ValueError:
        site_source = SiteSource.UNKNOWN
    return Lesion(lesion_id, label=f"{lesion_id} (PET {candidate.id})", site=site, laterality=Laterality.parse(side),
                  point_mm=candidate.centroid_mm, mask=mask, notes=notes, site_source=site_source,
                  site_structure=structure, site_detail=f"PET candidate {candidate.id}: {detail}",
                  site_confirmed=False)


# ----------------------------------------------------------------- commands
class AcceptCandidate(Command):
    """Make a lesion of the candidate (undo: the lesion goes, the candidate waits again)."""

    def __init__(self, case, candidate_id: str, lesion: Lesion) -> None:
        self.case, self.candidate_id, self.lesion = case, candidate_id, lesion
        self.text = f"Accept candidate {candidate_id} as {lesion.id}"

    def redo(self) -> None:
        cands = self.case.candidates
        c = cands[self.candidate_id]
        self.case.lesions._insert(self.lesion)
        cands._set(replace(c, status=CandidateStatus.ACCEPTED, lesion_id=self.lesion.id))
        self.case.review.record(AuditAction.CANDIDATE_ACCEPTED, f"PET candidate {c.id} accepted as {self.lesion.id}",
                                {"candidate": c.id, "lesion": self.lesion.id})

    def undo(self) -> None:
        cands = self.case.candidates
        c = cands[self.candidate_id]
        self.case.lesions._remove(self.lesion.id)
        cands._set(replace(c, status=CandidateStatus.UNREVIEWED, lesion_id=""))
        self.case.review.record(AuditAction.CANDIDATE_REOPENED,
                                f"PET candidate {c.id} back to review (accept undone)", {"candidate": c.id})


class RejectCandidate(Command):
    def __init__(self, case, candidate_id: str) -> None:
        self.case, self.candidate_id = case, candidate_id
        self.text = f"Reject candidate {candidate_id}"

    def redo(self) -> None:
        c = self.case.candidates[self.candidate_id]
        self.case.candidates._set(replace(c, status=CandidateStatus.REJECTED))
        self.case.review.record(AuditAction.CANDIDATE_REJECTED, f"PET candidate {c.id} rejected",
                                {"candidate": c.id, "centroid_mm": list(c.centroid_mm)})

    def undo(self) -> None:
        c = self.case.candidates[self.candidate_id]
        self.case.candidates._set(replace(c, status=CandidateStatus.UNREVIEWED))
        self.case.review.record(AuditAction.CANDIDATE_REOPENED,
                                f"PET candidate {c.id} back to review (reject undone)", {"candidate": c.id})
