"""Tooling, not product: the drivers of ``make bench``, ``make soak``, ``make faults`` and
``make mutation`` and the bulk seeder (``bench/``, ``mutation/``), the scale-out launcher of
``make scaleout`` (``scaleout.py``) and the SoapUI project's builder (``soapui/``). Nothing
here is installed with the ``eph`` package or runs in production."""
