"""Compare with prior (issue 17): the prior study beside the current one, registered and linked."""
