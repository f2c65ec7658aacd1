"""The ``actas`` command line: Typer commands, each a few lines that parse, call a use case
and print. Never imports :mod:`actas.web`; the commands that need both (serve, publish,
demo) are wired in :mod:`actas.__main__`.
"""
