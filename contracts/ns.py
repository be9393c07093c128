"""The XML namespaces of the release and of the standards it builds on, named once."""

from __future__ import annotations

SOAP11_ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENV_NS = "http://www.w3.org/2003/05/soap-envelope"
XS_NS = "http://www.w3.org/2001/XMLSchema"
WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
WSDL_SOAP_NS = "http://schemas.xmlsoap.org/wsdl/soap/"
WSA_NS = "http://www.w3.org/2005/08/addressing"
WSA_2004_NS = "http://schemas.xmlsoap.org/ws/2004/08/addressing"

# RIV-TA: the LogicalAddress header (Basic Profile 2.1) and the registry look-ups (v2)
REGISTRY_NS = "urn:riv:itintegration:registry:1"
REGISTRY_V2_NS = "urn:riv:infrastructure:itintegration:registry:2"

# the service domain's core components
CORE_NS = "urn:riv:clinicalprocess:activity:selfsampling:1"

# the service's own extension elements, in the contract's ##other extension points (the names of
# the care giver and care unit in an access log entry)
EXTENSION_NS = "urn:eph:clinicalprocess:activity:selfsampling:extension:1"
