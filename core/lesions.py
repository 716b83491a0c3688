"""Lesions, the lesion set that emits change events, and undoable edit commands.

A lesion's geometry lives on the image grid it was drawn on: a boolean voxel
mask kept as its bounding box (``LesionMask``), or only a marker point (users
often count first and contour later; a point-only lesion counts).

Every edit goes through a command object (``AddLesion``, ``RemoveLesion``,
``UpdateLesion``) with ``redo``/``undo``; the gui wraps them in a QUndoStack,
headless code uses :class:`UndoStack`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from typing import Iterable, Iterator

import numpy as np

from core.codes import Laterality, LesionKind, Site, SiteSource, Treatability, site_source_text
from core.events import Signal
from core.segment_record import SegmentRecord


@dataclass(frozen=True, eq=False)
class LesionMask:
    """A boolean mask on a grid, stored as its bounding box.

    ``offset`` is the (z, y, x) index of the box's first voxel on the grid of
    shape ``grid_shape`` of series ``series_uid``.
    """

    offset: tuple[int, int, int]
    array: np.ndarray
    grid_shape: tuple[int, int, int]
    series_uid: str

    def __post_init__(self) -> None:
        arr = np.asarray(self.array, dtype=bool)
        if arr.ndim != 3:
            raise ValueError(f"mask array must be 3D, got shape {arr.shape}")
        arr.setflags(write=False)
        object.__setattr__(self, "array", arr)
        object.__setattr__(self, "offset", tuple(int(v) for v in self.offset))
        object.__setattr__(self, "grid_shape", tuple(int(v) for v in self.grid_shape))

    @classmethod
    def from_full(cls, full: np.ndarray, series_uid: str) -> "LesionMask | None":
        """Crop a full-grid mask to its bounding box; None when it is empty."""
        full = np.asarray(full, dtype=bool)
        return cls.from_box(full, (0, 0, 0), full.shape, series_uid)

    @classmethod
    def from_box(cls, box: np.ndarray, offset, grid_shape, series_uid: str) -> "LesionMask | None":
        """Crop a mask given as a box at ``offset`` on the grid; None when empty."""
        box = np.asarray(box, dtype=bool)
        if not box.any():
            return None
        lo, hi = _bbox(box)
        cropped = box[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]].copy()
        return cls(tuple(int(o) + l for o, l in zip(offset, lo)), cropped, grid_shape, series_uid)

    @property
    def n_voxels(self) -> int:
        return int(self.array.sum())

    @property
    def slices(self) -> tuple[slice, slice, slice]:
        """Where the box sits on the grid (for grid[mask.slices] & mask.array)."""
        return tuple(slice(o, o + n) for o, n in zip(self.offset, self.array.shape))  # type: ignore

    def full(self) -> np.ndarray:
        out = np.zeros(self.grid_shape, dtype=bool)
        out[self.slices] = self.array
        return out

    def indices(self) -> np.ndarray:
        """(n, 3) grid indices (z, y, x) of the voxels inside."""
        return np.argwhere(self.array) + np.array(self.offset)

    def contains(self, zyx) -> bool:
        idx = np.asarray(zyx, dtype=int) - np.array(self.offset)
        if np.any(idx < 0) or np.any(idx >= np.array(self.array.shape)):
            return False
        return bool(self.array[tuple(idx)])

    def with_voxels(self, other: np.ndarray, offset, value: bool) -> "LesionMask | None":
        """A new mask with the box ``other`` at ``offset`` set (value) or cleared."""
        full = self.full()
        sl = tuple(slice(o, o + n) for o, n in zip(offset, other.shape))
        if value:
            full[sl] |= other
        else:
            full[sl] &= ~other
        return LesionMask.from_full(full, self.series_uid)

    def axial_slices(self) -> list[int]:
        return [self.offset[0] + k for k in np.nonzero(self.array.any(axis=(1, 2)))[0]]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LesionMask):
            return NotImplemented
        if self.grid_shape != other.grid_shape or self.series_uid != other.series_uid:
            return False
        a, b = self.tight(), other.tight()
        if a is None or b is None:
            return a is None and b is None
        return a.offset == b.offset and np.array_equal(a.array, b.array)

    def tight(self) -> "LesionMask | None":
        """The same voxels in their tightest box (None when empty)."""
        return LesionMask.from_box(self.array, self.offset, self.grid_shape, self.series_uid)

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True)
class Lesion:
    """One marked lesion. Immutable: edits replace it (through a command)."""

    id: str
    label: str
    site: Site = Site.OTHER
    laterality: Laterality = Laterality.NONE
    kind: LesionKind = LesionKind.METASTASIS
    treatable: Treatability = Treatability.NOT_ASSESSED
    notes: str = ""
    point_mm: tuple[float, float, float] | None = None
    mask: LesionMask | None = None
    #: how the click tool segmented it (None: drawn by hand or imported)
    segmentation: SegmentRecord | None = None
    #: how the site (and side) was decided: proposed by core.anatomy (from a structure or the CT)
    #: or chosen by the user; a lesion from an older case file has a user-chosen site
    site_source: SiteSource = SiteSource.USER
    #: the structure that placed it ("LIVER"), for site_source STRUCTURE
    site_structure: str = ""
    #: what the screen says about the proposal: "LIVER structure, 100% inside", "CT anatomy: lung"
    site_detail: str = ""
    #: False while the site is only proposed; the user confirms it with one key or click
    site_confirmed: bool = True
    #: the id this lesion had in the prior visit's case, when a user confirmed it as carried over from
    #: there (gui Compare with prior, docs/tracking.md); "" for a lesion first marked on this scan
    prior_id: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "site", Site.parse(self.site))
        object.__setattr__(self, "site_source", SiteSource.parse(self.site_source))
        object.__setattr__(self, "laterality", Laterality.parse(self.laterality))
        object.__setattr__(self, "kind", LesionKind.parse(self.kind))
        object.__setattr__(self, "treatable", Treatability.parse(self.treatable))
        if self.point_mm is not None:
            point = tuple(float(v) for v in self.point_mm)
            if len(point) != 3 or not all(np.isfinite(point)):
                raise ValueError(f"lesion {self.id}: point_mm must be 3 finite numbers, got {self.point_mm}")
            object.__setattr__(self, "point_mm", point)
        if self.point_mm is None and self.mask is None:
            raise ValueError(f"lesion {self.id}: needs a marker point or a mask")

    @property
    def is_point_only(self) -> bool:
        return self.mask is None

    @property
    def site_text(self) -> str:
        lat = f" ({self.laterality.value})" if self.laterality is not Laterality.NONE else ""
        return f"{self.site.value}{lat}"

    @property
    def site_proposed(self) -> bool:
        """Whether the site is a proposal the user has not confirmed yet."""
        return not self.site_confirmed

    @property
    def site_source_text(self) -> str:
        """The JSON form: "structure:LIVER", "ct-anatomy", "user" or "unknown"."""
        return site_source_text(self.site_source, self.site_structure)

    @property
    def site_decided_text(self) -> str:
        """How the site was decided, as the lesion table and the summary say it."""
        if self.site_source is SiteSource.USER:
            return "chosen by the user"
        detail = self.site_detail or self.site_source_text
        if self.site is Site.UNKNOWN:
            return f"site unknown ({detail})"
        return f"{detail}; confirmed" if self.site_confirmed else f"proposed ({detail})"

    def with_proposal(self, proposal) -> "Lesion":
        """A copy carrying ``proposal`` (a core.anatomy.SiteProposal) as its proposed site and side."""
        return replace(self, site=proposal.site, laterality=proposal.side, site_source=proposal.source,
                       site_structure=proposal.structure, site_detail=proposal.detail, site_confirmed=False)

    def with_site_confirmed(self) -> "Lesion":
        """A copy whose proposed site is confirmed by the user (the source is kept for the summary)."""
        return replace(self, site_confirmed=True)

    def with_changes(self, **changes) -> "Lesion":
        """A copy with ``changes``; a new mask marks the click tool's record as edited by hand.

        A new site or side given without a source is the user's choice (confirmed)."""
        if ({"site", "laterality"} & set(changes) and "site_source" not in changes
                and any(changes[k] != getattr(self, k) for k in ("site", "laterality") if k in changes)):
            changes.update(site_source=SiteSource.USER, site_structure="", site_detail="", site_confirmed=True)
        if (self.segmentation is not None and "segmentation" not in changes
                and "mask" in changes and changes["mask"] != self.mask):
            changes["segmentation"] = self.segmentation.marked_edited()
        return replace(self, **changes)


@dataclass(frozen=True)
class LesionEvent:
    """What changed: ``kind`` is 'added', 'removed', 'updated' or 'reset'."""

    kind: str
    lesion_id: str | None = None


class LesionSet:
    """The ordered lesions of a case. Emits ``changed(LesionEvent)`` after each edit.

    Ids are stable and never reused ("L1", "L2", ...), even after deletion. The set keeps no
    record of its edits: the case's audit trail (core.review.CaseReview follows ``changed``)
    is the one record of who changed what, when.
    """

    def __init__(self, lesions: Iterable[Lesion] = (), next_number: int | None = None) -> None:
        self._lesions: dict[str, Lesion] = {}
        self.changed = Signal()
        for lesion in lesions:
            self._lesions[lesion.id] = lesion
        numbers = [_id_number(i) for i in self._lesions]
        self._counter = itertools.count(max([next_number or 1] + [n + 1 for n in numbers]))

    # ------------------------------------------------------------- reading
    def __iter__(self) -> Iterator[Lesion]:
        return iter(list(self._lesions.values()))

    def __len__(self) -> int:
        return len(self._lesions)

    def __contains__(self, lesion_id: object) -> bool:
        return lesion_id in self._lesions

    def __getitem__(self, lesion_id: str) -> Lesion:
        try:
            return self._lesions[lesion_id]
        except KeyError:
            raise KeyError(f"no lesion with id '{lesion_id}'") from None

    def ids(self) -> list[str]:
        return list(self._lesions)

    def counts_by_site(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for lesion in self._lesions.values():
            counts[lesion.site.value] = counts.get(lesion.site.value, 0) + 1
        return counts

    def new_id(self) -> str:
        while True:
            candidate = f"L{next(self._counter)}"
            if candidate not in self._lesions:
                return candidate

    @property
    def next_number(self) -> int:
        """The number the next new id will take (kept in case files)."""
        value = next(self._counter)
        self._counter = itertools.count(value)
        return value

    # ------------------------------------------- mutation (commands only)
    def _insert(self, lesion: Lesion, position: int | None = None) -> None:
        if lesion.id in self._lesions:
            raise ValueError(f"lesion id '{lesion.id}' already in the set")
        items = list(self._lesions.items())
        position = len(items) if position is None else position
        items.insert(position, (lesion.id, lesion))
        self._lesions = dict(items)
        self.changed.emit(LesionEvent("added", lesion.id))

    def _remove(self, lesion_id: str) -> tuple[Lesion, int]:
        lesion = self[lesion_id]
        position = list(self._lesions).index(lesion_id)
        del self._lesions[lesion_id]
        self.changed.emit(LesionEvent("removed", lesion_id))
        return lesion, position

    def _replace(self, lesion: Lesion) -> Lesion:
        old = self[lesion.id]
        self._lesions[lesion.id] = lesion
        self.changed.emit(LesionEvent("updated", lesion.id))
        return old


# -------------------------------------------------------------- commands
class Command:
    """An undoable edit; ``text`` is what Edit > Undo shows."""

    text = ""

    def redo(self) -> None:
        raise NotImplementedError

    def undo(self) -> None:
        raise NotImplementedError


@dataclass
class AddLesion(Command):
    lesions: LesionSet
    lesion: Lesion

    def __post_init__(self) -> None:
        self.text = f"Add {self.lesion.label}"

    def redo(self) -> None:
        self.lesions._insert(self.lesion)

    def undo(self) -> None:
        self.lesions._remove(self.lesion.id)


@dataclass
class RemoveLesion(Command):
    lesions: LesionSet
    lesion_id: str
    _removed: Lesion | None = field(default=None, init=False)
    _position: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.text = f"Delete {self.lesions[self.lesion_id].label}"

    def redo(self) -> None:
        self._removed, self._position = self.lesions._remove(self.lesion_id)

    def undo(self) -> None:
        assert self._removed is not None
        self.lesions._insert(self._removed, self._position)


@dataclass
class UpdateLesion(Command):
    """Replace a lesion by an edited copy (relabel, new site, new mask...)."""

    lesions: LesionSet
    new: Lesion
    text_override: str = ""
    _old: Lesion | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self._old = self.lesions[self.new.id]
        self.text = self.text_override or f"Edit {self.new.label}"

    def redo(self) -> None:
        self.lesions._replace(self.new)

    def undo(self) -> None:
        assert self._old is not None
        self.lesions._replace(self._old)


class UndoStack:
    """A plain undo stack for headless use (the gui uses QUndoStack)."""

    def __init__(self) -> None:
        self._done: list[Command] = []
        self._undone: list[Command] = []

    def push(self, command: Command) -> None:
        command.redo()
        self._done.append(command)
        self._undone.clear()

    def undo(self) -> bool:
        if not self._done:
            return False
        command = self._done.pop()
        command.undo()
        self._undone.append(command)
        return True

    def redo(self) -> bool:
        if not self._undone:
            return False
        command = self._undone.pop()
        command.redo()
        self._done.append(command)
        return True

    @property
    def can_undo(self) -> bool:
        return bool(self._done)

    @property
    def can_redo(self) -> bool:
        return bool(self._undone)


# --------------------------------------------------------------- helpers
def _bbox(full: np.ndarray) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    lo, hi = [], []
    for axis in range(3):
        other = tuple(a for a in range(3) if a != axis)
        hits = np.nonzero(full.any(axis=other))[0]
        lo.append(int(hits[0]))
        hi.append(int(hits[-1]) + 1)
    return tuple(lo), tuple(hi)  # type: ignore[return-value]


def _id_number(lesion_id: str) -> int:
    try:
        return int(lesion_id.lstrip("L"))
    except ValueError:
        return 0


def _describe_change(old: Lesion, new: Lesion) -> str:
    parts = []
    for name in ("label", "site", "laterality", "kind", "treatable", "notes", "point_mm"):
        a, b = getattr(old, name), getattr(new, name)
        if a != b:
            show = lambda v: v.value if hasattr(v, "value") else v  # noqa: E731
            parts.append(f"{name} {show(a)!r} -> {show(b)!r}")
    if old.mask != new.mask:
        parts.append("contour changed")
    if old.site_confirmed != new.site_confirmed or old.site_source != new.site_source:
        parts.append(f"site {new.site_decided_text}")
    return "; ".join(parts) or "no change"
