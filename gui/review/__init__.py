"""Review (sign-off, audit history, lesion map) and practice mode in the main window."""
