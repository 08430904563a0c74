"""Who did the work, and was it done: the sentence signals the sentence engine sets plans and other people's
work aside with."""

from __future__ import annotations

import pytest

from app.mapping.signals import own_work, sentence_signals


@pytest.mark.parametrize(
    "sentence",
    [
        "We will evaluate the new rota in March.",
        "Next year I intend to measure retention against the baseline.",
        "The plan is to pilot the checklist on two wards; the pilot is scheduled for June.",
        "A follow-up audit has not yet been done.",
        "We're going to survey the drivers after the peak.",
    ],
)
def test_plans_and_intentions_are_planned(sentence):
    assert sentence_signals(sentence).planned


@pytest.mark.parametrize(
    "sentence",
    [
        "We agreed the figures would be checked in June.",  # a plan agreed in the past is reported work
        "I interviewed twelve nurses and pulled eighteen months of incident reports.",
        "Six months later we compared the defect reports with the baseline.",
    ],
)
def test_reported_work_is_not_planned(sentence):
    assert not sentence_signals(sentence).planned


def test_someone_elses_work_in_a_first_person_text_is_not_the_authors():
    text = [
        "I joined the project in its second month.",
        "The consultant analysed the call logs and told us the cause was the new script.",
        "HR had already run an engagement survey.",
        "I attended the pilot sessions my manager ran.",
        "Corporate's six-month evaluation showed upgrade revenue up 6.2%.",
        "I rewrote the script with two team leads and tested it on one shift.",
        "Our team's analysis showed a 20% gap between the two sites.",
    ]
    assert own_work(text) == [True, False, False, False, False, True, True]


def test_in_a_third_person_case_summary_the_team_described_is_the_actor():
    text = [
        "The learning team at a regional utility was asked to retrain 140 billing agents.",
        "The team pulled six months of call codes and listened to 200 recorded calls.",
        "The consultant then interviewed eight supervisors about the estimated-read bills.",
    ]
    assert own_work(text) == [True, True, True]
