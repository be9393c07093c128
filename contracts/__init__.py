"""The Python side of the service contracts in ``wsdl/``.

- ``interactions``: the one list of interactions with namespaces, files and soapAction;
- ``operations``: every operation's name, the contract interactions' and the staff web's own;
- ``ns``: the XML namespaces, named once;
- ``schema``: compiled validators and the documents a WSDL needs;
- ``binding``: reading requests and writing responses, driven by the contract XSD;
- ``xml``: parsing XML from outside, bounded and without resolving anything;
- ``certificates``: the one rule for a client certificate, which the platform, the service
  and the staff web all apply (they may all import the contracts).
"""
