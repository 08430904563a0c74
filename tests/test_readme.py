"""The README's configuration table documents every setting."""

from app.config import REPO_ROOT, Settings


def test_every_setting_is_in_the_readme_table():
    readme = (REPO_ROOT / "README.md").read_text()
    for name in Settings.model_fields:
        assert f"| `{name}` | `CERTPREP_{name.upper()}` |" in readme, name
