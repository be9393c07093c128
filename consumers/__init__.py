"""Clients for the systems that use the self-sampling service through the platform: lab
systems, sampling-site systems, the 1177 citizen e-service and journal (EHR) systems.

    from consumers import Connection, LabSystem
    lab = LabSystem(Connection.development("SE2321000016-LAB1"), lab="SE2321000016-LAB1")
    for order in lab.poll_orders():
        ...
"""

from .client import Connection, Identity
from .errors import ConsumerError, LogicalError, RequestError, ServiceFault, TransportError, VpFault
from .roles import CitizenService, EhrSystem, LabSystem, SamplingSystem

__all__ = [
    "CitizenService",
    "Connection",
    "ConsumerError",
    "EhrSystem",
    "Identity",
    "LabSystem",
    "LogicalError",
    "RequestError",
    "SamplingSystem",
    "ServiceFault",
    "TransportError",
    "VpFault",
]
