"""A lesion as the case file holds it (docs/case-file.md, ``lesions[]``): written by
:func:`lesion_to_json`, read back by :func:`lesion_from_json`.

The case file (core.case) writes and reads lesions in this form, and the sign-off digest
(core.review.content_digest) is made of it, so a hand edit of a lesion in the file shows.
"""

from __future__ import annotations

from core.codes import Site, SiteSource, Treatability
from core.errors import CaseFileError
from core.lesions import Lesion, LesionMask
from core.mask_json import decode_runs, mask_to_json
from core.segment_record import SegmentRecord


def lesion_to_json(lesion: Lesion) -> dict:
    code = lesion.site.code
    # how the site was decided; a site the user chose writes nothing, as files did before proposals
    # existed (so their sign-offs' content digests, made from this form, still hold)
    decided = {} if lesion.site_source is SiteSource.USER and lesion.site_confirmed and not lesion.site_detail \
        else {"site_source": lesion.site_source_text, "site_detail": lesion.site_detail,
              "site_confirmed": lesion.site_confirmed}
    return {
        "id": lesion.id,
        "label": lesion.label,
        "site": lesion.site.value,
        "site_code": {"value": code.value, "scheme": code.scheme, "meaning": code.meaning},
        "laterality": lesion.laterality.value,
        **decided,
        "kind": lesion.kind.value,
        "treatable": lesion.treatable.value,
        "notes": lesion.notes,
        "point_mm": list(lesion.point_mm) if lesion.point_mm is not None else None,
        "mask": mask_to_json(lesion.mask) if lesion.mask is not None else None,
        "segmentation": lesion.segmentation.to_json() if lesion.segmentation is not None else None,
        # written only when set: files (and their sign-offs' content digests) stay as they were otherwise
        **({"prior_id": lesion.prior_id} if lesion.prior_id else {}),
    }


def treatability_from_json(value) -> Treatability:
    """A lesion's ``treatable`` as a case file holds it.

    Since schema 3 it is "yes", "no" or "not assessed". Files written before (schema 1 and 2)
    hold ``true`` for every lesion nobody touched: that was only the default, so it reads as
    not assessed; ``false`` was a user's choice and stays no.
    """
    if value is None or value is True:
        return Treatability.NOT_ASSESSED
    if value is False:
        return Treatability.NO
    if not isinstance(value, str):
        raise ValueError(f"treatable {value!r} is not yes, no or not assessed")
    return Treatability.parse(value)


def lesion_from_json(item, where: str) -> Lesion:
    if not isinstance(item, dict):
        raise CaseFileError(f"{where}: expected an object, found {type(item).__name__}")
    try:
        site = Site.parse(item.get("site", "other"))
    except ValueError as exc:
        raise CaseFileError(f"{where}: {exc}") from None
    mask = None
    if item.get("mask") is not None:
        m = item["mask"]
        try:
            array = decode_runs(m["rle"], tuple(int(v) for v in m["shape"]))
            mask = LesionMask(tuple(m["offset"]), array, tuple(m["grid_shape"]), str(m["series_uid"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise CaseFileError(f"{where}.mask: {exc}") from exc
    segmentation = None
    if item.get("segmentation") is not None:
        try:
            segmentation = SegmentRecord.from_json(item["segmentation"])
        except (TypeError, ValueError) as exc:
            raise CaseFileError(f"{where}.segmentation: {exc}") from None
    try:
        return Lesion(
            id=str(item["id"]),
            label=str(item.get("label", item["id"])),
            site=site,
            laterality=item.get("laterality", "") or "",
            **site_source_from_json(item),
            kind=item.get("kind", "metastasis"),
            treatable=treatability_from_json(item.get("treatable")),
            notes=str(item.get("notes", "")),
            point_mm=item.get("point_mm"),
            mask=mask,
            segmentation=segmentation,
            prior_id=str(item.get("prior_id") or ""),
        )
    except KeyError as exc:
        raise CaseFileError(f"{where}: missing field {exc}") from None
    except (ValueError, TypeError) as exc:
        raise CaseFileError(f"{where}: {exc}") from None


def site_source_from_json(item: dict) -> dict:
    """site_source ("structure:LIVER", "ct-anatomy", "user", "unknown"), its detail and whether it is
    confirmed; a lesion from a file written before proposals existed has a user-chosen site."""
    text = str(item.get("site_source") or "user")
    structure = text.split(":", 1)[1] if text.startswith("structure:") else ""
    return {"site_source": text, "site_structure": structure, "site_detail": str(item.get("site_detail") or ""),
            "site_confirmed": bool(item.get("site_confirmed", True))}
