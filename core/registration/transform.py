"""A rigid (or affine) map from the prior scan's patient coordinates to the current scan's.

Both sides are LPS mm in their own frame of reference. The map is the 4x4
homogeneous matrix ``M`` with ``current = M @ [prior, 1]``. Every series of the
prior study sharing the prior CT's frame of reference (its PET) follows the
same map: it is a map between patient coordinates, not between grids.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PriorToCurrent:
    """``matrix`` (4x4) maps prior LPS mm to current LPS mm."""

    matrix: np.ndarray
    kind: str = "rigid"  # "identity", "rigid", "affine"

    def __post_init__(self) -> None:
        m = np.asarray(self.matrix, dtype=np.float64)
        if m.shape != (4, 4) or not np.all(np.isfinite(m)):
            raise ValueError(f"transform matrix must be 4x4 finite numbers; got shape {m.shape}")
        m = m.copy()
        m.setflags(write=False)
        object.__setattr__(self, "matrix", m)

    @classmethod
    def identity(cls) -> "PriorToCurrent":
        return cls(np.eye(4), "identity")

    @classmethod
    def from_rotation_translation(cls, rotation: np.ndarray, translation_mm, kind: str = "rigid") -> "PriorToCurrent":
        m = np.eye(4)
        m[:3, :3] = rotation
        m[:3, 3] = np.asarray(translation_mm, dtype=np.float64)
        return cls(m, kind)

    def apply(self, points_mm) -> np.ndarray:
        """Map (3,) or (n, 3) prior points (LPS mm) to the current scan."""
        p = np.asarray(points_mm, dtype=np.float64)
        return p @ self.matrix[:3, :3].T + self.matrix[:3, 3]

    def inverse(self) -> "PriorToCurrent":
        return PriorToCurrent(np.linalg.inv(self.matrix), self.kind)

    def compose(self, then: "PriorToCurrent") -> "PriorToCurrent":
        """This map followed by ``then``."""
        return PriorToCurrent(then.matrix @ self.matrix, "affine" if "affine" in (self.kind, then.kind) else "rigid")

    @property
    def translation_mm(self) -> np.ndarray:
        return self.matrix[:3, 3].copy()

    @property
    def rotation_deg(self) -> float:
        """Angle of the rotation part (degrees; of its closest rotation for an affine map)."""
        u, _, vt = np.linalg.svd(self.matrix[:3, :3])
        r = u @ vt
        return float(np.degrees(np.arccos(np.clip((np.trace(r) - 1.0) / 2.0, -1.0, 1.0))))

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "matrix": [[round(float(v), 6) for v in row] for row in self.matrix],
            "translation_mm": [round(float(v), 2) for v in self.matrix[:3, 3]],
            "rotation_deg": round(self.rotation_deg, 3),
        }


def rotation_matrix(angles_deg) -> np.ndarray:
    """Rotation about x, then y, then z (degrees), as a 3x3 matrix."""
    ax, ay, az = np.radians(np.asarray(angles_deg, dtype=np.float64))
    rx = np.array([[1, 0, 0], [0, np.cos(ax), -np.sin(ax)], [0, np.sin(ax), np.cos(ax)]])
    ry = np.array([[np.cos(ay), 0, np.sin(ay)], [0, 1, 0], [-np.sin(ay), 0, np.cos(ay)]])
    rz = np.array([[np.cos(az), -np.sin(az), 0], [np.sin(az), np.cos(az), 0], [0, 0, 1]])
    return rz @ ry @ rx


def residual_mm(estimate: PriorToCurrent, truth: PriorToCurrent, points_mm) -> tuple[float, float]:
    """(mean, max) distance between where ``estimate`` and ``truth`` put ``points_mm``."""
    d = np.linalg.norm(estimate.apply(points_mm) - truth.apply(points_mm), axis=-1)
    return float(d.mean()), float(d.max())
