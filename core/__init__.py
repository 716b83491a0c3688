"""OligoPlan core: pure Python (numpy, scipy, pydicom). Never imports Qt or gui."""

__version__ = "0.1.0"
