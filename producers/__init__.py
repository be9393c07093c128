"""The SOAP producers of the service domain's interactions: thin translations to the domain."""
