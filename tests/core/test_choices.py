"""Coded values parse through core.choices.parse_choice: the words users type are accepted,
and a wrong word gets a message naming it and every valid choice, in the caller's error type."""

from __future__ import annotations

import pytest

from core.audit import AuditAction
from core.codes import LesionKind, Laterality, Site
from core.errors import PacsConfigError, ReviewError
from core.pacs.query import QueryLevel
from core.review import Role
from core.rt.structures import StructureKind


@pytest.mark.parametrize("cls, typed, expected", [
    (Site, " Regional_Lymph_Node ", Site.REGIONAL_LYMPH_NODE),
    (Site, "DISTANT LYMPH NODE", Site.DISTANT_LYMPH_NODE),
    (Laterality, None, Laterality.NONE),
    (Laterality, "none", Laterality.NONE),
    (Laterality, "Left", Laterality.LEFT),
    (LesionKind, "METASTASIS", LesionKind.METASTASIS),
    (Role, "medical_physicist", Role.MEDICAL_PHYSICIST),
    (QueryLevel, "SERIES", QueryLevel.SERIES),
    (StructureKind, "ORGAN_AT_RISK", StructureKind.ORGAN_AT_RISK),
    (AuditAction, AuditAction.REOPENED, AuditAction.REOPENED),
])
def test_the_words_users_type_are_accepted(cls, typed, expected):
    assert cls.parse(typed) is expected


@pytest.mark.parametrize("cls, bad, error, message", [
    (Site, "spleen", ValueError, "unknown site 'spleen'; expected one of lung, liver, bone, brain, adrenal, "
                                 "regional lymph node, distant lymph node, peritoneum, soft tissue, other"),
    (Laterality, "up", ValueError, "unknown laterality 'up'; expected one of '' (none), left, right, bilateral"),
    (LesionKind, "node", ValueError, "unknown lesion kind 'node'; expected one of primary, metastasis"),
    (Role, "nurse", ReviewError,
     "unknown role 'nurse'; expected one of medical physicist, radiation oncologist, trainee, other"),
    (QueryLevel, "instance", PacsConfigError,
     "query level 'instance' is unknown; expected one of patient, study, series, image"),
    (StructureKind, "ptv", ValueError,
     "unknown structure kind 'ptv'; expected one of target, organ at risk, external, other"),
    # the audit trail is written by us: only the exact value is read back
    (AuditAction, "LESION_ADDED", ValueError, "unknown audit action 'LESION_ADDED'; expected one of lesion_added,"),
])
def test_a_wrong_word_is_named_with_every_choice(cls, bad, error, message):
    with pytest.raises(error) as info:
        cls.parse(bad)
    assert str(info.value).startswith(message)
