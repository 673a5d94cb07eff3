"""`python -m mail_catcher`: an SMTP server and the page to read what it caught, on loopback."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import uvicorn

from .mailbox import Mailbox
from .smtp import Catching, controller
from .web import create_app


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m mail_catcher",
        description="Catch the mail sent to a local SMTP server and show it on a web page.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="where both servers listen")
    parser.add_argument("--smtp-port", type=int, default=1025)
    parser.add_argument("--http-port", type=int, default=8025)
    parser.add_argument("--store", metavar="DIR", type=Path, help="also write each message here")
    parser.add_argument("--log-level", default="warning")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    mailbox = Mailbox(args.store)
    smtp = controller(Catching(mailbox), args.host, args.smtp_port)
    try:
        smtp.start()
    except (OSError, RuntimeError) as exc:
        print(
            f"mail_catcher: cannot listen on {args.host}:{args.smtp_port}: {exc}", file=sys.stderr
        )
        return 2
    address = f"{args.host}:{args.smtp_port}"
    print(
        f"Mail catcher: SMTP on {address}, page on http://{args.host}:{args.http_port}/", flush=True
    )
    try:
        uvicorn.run(
            create_app(mailbox, address),
            host=args.host,
            port=args.http_port,
            log_level=args.log_level,
            access_log=False,
        )
    finally:
        smtp.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
