"""Entry points: the ``eph`` command (``eph.cli``), configuration, the servers and the demo data
(``eph.demo``): the composition root."""
