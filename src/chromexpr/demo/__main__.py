"""``python -m chromexpr.demo``: write a demo mirror (``chromexpr.demo.mirror.main``)."""

from chromexpr.demo.mirror import main

main()
