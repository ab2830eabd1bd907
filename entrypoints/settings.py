"""Settings: every knob is an environment variable with the MAILAGENT_ prefix (or a line in `.env`)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_JWT_SECRET_BYTES = 32  # HS256 wants a key at least as long as its hash (RFC 7518 §3.2); PyJWT enforces it

# The web app's build output in a source checkout (entrypoints/ sits at the repository root).
SOURCE_WEB_DIST = Path(__file__).resolve().parents[1] / "frontend" / "dist"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MAILAGENT_", env_file=".env", extra="ignore")

    profile: Literal["local", "production"] = Field("local", description="local = embedded default; production")
    data_dir: Path = Field(Path("var"), description="Where the local profile keeps its database, keys and outbox")
    database_url: str | None = Field(None, description="SQLAlchemy URL; local default sqlite in data_dir")
    redis_url: str | None = Field(None, description="Redis URL (production default redis://127.0.0.1:6379/0)")
    redis_timeout_seconds: float = Field(
        0.25,
        gt=0,
        le=10,
        description="Connect and read timeout of the request path's Redis calls (limits, cache); past it the "
        "per-process fallbacks answer (docs/operations.md)",
    )
    host: str = Field("127.0.0.1", description="Address `mailagent serve` binds to")
    port: int = Field(8000, description="Port `mailagent serve` listens on")
    public_url: str = Field("http://127.0.0.1:8000", description="Base URL used in links sent by mail")
    cors_origins: list[str] = Field(default_factory=list, description="Origins allowed by CORS (JSON list)")
    web_dist: Path | None = Field(
        SOURCE_WEB_DIST,
        description="The built web app served at / (used when it holds index.html); default frontend/dist",
    )

    jwt_secret: SecretStr | None = Field(None, description="HS256 signing key; local default generated in data_dir")
    access_token_ttl_seconds: int = Field(900, description="Lifetime of an access token")
    refresh_token_ttl_seconds: int = Field(14 * 24 * 3600, description="Lifetime of a refresh token")
    session_max_age_seconds: int = Field(30 * 24 * 3600, description="A session ends this long after login")
    require_verified_email: bool = Field(True, description="Refuse login until the e-mail is verified")

    rate_limit_per_minute: int = Field(300, description="Requests per minute per user or API key")
    anonymous_rate_limit_per_minute: int = Field(60, description="Requests per minute per IP without credentials")
    login_failures_per_account: int = Field(5, description="Failed logins per account per window")
    login_failures_per_ip: int = Field(20, description="Failed logins per IP per window")
    login_failure_window_seconds: int = Field(900, description="Window for counting failed logins")

    identity_provider: Literal["local", "cognito"] = Field("local", description="Who holds credentials")
    cognito_region: str = Field("us-east-1", description="Cognito region")
    cognito_user_pool_id: str | None = Field(None, description="Cognito user pool id")
    cognito_client_id: str | None = Field(None, description="Cognito app client id")
    cognito_endpoint_url: str | None = Field(None, description="Override the Cognito endpoint (tests)")
    cognito_jwks_url: str | None = Field(None, description="Override the JWKS URL (default: the pool's)")
    cognito_issuer: str | None = Field(None, description="Override the expected token issuer")

    smtp_host: str | None = Field(None, description="SMTP relay for system mail (production)")
    smtp_port: int = Field(587, description="SMTP port")
    smtp_username: str | None = Field(None, description="SMTP login")
    smtp_password: SecretStr | None = Field(None, description="SMTP password")
    smtp_security: Literal["starttls", "tls", "none"] = Field("starttls", description="SMTP transport security")
    mail_from: str = Field("mailagent <no-reply@mailagent.local>", description="From address of system mail")
    mailer: Literal["auto", "smtp", "outbox"] = Field(
        "auto",
        description="System mail (verification, password reset): smtp, or outbox (.eml files in data_dir/outbox, "
        "nobody receives them); auto: outbox locally, smtp in production (which then needs MAILAGENT_SMTP_HOST)",
    )

    demo_mailbox: bool | None = Field(None, description="Offer the demo mailbox (default: on in the local profile)")
    demo_mailbox_size: int = Field(300, description="Messages in a newly connected demo mailbox")
    google_client_id: str | None = Field(None, description="Google OAuth client id (enables Connect Gmail)")
    google_client_secret: SecretStr | None = Field(None, description="Google OAuth client secret")
    google_redirect_uri: str | None = Field(
        None, description="OAuth callback URL (default: public_url + /api/v1/mail/accounts/google/callback)"
    )
    google_auth_uri: str = Field("https://accounts.google.com/o/oauth2/auth", description="Google consent endpoint")
    google_token_uri: str = Field("https://oauth2.googleapis.com/token", description="Google token endpoint")
    google_revoke_uri: str = Field("https://oauth2.googleapis.com/revoke", description="Google revocation endpoint")
    gmail_api_root: str = Field("https://gmail.googleapis.com/", description="Gmail API root URL")
    google_calendar_api_root: str = Field(
        "https://www.googleapis.com/", description="Google Calendar v3 API root URL (a Google account's calendar)"
    )
    google_calendar_push_url: str | None = Field(
        None,
        description="HTTPS URL Google Calendar posts changes to (<public_url>/api/v1/calendar/push/google); "
        "unset: calendars are polled with sync tokens only",
    )
    google_people_api_root: str = Field(
        "https://people.googleapis.com/", description="Google People v1 API root URL (a Google account's contacts)"
    )
    google_push_topic: str | None = Field(
        None, description="Pub/Sub topic Gmail pushes mailbox changes to (projects/PROJECT/topics/TOPIC)"
    )
    google_push_token: SecretStr | None = Field(
        None, description="Shared secret in the push URL: POST /api/v1/mail/push/google?token=..."
    )
    mail_poll_seconds: float = Field(
        300, gt=0, description="Each mailbox is checked for changes at least this often (fallback to push)"
    )
    secrets_backend: Literal["local", "secretsmanager"] = Field(
        "local", description="Where OAuth tokens are kept: encrypted files in data_dir, or AWS Secrets Manager"
    )
    secrets_key: SecretStr | None = Field(None, description="Local secret store key (base64); default a key file")
    secrets_manager_prefix: str = Field("mailagent", description="Name prefix of secrets in Secrets Manager")
    aws_region: str = Field("us-east-1", description="AWS region for Secrets Manager")
    aws_endpoint_url: str | None = Field(None, description="Override the AWS endpoint (tests, LocalStack)")

    blob_backend: Literal["local", "s3"] = Field(
        "local", description="Where uploaded attachments are kept: files under data_dir, or an S3 bucket"
    )
    s3_bucket: str | None = Field(None, description="S3 bucket for attachments (blob_backend=s3)")
    s3_endpoint_url: str | None = Field(
        None, description="Override the S3 endpoint (MinIO, moto; default: aws_endpoint_url, then AWS's)"
    )
    clamd_address: str | None = Field(
        None,
        description="ClamAV clamd that scans attachments: host:port, tcp://host:port or a unix socket path. Without "
        "it the local profile marks files 'not scanned' and production refuses attachments",
    )
    clamd_timeout_seconds: float = Field(60, gt=0, description="Longest wait for clamd to scan one file")
    attachment_presigned_downloads: bool = Field(
        True, description="With S3, downloads of uploads redirect to a presigned URL (5 min) instead of streaming"
    )
    attachment_expiry_seconds: float = Field(
        3600, gt=0, description="How often uploads older than 24 h that no draft or scheduled e-mail uses are deleted"
    )

    webhook_allow_loopback: bool | None = Field(
        None,
        description="Let webhooks (and Slack incoming webhooks) go to http://127.0.0.1 / localhost (default: yes in "
        "the local profile only; production sends https to public addresses and hooks.slack.com only)",
    )
    webhook_timeout_seconds: float = Field(15, gt=0, le=60, description="Longest wait for a webhook receiver")
    slack_api_url: str = Field(
        "https://slack.com/api/", description="Slack Web API base URL (chat.postMessage for bot tokens)"
    )
    webhook_lease_seconds: float = Field(
        60,
        ge=2,
        description="How long one delivery attempt holds its delivery; a worker killed mid-attempt frees it after "
        "this long (keep it above the timeout)",
    )
    webhook_sweep_seconds: float = Field(
        60, gt=0, description="How often deliveries whose job was lost (a killed worker) are enqueued again"
    )

    job_workers: int = Field(2, description="Worker threads of the in-process job queue (embedded default)")
    job_queue_name: str = Field("mailagent", description="RQ queue name (production)")
    scheduler_lock_seconds: float = Field(
        10,
        ge=2,
        le=60,
        description="Lease of the scheduler role (one worker moves delayed jobs when due); another worker takes "
        "it over within this long, plus a second, after its holder died",
    )
    run_jobs_in_process: bool | None = Field(
        None, description="Run jobs inside `mailagent serve` (default: yes in the local profile, no in production)"
    )
    outbox_relay_seconds: float = Field(5, description="How often committed-but-unrelayed jobs and events are swept")
    event_retention_seconds: int = Field(3 * 86400, description="How long events are kept for replay")
    audit_seal_seconds: float = Field(
        1.0, ge=1.0, description="How often new audit entries are sealed into the hash chain (the sealer's period)"
    )
    scheduled_dispatch_seconds: float = Field(
        5, gt=0, description="How often due scheduled emails (and ones a crashed worker held) are swept up"
    )
    scheduled_dispatch_batch: int = Field(
        50, ge=1, le=1000, description="Due scheduled emails a worker claims at a time (more workers join in)"
    )
    scheduled_send_concurrency: int = Field(
        4, ge=1, le=64, description="Scheduled emails one worker sends at the same time"
    )
    scheduled_lease_seconds: float = Field(
        300, description="How long a worker holds a scheduled email it is sending; must exceed the longest send"
    )
    scheduled_max_attempts: int = Field(5, description="Attempts before a scheduled email is marked failed")
    scheduled_retry_seconds: float = Field(30, description="First wait after a failed scheduled send (doubles)")
    event_channel: str = Field("mailagent:events", description="Redis pub/sub channel of live events (production)")
    ws_heartbeat_seconds: float = Field(30, description="WebSocket heartbeat interval")
    ws_replay_limit: int = Field(500, description="Most events replayed to a reconnecting WebSocket client")

    circuit_fail_max: int = Field(
        5, ge=1, description="Consecutive failures of an outside service (Gmail...) that open its circuit"
    )
    circuit_reset_seconds: float = Field(
        30, gt=0, description="How long an open circuit fails fast before one trial call is let through"
    )
    gmail_retry_attempts: int = Field(5, ge=1, description="Tries per Gmail call on 429/5xx/network errors")
    gmail_retry_base_seconds: float = Field(
        1.0, ge=0, description="First Gmail retry waits up to this long; each next one up to twice as long"
    )
    cache_labels_seconds: int = Field(60, ge=0, description="How long a mailbox's label list is cached (0: never)")
    cache_message_seconds: int = Field(
        300, ge=0, description="How long a read message is cached, bodies included (0: never)"
    )
    contacts_cache_seconds: int = Field(
        3600, ge=0, description="How long contact searches are cached per account (0: never); Redis in production"
    )
    demo_timezone: str = Field(
        "Europe/Lisbon", description="Time zone of a newly made demo calendar (an IANA name such as Europe/Berlin)"
    )
    working_hours: str = Field(
        "09:00-17:30", description="Working hours for free-slot search, HH:MM-HH:MM in the calendar's zone"
    )
    working_days: str = Field("mon,tue,wed,thu,fri", description="Working days for free-slot search")

    llm_provider: Literal["offline", "anthropic", "openai"] = Field(
        "offline",
        description="Agent model: offline (built-in command parser, no key), anthropic, or openai (any "
        "OpenAI-compatible server: OpenAI, Ollama, vLLM, LM Studio; see docs/llm.md)",
    )
    llm_model: str | None = Field(None, description="Model name (default per provider, see docs/llm.md)")
    llm_base_url: str | None = Field(
        None, description="API base URL (e.g. http://127.0.0.1:11434/v1 for Ollama; default: the provider's)"
    )
    llm_api_key: SecretStr | None = Field(
        None, description="LLM API key; when empty it is read from the secret store under the name llm/api_key"
    )
    llm_timeout_seconds: float = Field(30, gt=0, description="Longest wait for one LLM request")
    llm_max_tokens: int = Field(1024, ge=1, description="Most tokens the model may write per reply")
    llm_max_retries: int = Field(2, ge=0, description="Retries of an LLM request on 429/5xx/timeouts")
    agent_sends_per_hour: int = Field(
        20, ge=1, description="Most e-mails the agent may send (approved send/reply/forward/schedule) per user and hour"
    )
    agent_reversible_per_turn: int = Field(
        20,
        ge=0,
        description="Most things (messages, drafts) the agent may change on its own (labels, read state, archive, "
        "drafts) per turn; the rest of the turn waits for approval as one batch card",
    )
    organisation_domains: list[str] = Field(
        default_factory=list,
        description="Mail domains of your organisation (JSON list); an approval card flags every other recipient as "
        "outside it. The account's own domain always counts, unless it is a public provider's (gmail.com...)",
    )

    metrics_token: SecretStr | None = Field(
        None, description="Bearer token for GET /metrics on the API port (without it /metrics answers 404)"
    )
    metrics_host: str = Field("127.0.0.1", description="Address of the separate, token-free metrics listener")
    metrics_port: int | None = Field(
        None, ge=1, le=65535, description="Port of the separate metrics listener (serve and worker; off when unset)"
    )

    cloudwatch_log_group: str | None = Field(
        None, description="Also ship every log line to this CloudWatch Logs group (watchtower; made by ops/aws)"
    )
    cloudwatch_emf: bool = Field(
        False, description="Log every metric as a CloudWatch embedded-metric-format line (CloudWatch metrics)"
    )
    cloudwatch_namespace: str = Field("mailagent", description="CloudWatch metric namespace of the EMF lines")

    log_format: Literal["auto", "console", "json"] = Field("auto", description="auto: console locally, json in prod")
    log_level: str = Field("INFO", description="Log level")

    argon2_time_cost: int = Field(3, description="argon2id iterations")
    argon2_memory_kib: int = Field(65536, description="argon2id memory in KiB")
    argon2_parallelism: int = Field(4, description="argon2id lanes")
    request_threads: int = Field(
        16,
        ge=1,
        description="Requests of one `serve` process whose blocking work (database, mailbox, model) runs at once; "
        "more wait their turn (docs/adr/0029)",
    )
    db_pool_size: int | None = Field(
        None,
        ge=1,
        description="PostgreSQL connections a process keeps open; default MAILAGENT_REQUEST_THREADS, so busy request "
        "threads never open and close connections of their own",
    )
    db_max_overflow: int = Field(
        20, ge=0, description="PostgreSQL connections opened beyond the pool for a burst, each closed after its use"
    )

    @property
    def resolved_db_pool_size(self) -> int:
        return self.db_pool_size if self.db_pool_size is not None else self.request_threads

    @model_validator(mode="after")
    def _production_needs_real_services(self) -> Settings:
        if self.profile == "production":
            missing = [
                name
                for name, value in (
                    ("MAILAGENT_DATABASE_URL", self.database_url),
                    ("MAILAGENT_JWT_SECRET", self.jwt_secret),
                )
                if not value
            ]
            if self.identity_provider == "cognito":
                missing += [
                    n
                    for n, v in (
                        ("MAILAGENT_COGNITO_USER_POOL_ID", self.cognito_user_pool_id),
                        ("MAILAGENT_COGNITO_CLIENT_ID", self.cognito_client_id),
                    )
                    if not v
                ]
            if missing:
                raise ValueError(
                    f"The production profile needs {' and '.join(missing)}: set "
                    f"{'them' if len(missing) > 1 else 'it'} in the environment (README, Configuration)."
                )
        if self.jwt_secret is not None:
            length = len(self.jwt_secret.get_secret_value().encode())
            if length < MIN_JWT_SECRET_BYTES:
                # Checked here, at start-up of every command, not at the first login (PyJWT refuses short HS256 keys).
                raise ValueError(
                    f"MAILAGENT_JWT_SECRET is {length} bytes long; it must be at least {MIN_JWT_SECRET_BYTES} bytes "
                    "(e.g. the output of `openssl rand -hex 32`)."
                )
        if self.blob_backend == "s3" and not self.s3_bucket:
            raise ValueError("MAILAGENT_BLOB_BACKEND=s3 needs MAILAGENT_S3_BUCKET.")
        return self

    @model_validator(mode="after")
    def _a_real_mailer_unless_the_outbox_is_chosen(self) -> Settings:
        # One-time links must reach their owner and nobody else: never fall back to files a log reader could open.
        if self.resolved_mailer == "smtp" and not self.smtp_host:
            raise ValueError(
                "System mail (verification and password-reset links) goes out over SMTP here: set "
                "MAILAGENT_SMTP_HOST, or MAILAGENT_MAILER=outbox to write it to files in MAILAGENT_DATA_DIR/outbox "
                "instead (then nobody receives it by mail)."
            )
        return self

    # Derived values -------------------------------------------------------------------------------------------
    @property
    def resolved_mailer(self) -> Literal["smtp", "outbox"]:
        if self.mailer != "auto":
            return self.mailer
        return "smtp" if self.profile == "production" else "outbox"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'mailagent.db').resolve()}"

    @property
    def resolved_redis_url(self) -> str:
        return self.redis_url or "redis://127.0.0.1:6379/0"

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def attachments_dir(self) -> Path:
        return self.data_dir / "attachments"

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    @property
    def demo_enabled(self) -> bool:
        return self.demo_mailbox if self.demo_mailbox is not None else self.profile == "local"

    @property
    def resolved_google_redirect_uri(self) -> str:
        return self.google_redirect_uri or f"{self.public_url.rstrip('/')}/api/v1/mail/accounts/google/callback"

    @property
    def webhooks_to_loopback(self) -> bool:
        return self.webhook_allow_loopback if self.webhook_allow_loopback is not None else self.profile == "local"

    @property
    def jobs_in_process(self) -> bool:
        return self.run_jobs_in_process if self.run_jobs_in_process is not None else self.profile == "local"

    @property
    def json_logs(self) -> bool:
        return self.log_format == "json" or (self.log_format == "auto" and self.profile == "production")


def configuration_error(exc: ValidationError) -> str:
    """One sentence per wrong setting, naming it and what is expected (no traceback): what `mailagent` prints
    before it exits with status 2."""
    sentences = []
    for error in exc.errors(include_url=False):
        if error["type"] == "value_error":  # our own validators: their message is already the sentence
            message = str(error.get("ctx", {}).get("error", error["msg"]))
            sentences.append(message.removeprefix("Value error, "))
            continue
        field = ".".join(str(part) for part in error["loc"])
        name = f"MAILAGENT_{field.upper()}" if field else "a setting"
        given = error.get("input")
        shown = f" (it is {given!r})" if isinstance(given, str | int | float) and not _is_secret(field) else ""
        sentences.append(f"{name} is not valid{shown}: {error['msg'][0].lower()}{error['msg'][1:]}.")
    return " ".join(sentences)


def _is_secret(field: str) -> bool:
    return any(word in field for word in ("secret", "password", "token", "key"))


def load_or_create_secret(path: Path, nbytes: int = 64) -> bytes:
    """A random key kept in a 0600 file, created on first use (the local profile's JWT key)."""
    if path.exists():
        data = path.read_bytes().strip()
        if len(data) < 32:
            raise ValueError(f"The key file {path} is too short; delete it to generate a new one.")
        return data
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    data = secrets.token_hex(nbytes).encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return data


def jwt_secret_bytes(settings: Settings) -> bytes:
    if settings.jwt_secret is not None:
        return settings.jwt_secret.get_secret_value().encode()
    return load_or_create_secret(settings.keys_dir / "jwt.key")
