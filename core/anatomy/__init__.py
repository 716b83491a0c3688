"""Where a lesion is: its organ (site) and side, proposed for the user to confirm.

One public function, :func:`propose_site`: a lesion mask on a volume (or a
centre in LPS mm), the case's structures and the CT in; a
:class:`SiteProposal` (site, side, source, the text the screen shows) out.
Organ structures place a lesion first (``core.anatomy.structure_names`` maps
their names to sites); otherwise the CT's coarse anatomy
(``core.anatomy.ct_anatomy``, computed once per volume and cached); on a PET
without a CT only the side is proposed. Nothing here confirms anything: the
caller stores the proposal as proposed.
"""

from core.anatomy.propose import SiteProposal, propose_site

__all__ = ["SiteProposal", "propose_site"]
