"""A stand-in for the population register (in production the national person service, PU,
answers behind the same port): what it says of a person (name, protected identity, home
region), seeded with the demo's patients, kept in memory, and an admin endpoint to mark a person
as having protected identity. Served by ``eph serve population-register``; refused in the
production profile."""
