import click

from tinyhttp import get


@click.command()
@click.argument("url")
def main(url: str) -> None:
    click.echo(get(url).status_code)
