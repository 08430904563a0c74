"""Reviewer verdicts: a mentor's or staff member's final word on each standard of a checked draft, how far
reviewers agree with the engine, and the verdicts as labelled data for training."""

from app.reviews.agreement import AgreementReport, StandardAgreement, agreement, cohen_kappa
from app.reviews.verdicts import StandardReview, draft_reviews

__all__ = ["AgreementReport", "StandardAgreement", "StandardReview", "agreement", "cohen_kappa", "draft_reviews"]
