"""``python -m dlcore.exercises release SOURCE RELEASE`` writes the student notebooks;
``python -m dlcore.exercises check SOURCE RELEASE`` fails when they are out of date."""

from __future__ import annotations

import argparse
import sys

from dlcore.exercises.release import release, stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dlcore.exercises",
                                     description="Student versions of exercise notebooks.")
    parser.add_argument("command", choices=["release", "check"],
                        help="release: write the student versions; check: are they up to date?")
    parser.add_argument("source", help="folder of solution notebooks (with nbgrader markers)")
    parser.add_argument("release", help="folder of the student notebooks")
    arguments = parser.parse_args(argv)
    if arguments.command == "release":
        for path in release(arguments.source, arguments.release):
            print(f"wrote {path}")
        return 0
    problems = stale(arguments.source, arguments.release)
    for problem in problems:
        print(problem)
    if problems:
        print(f"run: python -m dlcore.exercises release {arguments.source} {arguments.release}")
        return 1
    print("student notebooks are up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
