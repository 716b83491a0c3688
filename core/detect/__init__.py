"""PET hot-spot candidates (issue 13): find, measure and sort hot spots; see finder.py."""

from core.detect.finder import (  # noqa: F401
    DetectParams, Detection, DetectionError, Found, Reference, Suppressed, detect_candidates,
)
from core.detect.sul import PatientBody, normalisation, patient_body_from_header  # noqa: F401
