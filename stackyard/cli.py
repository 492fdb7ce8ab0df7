"""The ``stackyard`` command: server, agent, quickstart, stacks build and a few API shortcuts."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path


def _configure_logging(level: str) -> None:
    logging.basicConfig(level=getattr(logging, level.upper()), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # APScheduler logs every run of every periodic job at INFO.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def _server(args: argparse.Namespace) -> int:
    from controlplane.config import BUILTIN_STACKS_DIR, ServerConfig
    from controlplane.server import run_server

    config = ServerConfig(
        http_host=args.http_host,
        http_port=args.http_port,
        grpc_host=args.grpc_host,
        grpc_port=args.grpc_port,
        database_url=args.database_url,
        stack_dirs=[BUILTIN_STACKS_DIR, *[Path(item).resolve() for item in args.stack_dir]],
        heartbeat_interval=args.heartbeat_interval,
        grpc_tls=not args.no_grpc_tls,
        certificate_names=args.certificate_name,
        assistant_model=Path(args.assistant_model).resolve() if args.assistant_model else None,
    )
    if args.home:
        config.home = Path(args.home).resolve()
    run_server(config)
    return 0


def _agent(argv: list[str]) -> int:
    from agent.main import main as agent_main

    return agent_main(argv) or 0


def _quickstart(args: argparse.Namespace) -> int:
    from stackyard.quickstart import run_quickstart, stop_quickstart

    if args.stop:
        return stop_quickstart(args.http_port)
    return run_quickstart(args.http_port, args.grpc_port, args.zookeeper_port, args.root_dir)


def _stacks_build(args: argparse.Namespace) -> int:
    from controlplane.config import BUILTIN_STACKS_DIR
    from controlplane.stacks import build_catalogue, load_catalogue

    catalogue = load_catalogue([BUILTIN_STACKS_DIR, *[Path(item).resolve() for item in args.stack_dir]])
    for problem in catalogue.errors:
        print(f"stack rejected: {problem}", file=sys.stderr)
    out_dir = Path(args.out_dir).resolve()
    build_catalogue(catalogue, out_dir)
    print(f"wrote roles to {out_dir / 'roles'} and playbooks to {out_dir / 'playbooks'}")
    return 1 if catalogue.errors else 0


def _api(args: argparse.Namespace) -> int:
    import requests

    from stackyard.client import ApiError, StackyardClient

    path = args.path if args.path.startswith("/") else "/" + args.path
    try:
        body = json.loads(args.body) if args.body else None
    except json.JSONDecodeError as error:
        print(f"invalid JSON body: {error}", file=sys.stderr)
        return 2

    token = os.environ.get("STACKYARD_TOKEN")
    password = os.environ.get("STACKYARD_PASSWORD")
    if not token and not password:
        print("set STACKYARD_TOKEN, or STACKYARD_USER (default admin) and STACKYARD_PASSWORD", file=sys.stderr)
        return 2

    client = StackyardClient(args.url, token)
    try:
        if not token:
            client.login(os.environ.get("STACKYARD_USER", "admin"), password)
        result = client.request(args.method.upper(), path, json=body)
    except ApiError as error:
        print(json.dumps(error.body, indent=2) if isinstance(error.body, dict) else error, file=sys.stderr)
        return 1
    except requests.RequestException as error:
        print(f"cannot reach the server at {args.url}: {error}", file=sys.stderr)
        return 1
    if result is not None:
        print(result if isinstance(result, str) else json.dumps(result, indent=2, default=str))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stackyard", description="Deploy and operate big-data services with Ansible roles.")
    parser.add_argument("--log-level", default=os.environ.get("STACKYARD_LOG_LEVEL", "info"), help="log level: debug, info, warning or error")
    commands = parser.add_subparsers(dest="command", required=True)

    server = commands.add_parser("server", help="run the server (REST API, web UI, gRPC endpoint, scheduler)")
    server.add_argument("--home", help="folder for the database, keys and logs (default: $STACKYARD_HOME or ~/.stackyard)")
    server.add_argument("--http-host", default="127.0.0.1", help="address the HTTP API listens on")
    server.add_argument("--http-port", type=int, default=8080, help="HTTP port (default 8080)")
    server.add_argument("--grpc-host", default="127.0.0.1", help="address the agents' gRPC endpoint listens on")
    server.add_argument("--grpc-port", type=int, default=8835, help="gRPC port (default 8835)")
    server.add_argument("--database-url", default=os.environ.get("STACKYARD_DATABASE_URL", ""), help="peewee database URL, for example postgresql://user:password@host/db (default: SQLite in the home folder)")
    server.add_argument("--stack-dir", action="append", default=[], help="extra folder of stacks (repeatable)")
    server.add_argument("--heartbeat-interval", type=int, default=5, help="seconds between agent heartbeats")
    server.add_argument("--no-grpc-tls", action="store_true", help="serve gRPC without TLS (only for tests on loopback)")
    server.add_argument("--certificate-name", action="append", default=[], help="extra DNS name or address for the gRPC server certificate (repeatable)")
    server.add_argument("--assistant-model", help="folder of a local transformers text-generation model that summarizes advice (needs the 'assistant' extra)")
    server.set_defaults(handler=_server)

    commands.add_parser("agent", help="run the agent of this host (see: stackyard agent --help)", add_help=False)

    quickstart = commands.add_parser("quickstart", help="server and agent on this host, cluster demo and a running ZooKeeper")
    quickstart.add_argument("--http-port", type=int, default=8080, help="HTTP port of the server (default 8080)")
    quickstart.add_argument("--grpc-port", type=int, default=8835, help="gRPC port of the server (default 8835)")
    quickstart.add_argument("--zookeeper-port", type=int, default=2181, help="ZooKeeper client port (default 2181)")
    quickstart.add_argument("--root-dir", default="/var/lib/stackyard", help="folder of ZooKeeper's config, data, logs and pid file (default /var/lib/stackyard)")
    quickstart.add_argument("--stop", action="store_true", help="stop ZooKeeper, the agent and the server that quickstart started")
    quickstart.set_defaults(handler=_quickstart)

    stacks = commands.add_parser("stacks", help="work with stack definitions")
    stacks_commands = stacks.add_subparsers(dest="stacks_command", required=True)
    build = stacks_commands.add_parser("build", help="compile every stack to Ansible roles and playbooks")
    build.add_argument("out_dir", metavar="OUT_DIR", help="folder to write roles/ and playbooks/ into")
    build.add_argument("--stack-dir", action="append", default=[], help="extra folder of stacks (repeatable)")
    build.set_defaults(handler=_stacks_build)

    api = commands.add_parser(
        "api",
        help="send one REST request, for example: stackyard api GET /clusters",
        description="Send one REST request and print the JSON response. Authenticate with $STACKYARD_TOKEN (a bearer token), "
        "or with $STACKYARD_USER (default admin) and $STACKYARD_PASSWORD.",
    )
    api.add_argument("method", help="GET, POST, PUT, PATCH or DELETE")
    api.add_argument("path", help="path under /api/v1, for example /jobs/3")
    api.add_argument("body", nargs="?", help="JSON request body")
    api.add_argument("--url", default=os.environ.get("STACKYARD_URL", "http://127.0.0.1:8080"), help="server URL (default $STACKYARD_URL or http://127.0.0.1:8080)")
    api.set_defaults(handler=_api)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "agent":
        return _agent(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.log_level)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
