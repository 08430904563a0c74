"""The shipped mapping model is exactly what `certprep train mapping` builds from the data in the repo."""

from __future__ import annotations

import pytest

from app.config import Settings
from app.mapping.classifier import MODEL_PATH
from evaluation.train_mapping import train
from tests.conftest import SHIPPED_KNOWLEDGE

pytestmark = pytest.mark.slow


def test_training_reproduces_the_shipped_model(tmp_path):
    out = tmp_path / "model.json"
    report = train(Settings(knowledge_dir=SHIPPED_KNOWLEDGE), out=out)
    assert out.read_text() == MODEL_PATH.read_text()
    assert 0 < report["cv_macro_f1"] < 1
