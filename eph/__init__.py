"""Entry points: the ``eph`` command, configuration and the servers (the composition root)."""
