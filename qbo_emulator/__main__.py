"""The `qbo-emulator` command (also `python -m qbo_emulator`): serve it on loopback (README.md)."""

from __future__ import annotations

import argparse
import gc
import sys
from pathlib import Path

import uvicorn

from . import __version__
from .app import create_app
from .config import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_REDIRECT_URI,
    DEMO_VERIFIER_TOKEN,
    Config,
    ConfigError,
    app_from_environment,
    options_from_environment,
)
from .store import Emulator

DISCOVERY_PATH = "/.well-known/openid_sandbox_configuration"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="qbo-emulator",
        description="A local emulator of the QuickBooks Online API v3 and Intuit OAuth 2.0.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8085)
    parser.add_argument(
        "--state", metavar="FILE", help="load this snapshot at start if it exists; save on shutdown"
    )
    parser.add_argument(
        "--save-interval",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="with --state: also save this often when something changed (0: only on shutdown)",
    )
    parser.add_argument(
        "--seed",
        choices=("sample", "empty", "none"),
        default="sample",
        help="company created at start when there is none (default: sample)",
    )
    parser.add_argument("--company-name", default="Sandbox Company US 1")
    parser.add_argument("--realm-id", help="realmId of the company created at start")
    app = parser.add_argument_group("app registration (also QBO_EMULATOR_* variables)")
    app.add_argument("--client-id", help=f"default {DEMO_CLIENT_ID}")
    app.add_argument("--client-secret", help=f"default {DEMO_CLIENT_SECRET}")
    app.add_argument(
        "--redirect-uri", action="append", dest="redirect_uris", help=f"default {DEMO_REDIRECT_URI}"
    )
    app.add_argument("--webhook-url", help="where change notifications are POSTed (default: none)")
    app.add_argument("--verifier-token", help=f"default {DEMO_VERIFIER_TOKEN}")
    app.add_argument("--webhook-format", choices=("cloudevents", "legacy"))
    app.add_argument("--webhook-entities", help="comma-separated entity names (default: all)")
    options = parser.add_argument_group("behaviour")
    options.add_argument("--throttle", action="store_true", default=None, help="enforce QBO limits")
    options.add_argument("--latency-ms", type=int, help="added to every data API call")
    options.add_argument(
        "--webhook-window", type=float, dest="webhook_window_seconds", help="aggregation seconds"
    )
    options.add_argument(
        "--ignore-request-id", action="store_true", help="treat every requestid as new"
    )
    parser.add_argument("--log-level", default="info")
    return parser.parse_args(argv)


def build(args: argparse.Namespace):
    registered = app_from_environment(
        client_id=args.client_id,
        client_secret=args.client_secret,
        redirect_uris=args.redirect_uris,
        webhook_url=args.webhook_url,
        verifier_token=args.verifier_token,
        webhook_format=args.webhook_format,
        webhook_entities=args.webhook_entities,
    )
    options = options_from_environment(
        throttle=args.throttle,
        latency_ms=args.latency_ms,
        webhook_window_seconds=args.webhook_window_seconds,
    )
    config = Config([registered], options)
    emulator = Emulator()
    app = create_app(emulator, config, state_path=args.state, save_interval=args.save_interval)
    runtime = app.state.runtime
    if args.state and Path(args.state).exists():
        runtime.load(args.state)
    if args.ignore_request_id:
        emulator.honour_request_id = False
    if args.seed != "none" and not emulator.companies():
        emulator.create_company(name=args.company_name, seed=args.seed, realm_id=args.realm_id)
    return app, runtime


def describe(args: argparse.Namespace, runtime) -> str:
    base = f"http://{args.host}:{args.port}"
    apps = runtime.config.apps()
    lines = [
        f"QuickBooks Online emulator on {base}",
        f"  API base (python-quickbooks api_url_v3):  {base}/v3",
        f"  OAuth discovery (intuit-oauth environment): {base}{DISCOVERY_PATH}",
        f"  Control API: {base}/_emulator/   HTML view: {base}/_emulator/ui/",
    ]
    for app in apps:
        lines.append(
            f"  App {app.client_id} / {app.client_secret}  redirect {', '.join(app.redirect_uris)}"
            f"  webhooks {app.webhook_url or '(none)'} ({app.webhook_format})"
        )
    for company in runtime.emulator.companies():
        lines.append(f"  Company {company.name}: realmId {company.realm_id}")
    if runtime.state_path:
        lines.append(f"  State file: {runtime.state_path}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        app, runtime = build(args)
    except (ConfigError, ValueError, OSError) as exc:
        print(f"qbo_emulator: {exc}", file=sys.stderr)
        return 2
    print(describe(args, runtime), flush=True)
    # What the state file held lives as long as the server and holds no reference cycles: the
    # cycle collector need not walk it (at 100,000 invoices each full pass stops every request
    # for a second or more).
    gc.freeze()
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
