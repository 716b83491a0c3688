"""The SBRT candidacy summary: one document (:mod:`core.summary.document`)
written as PDF (matplotlib), JSON and CSV."""
