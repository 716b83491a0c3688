"""Comparing the current scan with the prior one: lesions carried over, statuses, derived facts."""
