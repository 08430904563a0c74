"""Titles for pasted narratives: the heading, else the first words; never a duplicate."""

from app.documents.titles import title_from_text


def test_the_first_heading_names_the_project():
    assert title_from_text("# Cutting waste in a food factory\n\nI led…") == "Cutting waste in a food factory"


def test_a_long_first_paragraph_gives_its_first_words():
    text = "In 2023 the regional call centre asked me to find out why first-call resolution had dropped so far."
    title = title_from_text(text)
    assert title.endswith("…") and len(title) <= 60 and title.startswith("In 2023 the regional call centre")


def test_titles_are_unique_and_never_empty():
    assert title_from_text("Onboarding", {"Onboarding", "Onboarding (2)"}) == "Onboarding (3)"
    assert title_from_text("   \n\n") == "Untitled project"
