"""Password complexity rules, each with a message a person understands."""

from __future__ import annotations

from dataclasses import dataclass

MIN_LENGTH = 12
MAX_LENGTH = 256


@dataclass(frozen=True)
class PasswordViolation:
    rule: str
    message: str


def check_password(password: str, email: str | None = None) -> list[PasswordViolation]:
    """Return every rule the password breaks (empty when it is acceptable)."""
    violations: list[PasswordViolation] = []
    if len(password) < MIN_LENGTH:
        violations.append(PasswordViolation("min_length", f"Use at least {MIN_LENGTH} characters."))
    if len(password) > MAX_LENGTH:
        violations.append(PasswordViolation("max_length", f"Use at most {MAX_LENGTH} characters."))
    if not any(c.islower() for c in password):
        violations.append(PasswordViolation("lowercase", "Add a lowercase letter."))
    if not any(c.isupper() for c in password):
        violations.append(PasswordViolation("uppercase", "Add an uppercase letter."))
    if not any(c.isdigit() for c in password):
        violations.append(PasswordViolation("digit", "Add a digit."))
    if all(c.isalnum() for c in password):
        violations.append(PasswordViolation("symbol", "Add a symbol such as ! ? # or a space."))
    if email:
        lowered = password.casefold()
        local_part = email.split("@", 1)[0].casefold()
        if email.casefold() in lowered or (len(local_part) >= 4 and local_part in lowered):
            violations.append(PasswordViolation("not_email", "Do not use your e-mail address in the password."))
    return violations
