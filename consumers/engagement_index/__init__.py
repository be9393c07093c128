"""A stand-in for the national engagement index (engagemangsindex): it produces the national
``Update`` and ``FindContent`` (itintegration:engagementindex 1.0), keeps the engagements in a
database of its own, and tells its subscribers of every stored change with ``ProcessNotification``,
calling them through the platform as a consumer. Served by ``eph serve engagement-index``."""
