"""Administration: users, the audit log (its sealer and verifier), failed jobs and system metrics."""

from __future__ import annotations

from dependency_injector import containers, providers

from application.use_cases.export_audit_log import ExportAuditLog
from application.use_cases.get_system_metrics import GetSystemMetrics
from application.use_cases.list_audit_logs import ListAuditLogs
from application.use_cases.list_failed_jobs import ListFailedJobs
from application.use_cases.list_users import ListUsers
from application.use_cases.requeue_failed_job import RequeueFailedJob
from application.use_cases.seal_audit_log import SealAuditLog
from application.use_cases.update_user import UpdateUser
from application.use_cases.verify_audit_chain import VerifyAuditChain


class AdminContainer(containers.DeclarativeContainer):
    uow = providers.Dependency()
    clock = providers.Dependency()
    cache = providers.Dependency()
    job_queue = providers.Dependency()
    circuit_breakers = providers.Dependency()
    mailboxes = providers.Dependency()

    list_users = providers.Factory(ListUsers, uow)
    update_user = providers.Factory(UpdateUser, uow, cache, clock)
    list_audit_logs = providers.Factory(ListAuditLogs, uow)
    export_audit_log = providers.Factory(ExportAuditLog, uow, clock)
    verify_audit_chain = providers.Factory(VerifyAuditChain, uow)
    seal_audit_log = providers.Factory(SealAuditLog, uow, clock)
    list_failed_jobs = providers.Factory(ListFailedJobs, job_queue)
    requeue_failed_job = providers.Factory(RequeueFailedJob, job_queue, uow, clock)
    get_system_metrics = providers.Factory(
        GetSystemMetrics,
        circuit_breakers,
        cache,
        job_queue,
        providers.Callable(lambda mailboxes: mailboxes.cache_stats, mailboxes),
        uow=uow,
        clock=clock,
    )
