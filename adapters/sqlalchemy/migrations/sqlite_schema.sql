-- The SQLite schema the Alembic migrations produce, installed in one transaction on an empty database
-- (adapters/sqlalchemy/sqlite_schema.py). Generated: do not edit; after changing the migrations run
--     .venv/bin/python -m adapters.sqlalchemy.sqlite_schema
-- revision: 0016
CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL, 
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
CREATE TABLE audit_chain_head (
	id INTEGER NOT NULL, 
	seq INTEGER NOT NULL, 
	hash TEXT NOT NULL, sealed_at DATETIME, 
	CONSTRAINT pk_audit_chain_head PRIMARY KEY (id)
);
CREATE TABLE api_keys (
	id VARCHAR(32) NOT NULL, 
	user_id VARCHAR(32) NOT NULL, 
	name VARCHAR(100) NOT NULL, 
	prefix VARCHAR(32) NOT NULL, 
	key_hash VARCHAR(64) NOT NULL, 
	scopes JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	expires_at DATETIME, 
	revoked_at DATETIME, 
	last_used_at DATETIME, 
	CONSTRAINT pk_api_keys PRIMARY KEY (id), 
	CONSTRAINT fk_api_keys_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX ix_api_keys_user_id ON api_keys (user_id);
CREATE TABLE one_time_tokens (
	id VARCHAR(32) NOT NULL, 
	user_id VARCHAR(32) NOT NULL, 
	purpose VARCHAR(32) NOT NULL, 
	token_hash VARCHAR(64) NOT NULL, 
	created_at DATETIME NOT NULL, 
	expires_at DATETIME NOT NULL, 
	used_at DATETIME, 
	CONSTRAINT pk_one_time_tokens PRIMARY KEY (id), 
	CONSTRAINT fk_one_time_tokens_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX ix_one_time_tokens_user_id ON one_time_tokens (user_id);
CREATE TABLE sessions (
	id VARCHAR(32) NOT NULL, 
	user_id VARCHAR(32) NOT NULL, 
	created_at DATETIME NOT NULL, 
	expires_at DATETIME NOT NULL, 
	ip VARCHAR(64), 
	user_agent VARCHAR(300), 
	revoked_at DATETIME, 
	revoked_reason VARCHAR(64), 
	last_used_at DATETIME, 
	CONSTRAINT pk_sessions PRIMARY KEY (id), 
	CONSTRAINT fk_sessions_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX ix_sessions_user_id ON sessions (user_id);
CREATE TABLE refresh_tokens (
	id VARCHAR(32) NOT NULL, 
	session_id VARCHAR(32) NOT NULL, 
	token_hash VARCHAR(64) NOT NULL, 
	issued_at DATETIME NOT NULL, 
	expires_at DATETIME NOT NULL, 
	used_at DATETIME, 
	CONSTRAINT pk_refresh_tokens PRIMARY KEY (id), 
	CONSTRAINT fk_refresh_tokens_session_id_sessions FOREIGN KEY(session_id) REFERENCES sessions (id) ON DELETE CASCADE
);
CREATE INDEX ix_refresh_tokens_session_id ON refresh_tokens (session_id);
CREATE TABLE mail_accounts (
	id VARCHAR(32) NOT NULL, 
	user_id VARCHAR(32) NOT NULL, 
	provider VARCHAR(16) NOT NULL, 
	address VARCHAR(320) NOT NULL, 
	status VARCHAR(32) NOT NULL, 
	scopes JSON NOT NULL, 
	secret_ref VARCHAR(512), 
	last_error VARCHAR(500), 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	CONSTRAINT pk_mail_accounts PRIMARY KEY (id), 
	CONSTRAINT fk_mail_accounts_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE, 
	CONSTRAINT uq_mail_accounts_user_provider_address UNIQUE (user_id, provider, address)
);
CREATE INDEX ix_mail_accounts_user_id ON mail_accounts (user_id);
CREATE TABLE oauth_states (
	id VARCHAR(32) NOT NULL, 
	user_id VARCHAR(32) NOT NULL, 
	state_hash VARCHAR(64) NOT NULL, 
	code_verifier VARCHAR(128) NOT NULL, 
	return_to VARCHAR(500), 
	extra JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	expires_at DATETIME NOT NULL, 
	used_at DATETIME, 
	CONSTRAINT pk_oauth_states PRIMARY KEY (id), 
	CONSTRAINT fk_oauth_states_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX ix_oauth_states_user_id ON oauth_states (user_id);
CREATE TABLE job_outbox (
	id VARCHAR(32) NOT NULL, 
	name VARCHAR(100) NOT NULL, 
	payload JSON NOT NULL, 
	job_id VARCHAR(128), 
	run_at DATETIME, 
	max_attempts INTEGER NOT NULL, 
	base_delay_seconds FLOAT NOT NULL, 
	max_delay_seconds FLOAT NOT NULL, 
	jitter BOOLEAN NOT NULL, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_job_outbox PRIMARY KEY (id)
);
CREATE INDEX ix_job_outbox_created_at ON job_outbox (created_at);
CREATE TABLE events (
	seq INTEGER NOT NULL, 
	id VARCHAR(64) NOT NULL, 
	user_id VARCHAR(32) NOT NULL, 
	account_id VARCHAR(32), 
	type VARCHAR(64) NOT NULL, 
	data JSON NOT NULL, 
	occurred_at DATETIME NOT NULL, 
	published_at DATETIME, 
	CONSTRAINT pk_events PRIMARY KEY (seq), 
	CONSTRAINT fk_events_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE, 
	CONSTRAINT uq_events_id UNIQUE (id)
);
CREATE INDEX ix_events_occurred_at ON events (occurred_at);
CREATE INDEX ix_events_unpublished ON events (seq) WHERE published_at IS NULL;
CREATE INDEX ix_events_user_id_seq ON events (user_id, seq);
CREATE TABLE scheduled_emails (
	id VARCHAR(32) NOT NULL, 
	user_id VARCHAR(32) NOT NULL, 
	account_id VARCHAR(32) NOT NULL, 
	message JSON NOT NULL, 
	message_id VARCHAR(255) NOT NULL, 
	send_at DATETIME NOT NULL, 
	timezone VARCHAR(64) NOT NULL, 
	due_at DATETIME NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	attempts INTEGER NOT NULL, 
	lease_owner VARCHAR(64), 
	lease_expires_at DATETIME, 
	provider_message_id VARCHAR(255), 
	error VARCHAR(500), 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	sent_at DATETIME, 
	version INTEGER NOT NULL, 
	CONSTRAINT pk_scheduled_emails PRIMARY KEY (id), 
	CONSTRAINT fk_scheduled_emails_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX ix_scheduled_emails_status_due_at ON scheduled_emails (status, due_at);
CREATE INDEX ix_scheduled_emails_status_lease_expires_at ON scheduled_emails (status, lease_expires_at);
CREATE INDEX ix_scheduled_emails_user_id_send_at ON scheduled_emails (user_id, send_at);
CREATE TABLE mail_sync (
	account_id VARCHAR(32) NOT NULL, 
	cursor VARCHAR(32), 
	last_synced_at DATETIME, 
	last_full_sync_at DATETIME, 
	watch_expires_at DATETIME, 
	watch_status VARCHAR(16) NOT NULL, 
	watch_error VARCHAR(500), 
	CONSTRAINT pk_mail_sync PRIMARY KEY (account_id), 
	CONSTRAINT fk_mail_sync_account_id_mail_accounts FOREIGN KEY(account_id) REFERENCES mail_accounts (id) ON DELETE CASCADE
);
CREATE TABLE agent_conversations (
	id VARCHAR(64) NOT NULL, 
	user_id VARCHAR(32) NOT NULL, 
	title VARCHAR(200) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	messages INTEGER NOT NULL, 
	CONSTRAINT pk_agent_conversations PRIMARY KEY (id), 
	CONSTRAINT fk_agent_conversations_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX ix_agent_conversations_user_id_updated_at ON agent_conversations (user_id, updated_at);
CREATE TABLE agent_pending_actions (
	id VARCHAR(32) NOT NULL, 
	user_id VARCHAR(32) NOT NULL, 
	conversation_id VARCHAR(64) NOT NULL, 
	tool VARCHAR(64) NOT NULL, 
	payload JSON NOT NULL, 
	summary VARCHAR(500) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	created_at DATETIME NOT NULL, 
	tool_call_id VARCHAR(128) NOT NULL, 
	decided_at DATETIME, 
	result JSON NOT NULL, 
	error VARCHAR(1000), 
	version INTEGER NOT NULL, snapshot JSON, snapshot_hash VARCHAR(64), 
	CONSTRAINT pk_agent_pending_actions PRIMARY KEY (id), 
	CONSTRAINT fk_agent_pending_actions_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX ix_agent_pending_actions_conversation_id ON agent_pending_actions (conversation_id);
CREATE INDEX ix_agent_pending_actions_user_id_status_created_at ON agent_pending_actions (user_id, status, created_at);
CREATE TABLE agent_policies (
	user_id VARCHAR(32) NOT NULL, 
	auto_run_reversible BOOLEAN NOT NULL, 
	CONSTRAINT pk_agent_policies PRIMARY KEY (user_id), 
	CONSTRAINT fk_agent_policies_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE TABLE "audit_logs" (
	seq INTEGER, 
	id VARCHAR(32) NOT NULL, 
	occurred_at DATETIME NOT NULL, 
	action VARCHAR(64) NOT NULL, 
	actor_id VARCHAR(32), 
	target VARCHAR(200), 
	ip VARCHAR(64), 
	user_agent VARCHAR(300), 
	request_id VARCHAR(64), 
	details JSON NOT NULL, 
	prev_hash VARCHAR(64), 
	hash VARCHAR(64), 
	CONSTRAINT pk_audit_logs PRIMARY KEY (id), 
	CONSTRAINT uq_audit_logs_seq UNIQUE (seq)
);
CREATE INDEX ix_audit_logs_occurred_at ON audit_logs (occurred_at);
CREATE INDEX ix_audit_logs_action_at ON audit_logs (action, occurred_at);
CREATE INDEX ix_audit_logs_actor_at ON audit_logs (actor_id, occurred_at);
CREATE INDEX ix_audit_logs_unsealed ON audit_logs (occurred_at, id) WHERE seq IS NULL;
CREATE TABLE attachment_uploads (
	id VARCHAR(32) NOT NULL, 
	user_id VARCHAR(32) NOT NULL, 
	filename VARCHAR(255) NOT NULL, 
	content_type VARCHAR(255) NOT NULL, 
	size BIGINT NOT NULL, 
	sha256 VARCHAR(64) NOT NULL, 
	verdict VARCHAR(16) NOT NULL, 
	blob_key VARCHAR(1000) NOT NULL, 
	created_at DATETIME NOT NULL, 
	expires_at DATETIME, 
	holders JSON NOT NULL, 
	CONSTRAINT pk_attachment_uploads PRIMARY KEY (id), 
	CONSTRAINT fk_attachment_uploads_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX ix_attachment_uploads_expires_at ON attachment_uploads (expires_at);
CREATE INDEX ix_attachment_uploads_user_id_created_at ON attachment_uploads (user_id, created_at);
CREATE TABLE agent_changes (
	id VARCHAR(32) NOT NULL, 
	user_id VARCHAR(32) NOT NULL, 
	conversation_id VARCHAR(64) NOT NULL, 
	turn_id VARCHAR(64) NOT NULL, 
	tool VARCHAR(64) NOT NULL, 
	summary VARCHAR(500) NOT NULL, 
	undo JSON NOT NULL, 
	units INTEGER NOT NULL, 
	created_at DATETIME NOT NULL, 
	undone_at DATETIME, 
	version INTEGER NOT NULL, 
	CONSTRAINT pk_agent_changes PRIMARY KEY (id), 
	CONSTRAINT fk_agent_changes_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX ix_agent_changes_user_id_conversation_id ON agent_changes (user_id, conversation_id);
CREATE INDEX ix_agent_changes_user_id_turn_id ON agent_changes (user_id, turn_id);
CREATE TABLE webhook_endpoints (
	id VARCHAR(32) NOT NULL, 
	user_id VARCHAR(32) NOT NULL, 
	url VARCHAR(2000) NOT NULL, 
	description VARCHAR(300) NOT NULL, 
	event_types JSON NOT NULL, 
	enabled BOOLEAN NOT NULL, 
	secret_ref VARCHAR(500) NOT NULL, 
	previous_secret_ref VARCHAR(500), 
	previous_secret_expires_at DATETIME, 
	disabled_reason VARCHAR(16), 
	failing_since DATETIME, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	CONSTRAINT pk_webhook_endpoints PRIMARY KEY (id), 
	CONSTRAINT fk_webhook_endpoints_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX ix_webhook_endpoints_user_id_created_at ON webhook_endpoints (user_id, created_at);
CREATE TABLE webhook_deliveries (
	id VARCHAR(32) NOT NULL, 
	endpoint_id VARCHAR(32) NOT NULL, 
	user_id VARCHAR(32) NOT NULL, 
	event_id VARCHAR(64) NOT NULL, 
	event_type VARCHAR(64) NOT NULL, 
	body TEXT NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	attempts INTEGER NOT NULL, 
	replays INTEGER NOT NULL, 
	created_at DATETIME NOT NULL, 
	next_attempt_at DATETIME, 
	leased_until DATETIME, 
	last_status_code INTEGER, 
	last_error VARCHAR(500), 
	delivered_at DATETIME, 
	CONSTRAINT pk_webhook_deliveries PRIMARY KEY (id), 
	CONSTRAINT fk_webhook_deliveries_endpoint_id_webhook_endpoints FOREIGN KEY(endpoint_id) REFERENCES webhook_endpoints (id) ON DELETE CASCADE, 
	CONSTRAINT uq_webhook_deliveries_endpoint_id_event_id UNIQUE (endpoint_id, event_id)
);
CREATE INDEX ix_webhook_deliveries_endpoint_id_created_at ON webhook_deliveries (endpoint_id, created_at);
CREATE INDEX ix_webhook_deliveries_status_next_attempt_at ON webhook_deliveries (status, next_attempt_at);
CREATE TABLE webhook_attempts (
	id VARCHAR(32) NOT NULL, 
	delivery_id VARCHAR(32) NOT NULL, 
	number INTEGER NOT NULL, 
	at DATETIME NOT NULL, 
	status_code INTEGER, 
	latency_ms INTEGER NOT NULL, 
	response TEXT NOT NULL, 
	error VARCHAR(500), 
	outcome VARCHAR(16) NOT NULL, 
	CONSTRAINT pk_webhook_attempts PRIMARY KEY (id), 
	CONSTRAINT fk_webhook_attempts_delivery_id_webhook_deliveries FOREIGN KEY(delivery_id) REFERENCES webhook_deliveries (id) ON DELETE CASCADE
);
CREATE INDEX ix_webhook_attempts_delivery_id_number ON webhook_attempts (delivery_id, number);
CREATE TABLE slack_integrations (
	user_id VARCHAR(32) NOT NULL, 
	mode VARCHAR(16) NOT NULL, 
	secret_ref VARCHAR(500) NOT NULL, 
	channel VARCHAR(100), 
	enabled BOOLEAN NOT NULL, 
	config JSON NOT NULL, 
	last_summary_at DATETIME, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	CONSTRAINT pk_slack_integrations PRIMARY KEY (user_id), 
	CONSTRAINT fk_slack_integrations_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE TABLE calendar_sync (
	account_id VARCHAR(32) NOT NULL, 
	sync_token VARCHAR(500), 
	synced_at DATETIME, 
	channel_id VARCHAR(64), 
	channel_resource_id VARCHAR(200), 
	channel_token_hash VARCHAR(64), 
	channel_expires_at DATETIME, 
	CONSTRAINT pk_calendar_sync PRIMARY KEY (account_id), 
	CONSTRAINT fk_calendar_sync_account_id_mail_accounts FOREIGN KEY(account_id) REFERENCES mail_accounts (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX ix_calendar_sync_channel_id ON calendar_sync (channel_id);
CREATE TABLE "users" (
	id VARCHAR(32) NOT NULL, 
	email VARCHAR(320) NOT NULL, 
	role VARCHAR(16) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	password_hash VARCHAR(255), 
	external_subject VARCHAR(255), 
	display_name VARCHAR(200), 
	created_at DATETIME NOT NULL, 
	email_verified_at DATETIME, 
	undo_send_seconds INTEGER DEFAULT (10) NOT NULL, 
	image_senders JSON DEFAULT '[]' NOT NULL, 
	conversation_view BOOLEAN DEFAULT 1 NOT NULL, 
	CONSTRAINT pk_users PRIMARY KEY (id), 
	CONSTRAINT uq_users_email UNIQUE (email), 
	CONSTRAINT uq_users_external_subject UNIQUE (external_subject)
);
INSERT INTO "alembic_version" VALUES('0016');
INSERT INTO "audit_chain_head" VALUES(1,0,'0000000000000000000000000000000000000000000000000000000000000000',NULL);
