"""The course book: ``python -m book.build`` (see book/build.py and book/README.md)."""
