"""`cxloop branding show|set`: the organisation's name, sender name, colour and logo (docs/branding.md). Services are
imported inside the commands, so `--help` loads no database library (cli/main.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cxloop.cli.context import console, database, fail, settings

if TYPE_CHECKING:
    from cxloop.branding.service import Brand

app = typer.Typer(help="Who is asking: the name, sender name, colour and logo customers see.", no_args_is_help=True)


def _print(brand: Brand) -> None:
    console.print(f"organisation name: {brand.organisation_name or '-'}")
    console.print(f"sender name:       {brand.from_name or '-'}")
    console.print(f"primary colour:    {brand.colour}{'' if brand.primary_colour else ' (default)'}")
    console.print(f"logo:              {brand.logo_url(settings().public_url) or '-'}")
    for warning in brand.warnings():
        console.print(f"[yellow]warning:[/] {warning}")


@app.command("show")
def show() -> None:
    """The branding in effect."""
    from cxloop.branding import service

    with database().unit_of_work() as session:
        _print(service.current(session))


@app.command("set")
def set_branding(
    name: Annotated[str | None, typer.Option("--name", help="The organisation's name, e.g. 'Larkspur'.")] = None,
    sender_name: Annotated[str | None, typer.Option(help="The From name of emails (default: --name).")] = None,
    colour: Annotated[str | None, typer.Option(help="Buttons, links and selected answers, e.g. '#0b57d0'.")] = None,
    logo: Annotated[
        Path | None, typer.Option(help="A PNG, JPEG, GIF or WebP image of at most 256 KB.", dir_okay=False)
    ] = None,
    no_logo: Annotated[bool, typer.Option("--no-logo", help="Remove the logo.")] = False,
) -> None:
    """Change the branding; options not given are kept."""
    from pydantic import ValidationError

    from cxloop.branding import service
    from cxloop.branding.schemas import BrandingUpdate
    from cxloop.core.clock import utcnow

    changes: dict[str, Any] = {
        key: value
        for key, value in (("organisation_name", name), ("sender_name", sender_name), ("primary_colour", colour))
        if value is not None
    }
    try:
        checked = BrandingUpdate(**changes).model_dump(exclude_unset=True)
    except ValidationError as exc:
        first = exc.errors()[0]
        option = {"organisation_name": "--name", "sender_name": "--sender-name", "primary_colour": "--colour"}
        raise fail(f"{option[str(first['loc'][0])]}: {first['msg']}") from None
    image = None
    if logo is not None:
        try:
            image = logo.read_bytes()
        except OSError as exc:
            raise fail(f"--logo: cannot read {logo}: {exc.strerror}") from None
    now = utcnow()
    with database().unit_of_work(write=True) as session:
        brand = service.update(session, checked, now=now) if checked else service.current(session)
        if no_logo:
            brand = service.clear_logo(session, now=now)
        elif image is not None:
            try:
                brand = service.set_logo(session, image, now=now)
            except ValueError as exc:
                raise fail(f"--logo: {exc}") from None
    _print(brand)
