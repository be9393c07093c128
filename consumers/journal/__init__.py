"""A journal (EHR) system's own side of the national results flow: it subscribes to the
engagement index's notifications (it produces ``ProcessNotification``), and on a notification of
laboratory outcomes of its care giver fetches them with ``GetLaboratoryOrderOutcome`` through the
platform and imports them into its own journal (a database of its own), idempotently. Served by
``eph serve ehr-subscriber``."""
