"""``python -m bot shell``: chat with the running bot in the terminal, one line per bot message.

Why: ``rasa shell`` prints the whole ``custom`` JSON after every reply; a tester wants the
text, the buttons and the strategy (``tools/shell_view.py``, imported in the handler so
the servers never load it). It talks to a bot that is already running (``make shell``
starts one) through the REST channel; ``-v`` prints the JSON as well.
"""

from __future__ import annotations

import argparse

DEFAULT_URL = "http://127.0.0.1:5005"


def cmd_shell(args: argparse.Namespace) -> int:
    from tools import shell_view

    return shell_view.main(
        args.url,
        verbose=args.show_json,
        token=args.token,
        sender=args.sender,
        wait=args.wait,
        wait_pid=args.wait_pid,
    )


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "shell",
        help="chat with the running bot through REST: text, [title → payload] buttons, ‹strategy›",
    )
    p.add_argument("--url", default=DEFAULT_URL, help=f"the Rasa server's root URL (default {DEFAULT_URL})")
    # Its own dest: the top-level -v (debug logging) is another option.
    p.add_argument(
        "-v", "--verbose", dest="show_json", action="store_true", help="also print each reply's JSON"
    )
    p.add_argument(
        "--token", default=None, help="bearer token of the REST channel (default: the REST_TOKEN variable)"
    )
    p.add_argument("--sender", default=None, help="sender id (default: shell- and 16 random hex digits)")
    p.add_argument(
        "--wait", type=float, default=0.0, help="seconds to wait for the server to come up (default 0)"
    )
    p.add_argument(
        "--wait-pid", type=int, default=None, help="stop waiting if this process (the server) exits"
    )
    p.set_defaults(handler=cmd_shell)
