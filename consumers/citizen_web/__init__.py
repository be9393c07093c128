"""A stand-in for 1177's e-services: the patient's side of the service in a browser.

It is a consumer like the others: every page calls the service through the platform with the
contracts, as the citizen e-service (``CitizenService``), for the personnummer of the logged-in
patient. It has no database of its own and never reaches the service's domain or storage.
"""
