"""Practice: a trainee's lesions scored against a reference (`oligoplan score`, the window's Practice menu).

* sides: read the two sides (case file, RTSTRUCT or SEG) and score them with the rule sets
* scoring: match the lesions and compute the figures (Dice, HD95, sensitivity, ...)
* styles: how each role (reference, trainee, missed, extra) is drawn, in the window and the PDF
* report: the scorecard as rows, CSV and PDF
"""
