"""``certprep reviews agreement|export`` act for one signed-in user through the store's rules."""

from __future__ import annotations

import json

import pytest
import yaml

from app.accounts import Principal
from tests.reviews.test_verdicts import analysis, world  # noqa: F401  (fixtures)
from tests.test_cli_accounts import PASSWORD, run  # noqa: F401  (fixture)

pytestmark = pytest.mark.slow


def test_staff_read_agreement_and_export_consented_verdicts_from_the_command_line(run, world, tmp_path):  # noqa: F811
    for name in ("ann", "ben", "mia", "sid"):  # the world's accounts, with the CLI's password
        world["accounts"].reset_password(Principal.operator(), name, PASSWORD)
    d, engine = world["draft"].id, world["engine"]
    world["mia"].set_verdict(d, 1, "S8", engine["S8"])
    world["mia"].set_verdict(d, 1, "S4", "missing", reason="" if engine["S4"] == "missing" else "no partners")
    org = {"CERTPREP_MODE": "organization"}
    login = ("--password-stdin",)

    agreement = run("reviews", "agreement", "--json", "--user", "sid", *login, stdin=PASSWORD + "\n", **org)
    assert agreement.returncode == 0, agreement.stderr
    report = json.loads(agreement.stdout)
    assert (report["overall"]["n"], report["drafts"]) == (2, 1)
    ben = run("reviews", "agreement", "--json", "--user", "ben", *login, stdin=PASSWORD + "\n", **org)
    assert json.loads(ben.stdout)["overall"]["n"] == 0  # another candidate's workspace is not his to count

    out = tmp_path / "reviews.yaml"
    refused = run("reviews", "export", "--out", str(out), "--user", "mia", *login, stdin=PASSWORD + "\n", **org)
    assert refused.returncode == 2 and "staff" in refused.stderr and not out.exists()
    world["ann"].allow_training(world["ws"].id, True)
    done = run("reviews", "export", "--out", str(out), "--user", "sid", *login, stdin=PASSWORD + "\n", **org)
    assert done.returncode == 0, done.stderr
    assert "wrote 1 reviewed draft(s) (2 verdicts, 1 workspace(s))" in done.stdout
    [item] = yaml.safe_load(out.read_text())
    assert item["judged"] == ["S4", "S8"] and "Whitfield" not in item["text"]
