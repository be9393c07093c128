"""A stand-in for an SMS gateway: accepts the notices' SMS requests in the shape documented in
docs/operations.md ("Notices"), keeps them in memory instead of sending them, and shows them at
``GET /messages`` to tests and the demo. Served by ``eph serve sms-gateway``; refused in the
production profile, where a real gateway is configured."""
