"""Staff batch screening: several application files at once, one row each.

Uploaded applications name their hours log and narratives by path; in an upload those files arrive
side by side, so each named file is looked up by its base name among the uploaded files and must stay
inside the upload folder (an application cannot make certprep read anything else on the machine).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from pydantic import BaseModel, Field

from app.config import Settings
from app.eligibility.application import ApplicationError, ApplicationFile, load_application
from app.eligibility.check import ApplicationCheck, check_application
from app.storage.uploads import new_upload_folder, safe_name, save_upload

APPLICATION_SUFFIXES = (".yaml", ".yml")


class ScreeningRow(BaseModel):
    file: str
    applicant: str | None = None
    program: str | None = None
    eligible: bool | None = Field(default=None, description="None when the file could not be checked.")
    unmet: list[str] = Field(default_factory=list, description="`id: detail` of each unmet requirement.")
    uncertain: list[str] = Field(default_factory=list, description="Verdicts resting on uncertain rules, by title.")
    problems: list[str] = Field(default_factory=list, description="Why the file could not be checked.")
    check: ApplicationCheck | None = None

    def cells(self) -> list:
        verdict = "cannot check" if self.eligible is None else ("eligible" if self.eligible else "not eligible")
        return [
            self.file,
            self.applicant or "",
            self.program or "",
            verdict,
            "; ".join(self.unmet),
            ", ".join(self.uncertain),
            "; ".join(self.problems),
        ]


SCREENING_HEADER = ["file", "applicant", "program", "verdict", "unmet requirements", "uncertain rules", "problems"]


def _place_referenced(folder: Path, app_path: Path, application: ApplicationFile) -> list[str]:
    """Copy each file the application names to where the application expects it; report what is absent."""
    named = ([application.hours_log] if application.hours_log else []) + [p.narrative for p in application.projects]
    problems = []
    for relative in named:
        target = (app_path.parent / relative).resolve()
        if not target.is_relative_to(folder):
            problems.append(f"{app_path.name}: {relative!r} points outside the uploaded files")
            continue
        uploaded = folder / safe_name(Path(relative).name)
        if target.exists():
            continue
        if not uploaded.is_file():
            problems.append(f"{app_path.name}: names {relative!r}, which was not uploaded with it")
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(uploaded, target)
    return problems


def screen(settings: Settings, files: dict[str, bytes]) -> list[ScreeningRow]:
    """``files``: uploaded name -> content; the applications (.yaml) plus the files they name."""
    folder = new_upload_folder(settings.uploads_dir, "screening").resolve()
    for name, data in files.items():
        save_upload(folder, name, data)
    rows = []
    for name in sorted(files):
        if not name.lower().endswith(APPLICATION_SUFFIXES):
            continue
        path = folder / safe_name(name)
        row = ScreeningRow(file=safe_name(name))
        try:
            application = load_application(path)
            # who and which program are known even when a named file is missing: staff see whose row it is
            row.applicant, row.program = application.applicant, application.program
            problems = _place_referenced(folder, path, application)
            if problems:
                raise ApplicationError(problems)
            result = check_application(settings, path)
        except ApplicationError as exc:
            row.problems = [p.replace(str(folder) + "/", "") for p in exc.problems]
            rows.append(row)
            continue
        row.applicant = result.applicant
        row.program = result.program
        row.eligible = result.eligible
        row.unmet = [f"{r.title}: {r.detail}" for r in result.fix_first()]
        row.uncertain = [r.title for r in result.requirements if r.uncertain]
        row.check = result
        rows.append(row)
    return rows
