"""`make run` and the terminals beside it talk to the same emulator: run writes its QBO settings
to one env file, which `make shell` (or `source var/run.env`) reads, and run prints the exact
command to export against it. Cheap: make is asked what it would do, and nothing is started."""

import os
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PORTS = ["HOST=127.0.0.2", "PORT=9001", "EMULATOR_PORT=9002"]


def make(*args: str) -> str:
    done = subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def test_shell_and_run_share_the_qbo_settings_of_one_env_file(tmp_path):
    run_env = tmp_path / "run.env"
    make("-s", "env", f"RUN_ENV={run_env}", *PORTS)
    assert run_env.read_text().splitlines() == [
        "export QBO_REDIRECT_URI=http://127.0.0.2:9001/settings/integrations/quickbooks/callback",
        "export QBO_EMULATOR_URL=http://127.0.0.2:9002",
        # The mail catcher `make run` starts, where Billbridge's mail goes.
        "export EMAIL_HOST=127.0.0.2",
        "export EMAIL_PORT=1025",
    ]

    # `run` writes that file first, starts everything from it, and prints the command.
    run = make("-n", "run", f"RUN_ENV={run_env}", *PORTS)
    assert run.index("QBO_EMULATOR_URL=http://127.0.0.2:9002") < run.index("-m qbo_emulator")
    assert f"source {run_env};" in run
    assert "--redirect-uri $QBO_REDIRECT_URI" in run
    assert "-m mail_catcher --host 127.0.0.2 --smtp-port 1025" in run
    assert run.count("export QBO_") == 0  # no second definition beside the file
    command = (
        f"source {run_env} && .venv/bin/python manage.py export_invoices --user manager "
        "--all-finalized"
    )
    assert command in run

    # `shell` reads the file run wrote (it never rewrites it with its own defaults).
    shell = make("-n", "shell", f"RUN_ENV={run_env}")
    assert f". {run_env}" in shell
    assert "QBO_EMULATOR_URL=" not in shell

    # And that file gives Django the very settings the servers run with.
    env = {key: value for key, value in os.environ.items() if not key.startswith("QBO_")}
    probe = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.QBO_API_URL); print(settings.QBO_REDIRECT_URI)"
    )
    done = subprocess.run(
        [
            "bash",
            "-c",
            f"source {shlex.quote(str(run_env))} && {sys.executable} -c {shlex.quote(probe)}",
        ],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "billbridge.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.splitlines() == [
        "http://127.0.0.2:9002/v3",
        "http://127.0.0.2:9001/settings/integrations/quickbooks/callback",
    ]
