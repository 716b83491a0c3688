"""Registration of a prior scan to the current one (docs/tracking.md)."""

from core.registration.rigid import RegistrationError, RegistrationParams, RegistrationResult, register_ct
from core.registration.transform import PriorToCurrent, residual_mm, rotation_matrix

__all__ = ["PriorToCurrent", "RegistrationError", "RegistrationParams", "RegistrationResult", "register_ct",
           "residual_mm", "rotation_matrix"]
