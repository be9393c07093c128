"""The Python side of the service contracts in ``wsdl/``.

- ``interactions``: the one list of interactions with namespaces, files and soapAction;
- ``schema``: compiled validators and the documents a WSDL needs;
- ``models``: the message types, built from the contract XSD.
"""
