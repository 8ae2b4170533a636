"""The named CWMP codes as enums, for type checkers and for ``match``.

``FaultCode``: TR-069 A.5.1 (ACS) and A.5.2 (CPE) fault codes, an ``IntEnum`` (messages
carry the number; ``FaultCode(9005).description`` says what it means). ``EventCode``:
TR-069 A.3.3.1 Inform event codes, a ``str`` enum (messages carry the wire string). Written
out here so that tools see every value; ``tests/python/test_messages.py`` checks them
against the core.
"""

from __future__ import annotations

from enum import Enum, IntEnum


class FaultCode(IntEnum):
    """A CWMP fault code."""

    ACS_METHOD_NOT_SUPPORTED = 8000
    ACS_REQUEST_DENIED = 8001
    ACS_INTERNAL_ERROR = 8002
    ACS_INVALID_ARGUMENTS = 8003
    ACS_RESOURCES_EXCEEDED = 8004
    ACS_RETRY_REQUEST = 8005
    ACS_VERSION_INCOMPATIBLE = 8006
    METHOD_NOT_SUPPORTED = 9000
    REQUEST_DENIED = 9001
    INTERNAL_ERROR = 9002
    INVALID_ARGUMENTS = 9003
    RESOURCES_EXCEEDED = 9004
    INVALID_PARAMETER_NAME = 9005
    INVALID_PARAMETER_TYPE = 9006
    INVALID_PARAMETER_VALUE = 9007
    NON_WRITABLE_PARAMETER = 9008
    NOTIFICATION_REQUEST_REJECTED = 9009
    FILE_TRANSFER_FAILURE = 9010
    UPLOAD_FAILURE = 9011
    FILE_TRANSFER_AUTHENTICATION_FAILURE = 9012
    UNSUPPORTED_TRANSFER_PROTOCOL = 9013
    MULTICAST_JOIN_FAILURE = 9014
    FILE_SERVER_UNREACHABLE = 9015
    FILE_ACCESS_FAILURE = 9016
    DOWNLOAD_INCOMPLETE = 9017
    FILE_CORRUPTED = 9018
    FILE_AUTHENTICATION_FAILURE = 9019
    DOWNLOAD_WINDOW_MISSED = 9020
    CANCEL_NOT_PERMITTED = 9021
    INVALID_UUID_FORMAT = 9022
    UNKNOWN_EXECUTION_ENVIRONMENT = 9023
    DISABLED_EXECUTION_ENVIRONMENT = 9024
    DEPLOYMENT_UNIT_MISMATCH = 9025
    DUPLICATE_DEPLOYMENT_UNIT = 9026
    SYSTEM_RESOURCES_EXCEEDED = 9027
    UNKNOWN_DEPLOYMENT_UNIT = 9028
    INVALID_DEPLOYMENT_UNIT_STATE = 9029
    DOWNGRADE_NOT_PERMITTED = 9030
    VERSION_NOT_SPECIFIED = 9031
    VERSION_ALREADY_EXISTS = 9032

    @property
    def description(self) -> str:
        """What the code means (TR-069 A.5)."""
        return _DESCRIPTIONS[self.value]


_DESCRIPTIONS = {
    8000: "Method not supported",
    8001: "Request denied (no reason specified)",
    8002: "Internal error",
    8003: "Invalid arguments",
    8004: "Resources exceeded",
    8005: "Retry request",
    8006: "ACS version incompatible with CPE",
    9000: "Method not supported",
    9001: "Request denied (no reason specified)",
    9002: "Internal error",
    9003: "Invalid arguments",
    9004: "Resources exceeded",
    9005: "Invalid parameter name",
    9006: "Invalid parameter type",
    9007: "Invalid parameter value",
    9008: "Attempt to set a non-writable parameter",
    9009: "Notification request rejected",
    9010: "File transfer failure",
    9011: "Upload failure",
    9012: "File transfer server authentication failure",
    9013: "Unsupported protocol for file transfer",
    9014: "File transfer failure: unable to join multicast group",
    9015: "File transfer failure: unable to contact file server",
    9016: "File transfer failure: unable to access file",
    9017: "File transfer failure: unable to complete download",
    9018: "File transfer failure: file corrupted",
    9019: "File transfer failure: file authentication failure",
    9020: "File transfer failure: unable to complete download within specified time windows",
    9021: "Cancelation of file transfer not permitted in current transfer state",
    9022: "Invalid UUID Format",
    9023: "Unknown Execution Environment",
    9024: "Disabled Execution Environment",
    9025: "Deployment Unit to Execution Environment Mismatch",
    9026: "Duplicate Deployment Unit",
    9027: "System Resources Exceeded",
    9028: "Unknown Deployment Unit",
    9029: "Invalid Deployment Unit State",
    9030: "Invalid Deployment Unit Update - Downgrade not permitted",
    9031: "Invalid Deployment Unit Update - Version not specified",
    9032: "Invalid Deployment Unit Update - Version already exists",
}


class EventCode(str, Enum):
    """An Inform event code."""

    BOOTSTRAP = "0 BOOTSTRAP"
    BOOT = "1 BOOT"
    PERIODIC = "2 PERIODIC"
    SCHEDULED = "3 SCHEDULED"
    VALUE_CHANGE = "4 VALUE CHANGE"
    KICKED = "5 KICKED"
    CONNECTION_REQUEST = "6 CONNECTION REQUEST"
    TRANSFER_COMPLETE = "7 TRANSFER COMPLETE"
    DIAGNOSTICS_COMPLETE = "8 DIAGNOSTICS COMPLETE"
    REQUEST_DOWNLOAD = "9 REQUEST DOWNLOAD"
    AUTONOMOUS_TRANSFER_COMPLETE = "10 AUTONOMOUS TRANSFER COMPLETE"
    DU_STATE_CHANGE_COMPLETE = "11 DU STATE CHANGE COMPLETE"
    AUTONOMOUS_DU_STATE_CHANGE_COMPLETE = "12 AUTONOMOUS DU STATE CHANGE COMPLETE"
    WAKEUP = "13 WAKEUP"
    M_REBOOT = "M Reboot"
    M_SCHEDULE_INFORM = "M ScheduleInform"
    M_DOWNLOAD = "M Download"
    M_SCHEDULE_DOWNLOAD = "M ScheduleDownload"
    M_UPLOAD = "M Upload"
    M_CHANGE_DU_STATE = "M ChangeDUState"
