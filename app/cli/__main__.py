"""``python -m app.cli``: the ``plaza`` command, for a child process of ``plaza serve``."""

from app.cli import main

main()
