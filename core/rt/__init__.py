"""DICOM-RT in and out: structure sets to masks, RTSTRUCT and SR export, de-identification."""
