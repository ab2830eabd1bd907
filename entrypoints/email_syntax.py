"""E-mail address syntax for every entrypoint: email-validator, with intranet `.local` addresses allowed.

A self-hosted installation often lives on a company network whose addresses end in `.local` (and the embedded
default's demo admin is admin@mailagent.local); email-validator refuses that special-use name by default, which
would lock those people out of sign-in. Other special-use names (invalid, localhost, onion, test) stay refused.
"""

from __future__ import annotations

import email_validator

if "local" in email_validator.SPECIAL_USE_DOMAIN_NAMES:
    email_validator.SPECIAL_USE_DOMAIN_NAMES.remove("local")

validate_email = email_validator.validate_email
EmailNotValidError = email_validator.EmailNotValidError
