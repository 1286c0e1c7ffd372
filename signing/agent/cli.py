"""``edoc-signer`` command line: start the local signing agent.

Example::

    edoc-signer --module /usr/lib/x86_64-linux-gnu/libvnpt-ca.so \\
        --allow-origin https://edoc.tinh-demo.gov.vn

Every option has an environment variable (``EDOC_SIGNER_MODULE``, ``EDOC_SIGNER_ORIGINS`` comma
separated, ``EDOC_SIGNER_PORT``, ``EDOC_SIGNER_PIN_MODE``) so a desktop shortcut can carry them.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from signing.agent.server import AgentConfig, AgentServer
from signing.tokens import list_tokens


def build_parser() -> argparse.ArgumentParser:
    env = os.environ
    parser = argparse.ArgumentParser(
        prog="edoc-signer", description="Local signing agent for edoc (USB token, PKCS#11)."
    )
    parser.add_argument(
        "--module",
        default=env.get("EDOC_SIGNER_MODULE"),
        help="path of the token's PKCS#11 module (.so/.dll)",
    )
    parser.add_argument(
        "--allow-origin",
        action="append",
        default=[o for o in env.get("EDOC_SIGNER_ORIGINS", "").split(",") if o],
        help="origin of the edoc server allowed to use the agent (repeatable)",
    )
    parser.add_argument("--port", type=int, default=int(env.get("EDOC_SIGNER_PORT", "8787")))
    parser.add_argument(
        "--pin-mode",
        choices=("request", "console"),
        default=env.get("EDOC_SIGNER_PIN_MODE", "request"),
        help="take the PIN from the web page's request, or ask for it on this console",
    )
    parser.add_argument("--list", action="store_true", help="list tokens and certificates, exit")
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(message)s"
    )
    if not args.module:
        print("edoc-signer: --module (or EDOC_SIGNER_MODULE) is required", file=sys.stderr)
        return 2
    if args.list:
        for token in list_tokens(args.module):
            print(f"token {token.label} (serial {token.serial}, slot {token.slot_id})")
            for cert in token.certificates:
                print(f"  [{cert.label}] {cert.subject}")
                print(f"      serial {cert.serial}, valid to {cert.not_after:%Y-%m-%d}")
        return 0
    if not args.allow_origin:
        print("edoc-signer: give --allow-origin (the edoc server's URL)", file=sys.stderr)
        return 2
    config = AgentConfig(
        module_path=args.module,
        allowed_origins=args.allow_origin,
        port=args.port,
        pin_mode=args.pin_mode,
    )
    server = AgentServer(config)
    print(f"edoc-signer listening on {server.url} for {', '.join(config.allowed_origins)}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
