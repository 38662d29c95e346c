"""The rasa_sdk action server: `python -m rasa_sdk --actions actions` imports this package.

Each module holds a few actions over pure helpers; nothing is opened at import time.
"""

from actions.booking import (
    ActionAskBookingCentre,
    ActionAskBookingConfirm,
    ActionAskBookingDate,
    ActionAskBookingSlot,
    ActionBookingStart,
    ActionSubmitBooking,
    ValidateBookingForm,
)
from actions.dossiers import ActionDossierStatus
from actions.feedback import ActionFeedbackStart, ActionSubmitFeedback, ValidateFeedbackForm
from actions.procedures import ActionAnswerProcedure, ActionDeny, ActionFallback, ActionOutOfScope
from actions.services import ActionAnswerService, ActionHandoff, ActionHotline, ActionSurvey, ActionWorkingHours

__all__ = [
    "ActionAnswerProcedure",
    "ActionAnswerService",
    "ActionAskBookingCentre",
    "ActionAskBookingConfirm",
    "ActionAskBookingDate",
    "ActionAskBookingSlot",
    "ActionBookingStart",
    "ActionDeny",
    "ActionDossierStatus",
    "ActionFallback",
    "ActionFeedbackStart",
    "ActionHandoff",
    "ActionHotline",
    "ActionOutOfScope",
    "ActionSubmitBooking",
    "ActionSubmitFeedback",
    "ActionSurvey",
    "ActionWorkingHours",
    "ValidateBookingForm",
    "ValidateFeedbackForm",
]
