"""highdicom warns about a single-component Patient's Name by quoting it ('The string "STS_001" is
unlikely to represent the intended person name ...'): on the console of every SEG and SR export of
tcia-sts-001, anonymised ones too. No patient name goes to the console or a log: that warning is
left out while OligoPlan builds a DICOM object with highdicom (the name is copied as it is, which
is what the warning is about, and what an export should do)."""

from __future__ import annotations

import warnings
from contextlib import contextmanager

#: the text of highdicom's warning (highdicom.base.check_person_name), the name in it
PERSON_NAME_WARNING = r'The string ".*" is unlikely to represent the intended person name'


@contextmanager
def no_names_in_warnings():
    """Build highdicom objects inside this: the person-name warning is not shown."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=PERSON_NAME_WARNING, category=UserWarning)
        yield
