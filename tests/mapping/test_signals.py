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


def test_someone_else_as_the_subject_is_not_the_author_but_their_review_of_it_is():
    text = [
        "I led the redesign of the onboarding programme for 60 new hires.",
        "A year later, two analysts from the regional office rebuilt the attrition model.",
        "The board members then redesigned the approval workflow without us.",
        "Three researchers from the university spent a month interviewing the drivers.",
        "Two senior consultants reviewed my draft and agreed with the cause I had found.",
        "The auditors checked the figures I had collected.",
        "I designed the job aid and tested it with four clerks.",
        "The vendor's developers asked me to simplify the screens.",
        "I then measured error rates for six weeks against the baseline.",
        "Thirty course coordinators tested the new platform for two weeks beforehand.",
        "A year later the same board member repeated the survey and reported the results.",
    ]
    assert own_work(text) == [True, False, False, False, True, True, True, True, True, False, False]


def test_a_third_person_text_that_names_the_applicant_sets_other_peoples_work_aside():
    text = [
        "The applicant's department commissioned a consultancy in 2021.",
        "The consultants examined the department's dealings with contractors and found the cause.",
        "They also modelled how five-year funding would change the picture.",
        "The applicant rebuilt the induction course around the consultants' findings.",
    ]
    assert own_work(text) == [True, False, False, True]


def test_in_a_third_person_case_summary_the_team_described_is_the_actor():
    text = [
        "The learning team at a regional utility was asked to retrain 140 billing agents.",
        "The team pulled six months of call codes and listened to 200 recorded calls.",
        "The consultant then interviewed eight supervisors about the estimated-read bills.",
    ]
    assert own_work(text) == [True, True, True]
