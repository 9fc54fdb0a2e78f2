"""``wanamaker serve`` and ``wanamaker users``: the web app and who may sign in to it."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from wanamaker.cli.output import WorkspaceOpt, console, current_workspace, err_console
from wanamaker.errors import UsageError

users_app = typer.Typer(help="Web users and their roles (admin, exec, marketing, sales).", no_args_is_help=True)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on; 0.0.0.0 for every interface (behind TLS).")] =
    "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workspace: WorkspaceOpt = None,
) -> None:
    """Serve the web app: the scorecard and views, drill-downs, the forms of sales and marketers, a JSON API."""
    from wanamaker.config.options import int_option

    int_option("--port", port, minimum=1, maximum=65535)
    try:
        import uvicorn
    except ImportError as exc:
        raise UsageError("the web app needs the [web] extra.", fix="pip install 'wanamaker[web]'") from exc
    from wanamaker.web import create_app
    from wanamaker.web.app import is_loopback

    ws = current_workspace(workspace)
    from wanamaker.web.users import list_users

    if not list_users(ws):
        raise UsageError("no web user exists yet, so nobody could sign in.",
                         fix="Add one first: wanamaker users add NAME --role admin")
    secure = not is_loopback(host)
    app = create_app(ws, secure_cookies=secure)
    where = f"http://{host}:{port}/"
    err_console.print(f"Serving {ws.root} on {where} (Ctrl+C stops)" +
                      ("" if not secure else "; cookies are Secure: put a TLS proxy in front"))
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}.",
                         fix="Choose another --port, or stop the program using it.") from exc
    finally:
        ws.close()


def _password(confirm: bool) -> str:
    if not sys.stdin.isatty():
        text = sys.stdin.readline().rstrip("\r\n")
        if not text:
            raise UsageError("no password on standard input.", fix="Pipe the password in, or run in a terminal.")
        return text
    text = str(typer.prompt("Password", hide_input=True, confirmation_prompt=confirm))
    return text


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="The sign-in name.")],
    role: Annotated[str, typer.Option(help="admin, exec, marketing or sales.")] = "exec",
    member: Annotated[str | None, typer.Option(help="The team member this user is (team_members.member_id).")] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Add a web user; the password is read from standard input when it is not a terminal, prompted otherwise."""
    from wanamaker.web import users

    users.check_username(username)
    users.check_role(role)
    password = _password(confirm=True)
    ws = current_workspace(workspace)
    try:
        user = users.add_user(ws, username, role, password, member_id=member)
    finally:
        ws.close()
    err_console.print(f"Added {user.username} ({user.role}).")


@users_app.command("list")
def users_list(workspace: WorkspaceOpt = None) -> None:
    """List the web users and their roles."""
    from rich.table import Table

    from wanamaker.web import users

    ws = current_workspace(workspace)
    try:
        listed = users.list_users(ws)
    finally:
        ws.close()
    table = Table("username", "role", "team member", "created", "changed")
    for u in listed:
        table.add_row(u.username, u.role, u.member_id or "", f"{u.created_at:%Y-%m-%d %H:%M}",
                      f"{u.changed_at:%Y-%m-%d %H:%M}")
    console.print(table if listed else "No web users yet: wanamaker users add NAME --role admin")


@users_app.command("remove")
def users_remove(username: Annotated[str, typer.Argument(help="The user to remove.")],
                 workspace: WorkspaceOpt = None) -> None:
    """Remove a web user."""
    from wanamaker.web import users

    ws = current_workspace(workspace)
    try:
        users.remove_user(ws, username)
    finally:
        ws.close()
    err_console.print(f"Removed {username}.")


@users_app.command("passwd")
def users_passwd(username: Annotated[str, typer.Argument(help="The user whose password changes.")],
                 workspace: WorkspaceOpt = None) -> None:
    """Set a web user's password (standard input when it is not a terminal, prompted otherwise)."""
    from wanamaker.web import users

    password = _password(confirm=True)
    ws = current_workspace(workspace)
    try:
        users.set_password(ws, username, password)
    finally:
        ws.close()
    err_console.print(f"Changed the password of {username}.")


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.add_typer(users_app, name="users")
