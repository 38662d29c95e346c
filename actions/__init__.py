"""The rasa_sdk action server: `rasa run actions --actions actions` imports this package.

Each module holds a few actions over pure helpers; nothing is opened at import time.
"""

from actions.procedures import ActionAnswerProcedure, ActionDeny, ActionFallback, ActionOutOfScope
from actions.services import (
    ActionBookAppointment,
    ActionDossierStatus,
    ActionFeedback,
    ActionHandoff,
    ActionHotline,
    ActionSurvey,
    ActionWorkingHours,
)

__all__ = [
    "ActionAnswerProcedure",
    "ActionBookAppointment",
    "ActionDeny",
    "ActionDossierStatus",
    "ActionFallback",
    "ActionFeedback",
    "ActionHandoff",
    "ActionHotline",
    "ActionOutOfScope",
    "ActionSurvey",
    "ActionWorkingHours",
]
