"""The hospital PACS in the GUI: query/retrieve dialog, node settings, send."""
