"""The window's practice mode: the controller (Practice menu, reference overlay, scoring) and the scorecard panel."""
