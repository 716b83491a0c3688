"""The oligometastatic rule engine: rule sets as data, counting, case facts,
the ESTRO-EORTC classification, organ-at-risk flags and the evaluation.

Pure Python (no Qt). See docs/rules.md for the rule-set file format.
"""
