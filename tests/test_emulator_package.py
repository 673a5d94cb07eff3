"""The QBO emulator as a distribution of its own (qbo_emulator/pyproject.toml): its wheel, and
`pip install ./qbo_emulator` into an empty virtual environment, give a `qbo-emulator` command
that serves the sample company, with no Django installed beside it.

Dependencies come from PyPI pinned to uv.lock's versions (through `uv export`), so the fresh
environments hold what Billbridge's does.
"""

import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

import qbo_emulator
from mail_catcher.smtp import free_port
from qbo_emulator.config import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REDIRECT_URI

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "qbo_emulator"
UV = ROOT / ".tools" / "bin" / "uv"
# Files of the folder that are the project's, not the package's.
NOT_SHIPPED = {"pyproject.toml", "README.md", "COVERAGE.md"}


def run(*argv, **kwargs) -> subprocess.CompletedProcess:
    # Without this test run's PYTHONPATH: a fresh environment imports only what it installed.
    env = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    env.update(UV_PYTHON_DOWNLOADS="never", PIP_DISABLE_PIP_VERSION_CHECK="1")
    done = subprocess.run(
        [str(arg) for arg in argv], capture_output=True, text=True, timeout=180, env=env, **kwargs
    )
    assert done.returncode == 0, f"{argv}: {done.stdout[-2000:]}{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("emulator-package")


@pytest.fixture(scope="module")
def constraints(workdir) -> Path:
    """The lock's versions of the emulator's dependencies, as a pip constraints file."""
    path = workdir / "constraints.txt"
    run(UV, "export", "--frozen", "--package", "qbo-emulator", "--no-emit-project",
        "--no-dev", "--no-hashes", "--quiet", "-o", path, cwd=ROOT)  # fmt: skip
    return path


@pytest.fixture(scope="module")
def wheel(workdir) -> Path:
    run(UV, "build", "--wheel", "--python", sys.executable, "--quiet", "-o", workdir / "dist",
        PACKAGE, cwd=workdir)  # fmt: skip
    (built,) = (workdir / "dist").glob("*.whl")
    return built


def installed_names(bin_dir: Path) -> set[str]:
    listing = run(
        bin_dir / "python",
        "-I",  # isolated: the working folder is not on sys.path
        "-c",
        "import importlib.metadata as m; print(*(d.metadata['Name'] for d in m.distributions()))",
    )
    return {name.lower() for name in listing.stdout.split()}


@pytest.fixture(scope="module")
def from_wheel(workdir, wheel, constraints) -> Path:
    venv = workdir / "wheel-venv"
    run(UV, "venv", "--quiet", "--python", sys.executable, venv)
    bin_dir = venv / "bin"
    run(UV, "pip", "install", "--quiet", "--python", bin_dir / "python", "-c", constraints, wheel)
    return bin_dir


def test_the_wheel_holds_every_file_of_the_package_but_its_tests(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        dist_info = f"qbo_emulator-{qbo_emulator.__version__}.dist-info"
        entry_points = archive.read(f"{dist_info}/entry_points.txt").decode()
        metadata = archive.read(f"{dist_info}/METADATA").decode()
    in_folder = {
        f"qbo_emulator/{path.relative_to(PACKAGE).as_posix()}"
        for path in PACKAGE.rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and path.relative_to(PACKAGE).parts[0] != "tests"
        and path.name not in NOT_SHIPPED
    }
    assert {"qbo_emulator/__main__.py", "qbo_emulator/entities/invoice.py"} <= in_folder
    assert {name for name in names if not name.startswith("qbo_emulator-")} == in_folder
    assert "qbo-emulator = qbo_emulator.__main__:main" in entry_points
    requirements = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    assert requirements and not [line for line in requirements if "django" in line.lower()]


def test_the_command_of_the_wheel_answers_help_and_version(from_wheel, workdir):
    assert "django" not in installed_names(from_wheel)
    imported = run(
        from_wheel / "python",
        "-I",
        "-c",
        "import qbo_emulator; print(qbo_emulator.__file__)",
    )
    assert imported.stdout.startswith(str(workdir / "wheel-venv" / "lib"))
    assert run(from_wheel / "qbo-emulator", "--help").stdout.startswith("usage: qbo-emulator")
    version = run(from_wheel / "qbo-emulator", "--version").stdout.strip()
    assert version == f"qbo-emulator {qbo_emulator.__version__}"


def test_the_command_serves_the_sample_company_to_a_connected_app(from_wheel, workdir):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [from_wheel / "qbo-emulator", "--port", str(port), "--seed", "sample"],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        discovery = wait_for(f"{base}/.well-known/openid_sandbox_configuration", server).json()
        consent = httpx.get(
            discovery["authorization_endpoint"],
            params={
                "client_id": DEMO_CLIENT_ID,
                "redirect_uri": DEMO_REDIRECT_URI,
                "response_type": "code",
                "scope": "com.intuit.quickbooks.accounting",
                "state": "s1",
                "emulator_auto": "1",
            },
        )
        assert consent.status_code == 302
        callback = parse_qs(urlsplit(consent.headers["location"]).query)
        assert callback["state"] == ["s1"]
        (realm,) = callback["realmId"]
        tokens = httpx.post(
            discovery["token_endpoint"],
            auth=(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET),
            data={
                "grant_type": "authorization_code",
                "code": callback["code"][0],
                "redirect_uri": DEMO_REDIRECT_URI,
            },
        ).json()
        answer = httpx.get(
            f"{base}/v3/company/{realm}/query",
            params={"query": "select * from Customer maxresults 3", "minorversion": "75"},
            headers={
                "Authorization": f"Bearer {tokens['access_token']}",
                "Accept": "application/json",
            },
        )
        assert answer.status_code == 200, answer.text
        customers = answer.json()["QueryResponse"]["Customer"]
        assert len(customers) == 3 and all(customer["DisplayName"] for customer in customers)
    finally:
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=20)
    assert server.returncode == 0, output
    assert f"QuickBooks Online emulator on {base}" in output


def wait_for(url: str, server: subprocess.Popen) -> httpx.Response:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and server.poll() is None:
        try:
            return httpx.get(url, timeout=1).raise_for_status()
        except httpx.TransportError:
            time.sleep(0.1)
    server.kill()
    pytest.fail(f"qbo-emulator did not start: {server.communicate()[0]}")


def test_pip_installs_the_folder_into_an_empty_environment(workdir, constraints):
    venv = workdir / "pip-venv"
    # With pip in it, as `python -m venv` makes one, but without ensurepip's seconds.
    run(UV, "venv", "--seed", "--quiet", "--python", sys.executable, venv)
    bin_dir = venv / "bin"
    run(bin_dir / "pip", "install", "--quiet", "-c", constraints, PACKAGE, cwd=workdir)
    names = installed_names(bin_dir)
    assert "qbo-emulator" in names and "starlette" in names and "django" not in names
    version = run(bin_dir / "qbo-emulator", "--version").stdout.strip()
    assert version == f"qbo-emulator {qbo_emulator.__version__}"
