"""Every command's --help says what it does, and every argument what it is for."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import Iterator

from photosync.cli.main import build_parser
from photosync.emulators.cli import build_parser as build_emulator_parser


def _commands(parser: argparse.ArgumentParser,
              path: str) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """``parser`` and, depth first, every subcommand's parser, with its command line."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _commands(child, f"{path} {name}")


def _missing(parser: argparse.ArgumentParser, path: str) -> list[str]:
    missing = [] if parser.description else [f"{path}: no description"]
    for action in parser._actions:
        if not action.help:
            missing.append(f"{path}: {'/'.join(action.option_strings) or action.dest}: no help")
    return missing


def test_every_command_and_argument_has_a_help_text():
    parsers = [*_commands(build_parser([]), "photosync"),
               *_commands(build_emulator_parser(), "photosync-emulator")]
    assert len(parsers) > 15
    assert [m for path, parser in parsers for m in _missing(parser, path)] == []


def test_a_subcommand_help_opens_with_its_one_line_description(cli):
    result = cli("auth", "import", "--help")
    assert result.returncode == 0
    assert "store a token file made by `photosync auth export`" in result.stdout
    assert "FILE" in result.stdout or "file" in result.stdout


def test_the_emulator_help_says_how_to_point_photosync_at_it():
    emulator = Path(sys.executable).with_name("photosync-emulator")  # the installed entry point
    result = subprocess.run([str(emulator), "--help"],
                            capture_output=True, text=True, check=True)
    text = " ".join(result.stdout.split())
    for words in ("flickr.endpoint", "drive.endpoint", "/_admin/credentials",
                  "drive.client_secrets", "OAUTHLIB_INSECURE_TRANSPORT=1", "photosync auth"):
        assert words in text, words
