"""Tunable rules of the auth use cases (lifetimes, limits, links), filled from settings by the container."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AuthPolicy:
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_seconds: int = 14 * 24 * 3600
    session_max_age_seconds: int = 30 * 24 * 3600
    verification_ttl_seconds: int = 24 * 3600
    reset_ttl_seconds: int = 3600
    login_failures_per_account: int = 5
    login_failures_per_ip: int = 20
    login_failure_window_seconds: int = 900
    public_url: str = "http://127.0.0.1:8000"
    require_verified_email: bool = True
