"""``python -m kwsc ...`` runs the command line (same as the ``kwsc`` script)."""

from kwsc.cli import main

main()
