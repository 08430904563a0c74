"""Evaluation: labelled data, the code that scores certprep against it, and committed results."""
