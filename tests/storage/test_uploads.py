"""Uploaded file names cannot leave the upload folder."""

from __future__ import annotations

import pytest

from app.storage.uploads import new_upload_folder, safe_name, save_upload


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system.ini", "system.ini"),
        ("/abs/path/app.yaml", "app.yaml"),
        ("..", "upload"),
        (".bashrc", "bashrc"),
        ("résumé <1>.md", "r_sum_ _1_.md"),
        ("", "upload"),
    ],
)
def test_safe_name(name, expected):
    assert safe_name(name) == expected


def test_uploads_land_inside_their_folder(tmp_path):
    folder = new_upload_folder(tmp_path / "uploads", "../screening")
    assert folder.parent == tmp_path / "uploads"
    for name in ["../../escape.txt", "/tmp/escape.txt", "a/../../b.txt"]:
        target = save_upload(folder, name, b"x")
        assert target.parent == folder.resolve()
    assert not (tmp_path / "escape.txt").exists()
    assert len(safe_name("a" * 300 + ".md")) == 120 and safe_name("a" * 300 + ".md").endswith(".md")
