"""One sync: pull → rules → lists → plan → apply, with the state store between the steps.

    report = run_sync(loaded, services, store, SyncOptions(dry_run=True), progress)

Each step leaves the store in a state the next run can start from (see `pull`, `evaluate`,
`mailchimp_apply`, `surveys`). A dry run pulls (reading only) and evaluates inside a transaction
it rolls back, so the next real sync plans exactly what the dry run showed; it writes to no
service and no file.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, select

from connector.errors import ConnectorError
from connector.mailchimp import MailchimpConnector
from connector.zendesk import BulkOutcome
from jobs import csv_export, mailchimp_plan, surveys
from jobs.connections import Services
from jobs.evaluate import EvaluationCounts, Scope, Targets, decide_scope, evaluate
from jobs.mailchimp_apply import AudienceApply
from jobs.mailchimp_pull import pull_members, remember_push
from jobs.progress import Progress, Stage, StopRequested
from jobs.pull import pull
from jobs.runreport import (
    DestinationResult,
    ListCounts,
    MailchimpPlan,
    Plan,
    RunReport,
    Warning,
)
from jobs.state import StateStore
from jobs.state import tables as t
from jobs.state.outbox import OutboxItem, Write, mark_done, mark_failed, open_writes
from jobs.writeback import written_ticket, written_user_part
from jobs.zendesk_records import content_hash
from mappings.config import Config
from mappings.engine import Mappings
from mappings.lists import CompiledList

EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_PARTIAL, EXIT_LOCKED = 0, 1, 2, 3, 4
PASSING_ZENDESK = frozenset({"NoResult", "JobFailed", "JobUnfinished"})


@dataclass(frozen=True)
class SyncOptions:
    dry_run: bool = False
    full: bool = False
    only: str | None = None
    force: bool = False
    now: int | None = None  # Unix seconds; the clock by default


@dataclass
class Run:
    """What the steps of one run share."""

    mappings: Mappings
    services: Services
    store: StateStore
    options: SyncOptions
    progress: Progress
    base_dir: Path
    now: int
    run_id: int
    targets: Targets
    report: RunReport

    @property
    def config(self) -> Any:
        return self.mappings.config

    def error(self, stage: str) -> Callable[[str, str, bool], None]:
        def record(what: str, message: str, permanent: bool) -> None:
            self.store.record_error(self.run_id, stage, what, message, permanent=permanent)

        return record


def run_sync(
    mappings: Mappings,
    services: Services,
    store: StateStore,
    options: SyncOptions,
    progress: Progress,
    base_dir: Path,
    group_ids: dict[str, int] | None = None,
    started: Callable[[int], None] = lambda run_id: None,
) -> RunReport:
    """Run one sync under the store's lock (`LockHeld` if another holds it); never raises for
    a failure of the run itself: the report says `failed` and why. When `progress` is asked to
    stop, the run ends after its batch in flight is stored, or between steps: `stopped`.
    `started(run_id)` is told once the lock is held and the run recorded."""
    now = options.now if options.now is not None else int(time.time())
    with store.sync_lock():
        run_id = store.start_run(now, dry_run=options.dry_run, full=options.full)
        started(run_id)
        with progress.bound(run=run_id):  # every line of the run names it
            plan = Plan(options.dry_run, now, options.full, options.only)
            report = RunReport(run_id, plan)
            run = Run(
                mappings,
                services,
                store,
                options,
                progress,
                base_dir,
                now,
                run_id,
                Targets(),
                report,
            )
            try:
                run.targets = _targets(run, group_ids or {})
                _pull(run)
                progress.stop_if_asked("after the pull")
                _evaluate_and_plan(run)
                if not options.dry_run:
                    progress.stop_if_asked("before applying the plan")
                    _apply(run)
                report.status = _status(report)
            except StopRequested as stop:
                # Everything done so far is stored with its checkpoint: the next run resumes there.
                report.status, report.error = "stopped", str(stop)
            except ConnectorError as error:
                report.status, report.error = "failed", str(error)
            except BaseException as error:  # KeyboardInterrupt too: no run is left "running"
                report.status, report.error = "failed", f"{type(error).__name__}: {error}"
                raise
            finally:
                report.calls = services.calls()
                store.finish_run(run_id, report.status, _counts(report), int(time.time()))
    return report


def exit_code(report: RunReport) -> int:
    """A stopped run exits 0: it stopped because it was asked to, and lost nothing."""
    codes = {"succeeded": EXIT_OK, "stopped": EXIT_OK, "partial": EXIT_PARTIAL}
    return codes.get(report.status, EXIT_FAILED)


# --- the steps -----------------------------------------------------------------------------


@contextmanager
def _timed(run: Run, stage: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        run.report.seconds[stage] = time.perf_counter() - started


def _targets(run: Run, group_ids: dict[str, int]) -> Targets:
    config = run.config
    audiences: dict[str, str] = {}
    names: dict[str, tuple[str, ...]] = {}
    mailchimp = run.services.mailchimp
    for lst in config.lists:
        if lst.mailchimp is None or mailchimp is None:
            continue
        configured = lst.mailchimp.audience
        if configured.casefold() in audiences:
            continue
        found = mailchimp.find_audience(configured)
        audiences[configured.casefold()] = found.id
        names[found.id] = tuple(dict.fromkeys((*names.get(found.id, ()), found.id, configured)))
    field = config.mailchimp.unsubscribed_field if config.mailchimp else None
    return Targets(
        audiences=audiences,
        audience_names=names,
        group_ids=group_ids,
        unsubscribed_field=field.removeprefix("user_fields.") if field else None,
        status_if_new=config.mailchimp.status_if_new if config.mailchimp else "pending",
        deleted_users=config.mailchimp.deleted_users if config.mailchimp else "leave",
    )


def reads_user_updated_at(config: Config) -> bool:
    """Whether any rule, list, group, merge field or column names `user.updated_at`."""
    return "user.updated_at" in json.dumps(config.model_dump(mode="json"))


def _pull(run: Run) -> None:
    with _timed(run, "pull zendesk"), run.progress.stage("pull from Zendesk") as stage:
        counts = pull(
            run.services.zendesk,
            run.store,
            run.run_id,
            run.now,
            full=run.options.full,
            user_updated_at_read=reads_user_updated_at(run.config),
            on_page=stage.advance,
        )
    run.report.plan.pulled = counts.as_counts()
    if counts.set_aside:
        run.report.plan.warnings.append(
            Warning(
                "set_aside",
                f"{counts.set_aside} Zendesk record(s) could not be read and were set aside "
                f"(see `deskbridge runs`)",
            )
        )
    mailchimp = run.services.mailchimp
    if mailchimp is None:
        return
    with _timed(run, "pull mailchimp"), run.progress.stage("read Mailchimp audiences") as stage:
        for audience_id in sorted(set(run.targets.audiences.values())):
            merge_tags = {
                tag
                for lst in _lists_of(run.mappings, run.targets, audience_id)
                for tag, _ in lst.merge_fields
            }
            read = pull_members(
                mailchimp,
                run.store,
                audience_id,
                merge_tags,
                run.run_id,
                run.now,
                full=run.options.full,
                on_page=stage.advance,
            )
            run.report.plan.pulled[f"mailchimp_members:{audience_id}"] = read.members
            run.report.plan.pulled[f"mailchimp_walks:{audience_id}"] = read.walks
            run.report.plan.pulled["consent_changes"] = (
                run.report.plan.pulled.get("consent_changes", 0) + read.consent_changes
            )


def _evaluate_and_plan(run: Run) -> None:
    with run.store.engine.connect() as connection:
        checkpoint = (lambda: None) if run.options.dry_run else connection.commit
        scope = decide_scope(connection, run.mappings, run.targets, run.now, run.options.full)
        with _timed(run, "evaluate"), run.progress.stage("evaluate profiles") as stage:
            counts = evaluate(
                connection,
                run.mappings,
                run.targets,
                scope,
                run.run_id,
                run.now,
                checkpoint,
                stage.advance,
            )
        with _timed(run, "plan"):
            _plan(run, connection, scope, counts)
        if run.options.dry_run:
            connection.rollback()
        else:
            connection.commit()


def _plan(run: Run, connection: Connection, scope: Scope, counts: EvaluationCounts) -> None:
    plan = run.report.plan
    plan.evaluated = counts.evaluated
    plan.profiles = connection.execute(
        select(func.count()).select_from(t.profiles).where(t.profiles.c.status == "active")
    ).scalar_one()
    plan.lists = _list_counts(connection, run.mappings, counts, run.options.only)
    for reason in scope.reasons:
        run.progress.log("scope", reason=reason)
    zendesk = plan.zendesk
    zendesk.conflicts = counts.conflicts
    zendesk.unsubscribed_marked = counts.unsubscribed_marked
    o = t.outbox.c
    for operation, state, n in connection.execute(
        select(o.operation, o.state, func.count())
        .where(o.destination == "zendesk", o.state.in_(("planned", "failed")))
        .group_by(o.operation, o.state)
    ):
        if operation == "update_user":
            zendesk.user_updates += n
        else:
            zendesk.ticket_updates += n
        if state == "failed":
            zendesk.retried += n
    for example in counts.conflict_examples[:5]:
        plan.warnings.append(Warning("conflict", example))
    for audience_id in sorted(set(run.targets.audiences.values())):
        plan.mailchimp.append(_audience_plan(run, connection, audience_id))
    if run.services.surveymonkey is not None:
        plan.surveys = [
            s
            for s in surveys.plan(connection, run.config, run.now)
            if run.options.only in (None, *s.lists)
        ]
    for lst in run.mappings.lists:
        if lst.spec.csv is not None and run.options.only in (None, lst.name):
            csv_plan, _digest = csv_export.plan(connection, lst, run.base_dir)
            plan.csv.append(csv_plan)


def _audience_plan(run: Run, connection: Connection, audience_id: str) -> MailchimpPlan:
    lists = _lists_of(run.mappings, run.targets, audience_id)
    owners = mailchimp_plan.TagOwners.of(lists)
    mailchimp_plan.settle_absent(connection, audience_id, run.now)
    counts = mailchimp_plan.count(connection, audience_id, owners, lists)
    configured = next(
        (lst.spec.mailchimp.audience for lst in lists if lst.spec.mailchimp), audience_id
    )
    _warn_deletions(run, counts, configured)
    held = mailchimp_plan.guarded_lists(counts, run.config.limits.max_removal_share)
    withheld = 0
    for name, why in held.items():
        if run.options.force:
            continue
        withheld += counts.removals_by_list.get(name, 0)
        run.report.plan.warnings.append(Warning("blast_radius", f"{name}: {why}", name))
    # Since the last real sync: a dry run in between read them too, but applied nothing.
    last_real = (
        select(func.coalesce(func.max(t.runs.c.id), 0))
        .where(t.runs.c.dry_run.is_(False), t.runs.c.id < run.run_id)
        .scalar_subquery()
    )
    events = connection.execute(
        select(func.count())
        .select_from(t.consent_events)
        .where(t.consent_events.c.run_id > last_real, t.consent_events.c.audience == audience_id)
    ).scalar_one()
    if counts.consent_kept:
        run.report.plan.warnings.append(
            Warning(
                "consent",
                f"{counts.consent_kept} people on lists for {configured!r} are unsubscribed or "
                "cleaned in Mailchimp: they are not added, updated or tagged",
            )
        )
    return MailchimpPlan(
        audience=configured,
        audience_id=audience_id,
        adds=counts.adds,
        updates=counts.updates,
        tag_adds=counts.tag_adds,
        tag_removals=counts.tag_removals,
        archives=counts.archives,
        erasures=counts.erasures,
        consent_kept=counts.consent_kept,
        withheld_removals=withheld,
        unsubscribes_seen=events,
        rejected=counts.rejected,
    )


def _warn_deletions(run: Run, counts: mailchimp_plan.AudienceDiffCounts, configured: str) -> None:
    """Customers deleted in Zendesk are archived or erased whatever the blast-radius guard
    says (they asked for it), so the admin is told how many, before and as it happens."""
    for n, done in (
        (counts.erasures, "erased (permanently) from"),
        (counts.deleted_archives, "archived in"),
    ):
        if not n:
            continue
        people = "customer" if n == 1 else "customers"
        message = (
            f"{n} {people} deleted in Zendesk will be {done} Mailchimp audience {configured!r}"
        )
        if run.options.only is not None:
            message += " by the next sync without --only (not by this one)"
        run.report.plan.warnings.append(Warning("deleted_users", message))


def _list_counts(
    connection: Connection, mappings: Mappings, counts: EvaluationCounts, only: str | None
) -> list[ListCounts]:
    m = t.memberships.c
    members = {
        (name, group): n
        for name, group, n in connection.execute(
            select(m.list_name, m.group_name, func.count()).group_by(m.list_name, m.group_name)
        )
    }
    keys = set(members) | set(counts.joined) | set(counts.left)
    found = []
    for lst in mappings.lists:
        if only not in (None, lst.name):
            continue
        groups = sorted(group for name, group in keys if name == lst.name and group)
        whole = (lst.name, "")
        total = sum(n for (name, _), n in members.items() if name == lst.name)
        found.append(
            ListCounts(
                lst.name,
                None,
                total if lst.group_by else members.get(whole, 0),
                counts.joined.get(whole, 0),
                counts.left.get(whole, 0),
            )
        )
        for group in groups:
            key = (lst.name, group)
            found.append(
                ListCounts(
                    lst.name,
                    group,
                    members.get(key, 0),
                    counts.joined.get(key, 0),
                    counts.left.get(key, 0),
                )
            )
    return found


def _apply(run: Run) -> None:
    only = run.options.only
    if only is None:
        with _timed(run, "apply zendesk"), run.progress.stage("write back to Zendesk") as stage:
            _apply_zendesk(run, stage)
    mailchimp = run.services.mailchimp
    withheld = frozenset(
        w.list for w in run.report.plan.warnings if w.kind == "blast_radius" and w.list
    )
    if mailchimp is not None:
        with _timed(run, "apply mailchimp"), run.progress.stage("push to Mailchimp") as stage:
            for audience in run.report.plan.mailchimp:
                lists = _lists_of(run.mappings, run.targets, audience.audience_id)
                if only is None or only in {lst.name for lst in lists}:
                    _apply_audience(run, mailchimp, stage, audience, lists, withheld)
    surveymonkey = run.services.surveymonkey
    if surveymonkey is not None:
        planned = run.report.plan.surveys
        with (
            _timed(run, "apply surveymonkey"),
            run.progress.stage("send survey invitations", len(planned)) as stage,
        ):
            requests = run.services.stats()["surveymonkey"]
            for survey in planned:  # one survey's invitations are one batch, one message
                before = requests.requests
                result = surveys.apply(
                    surveymonkey,
                    run.store,
                    run.config,
                    survey.survey,
                    run.now,
                    run.error("apply"),
                )
                result.calls = requests.requests - before
                run.report.results.append(result)
                stage.advance()
    with _timed(run, "apply csv"):
        for csv_plan in run.report.plan.csv:
            lst = run.mappings.list_named(csv_plan.list)
            assert lst is not None
            result = DestinationResult(f"csv:{lst.name}")
            if csv_plan.changed:
                with run.store.engine.begin() as connection:
                    path = Path(csv_plan.path)
                    excel = lst.spec.csv is not None and lst.spec.csv.excel
                    count, digest = csv_export.write(connection, lst, path, excel=excel)
                    csv_export.remember(connection, lst, path, digest, count, run.now)
                    result.done = count
            run.report.results.append(result)


def _apply_audience(
    run: Run,
    mailchimp: MailchimpConnector,
    stage: Stage,
    audience: MailchimpPlan,
    lists: list[CompiledList],
    withheld: frozenset[str],
) -> None:
    owners = mailchimp_plan.TagOwners.of(lists)
    applier = AudienceApply(
        mailchimp,
        run.store,
        audience.audience_id,
        run.now,
        withheld,
        run.error("apply"),
        stage.advance,
    )
    # in the report from the start, so a stopped run counts the batches it sent
    result = applier.result
    result.destination = f"mailchimp:{audience.audience}"
    run.report.results.append(result)
    with _calls_into(run, "mailchimp", result):
        if audience.adds or audience.updates:
            merge = {tag: "text" for lst in lists for tag, _ in lst.merge_fields}
            if merge:
                mailchimp.ensure_merge_fields(audience.audience_id, merge)
        started = datetime.now(UTC)
        with run.store.engine.connect() as connection:
            diffs = mailchimp_plan.planned(connection, audience.audience_id)
            if run.options.only is not None:
                diffs = _only(diffs, owners, run.options.only)
            applier.run(diffs)
    with run.store.engine.begin() as connection:
        mailchimp_plan.settle(connection, audience.audience_id, owners)
    remember_push(run.store, audience.audience_id, started, datetime.now(UTC), result.done, run.now)


def _only(
    diffs: Iterator[mailchimp_plan.MemberDiff], owners: mailchimp_plan.TagOwners, only: str
) -> Iterator[mailchimp_plan.MemberDiff]:
    """The diffs as far as one list's tags go (an upsert only for its members); archiving or
    erasing customers deleted in Zendesk belongs to no list, so it waits for a whole run."""

    def mine(tag: str) -> bool:
        owner = owners.owner(tag)
        return owner is not None and owner.name == only

    for diff in diffs:
        adds = tuple(tag for tag in diff.add_tags if mine(tag))
        yield diff._replace(
            upsert=diff.upsert if adds else None,
            add_tags=adds,
            remove_tags=tuple(r for r in diff.remove_tags if r[1] == only),
            archive_for=diff.archive_for if diff.archive_for == only else None,
            deletion=None,
        )


@contextmanager
def _calls_into(run: Run, service: str, result: DestinationResult) -> Iterator[None]:
    """Count the requests `service` makes inside the block as `result`'s calls."""
    stats = run.services.stats()[service]
    before = stats.requests
    try:
        yield
    finally:
        result.calls += stats.requests - before


def _apply_zendesk(run: Run, stage: Stage) -> None:
    """The outbox's writes, users then tickets. Each bulk job's outcome is stored as it ends;
    after a stop is asked, no further job is sent and the rest stays in the outbox."""
    items = open_writes(run.store, "zendesk")
    zendesk = run.services.zendesk
    for kind, operation, send in (
        ("users", "update_user", zendesk.update_users),
        ("tickets", "update_ticket", zendesk.update_tickets),
    ):
        result = DestinationResult(f"zendesk:{kind}")
        run.report.results.append(result)
        chosen = [i for i in items if i.write.operation == operation]
        with _calls_into(run, "zendesk", result):
            _send_writes(run, stage, result, chosen, send)
        stage.stop_if_asked()


def _send_writes(
    run: Run,
    stage: Stage,
    result: DestinationResult,
    chosen: list[OutboxItem],
    send: Callable[..., BulkOutcome],
) -> None:
    if not chosen:
        return
    latest = {_record_id(i): i for i in chosen}  # the newest write per record wins
    stage.set_total((stage.total or 0) + len(latest))
    changes = [
        (record_id, {k: v for k, v in i.write.payload.items() if k != "id"})
        for record_id, i in latest.items()
    ]

    def settle(outcome: BulkOutcome) -> None:
        _settle_outbox(run, latest, outcome, result)
        stage.count(len(outcome.succeeded) + len(outcome.failed))

    send(changes, settle, run.progress.should_stop)


def remember_written(store: StateStore, writes: dict[int, Write]) -> None:
    """Keep the stored users and tickets as the successful writes left them in Zendesk."""
    if not writes:
        return
    with store.engine.begin() as connection:
        for record_id, write in writes.items():
            attributes = {k: v for k, v in write.payload.items() if k != "id"}
            if write.operation == "update_user":
                p = t.profiles.c
                data = connection.execute(select(p.data).where(p.user_id == record_id)).scalar()
                if data is not None:
                    new = written_user_part(data, attributes)
                    connection.execute(
                        t.profiles.update()
                        .where(p.user_id == record_id)
                        .values(data=new, content_hash=content_hash(new))
                    )
            else:
                row = connection.execute(
                    select(t.tickets).where(t.tickets.c.id == record_id)
                ).first()
                if row is not None:
                    changed = written_ticket(dict(row._mapping), attributes)
                    if changed:
                        connection.execute(
                            t.tickets.update().where(t.tickets.c.id == record_id).values(changed)
                        )


def _record_id(item: OutboxItem) -> int:
    return int(item.write.payload["id"])


def _settle_outbox(
    run: Run, items: dict[int, OutboxItem], outcome: BulkOutcome, result: DestinationResult
) -> None:
    done = [items[i].id for i in outcome.succeeded if i in items]
    mark_done(run.store, done, run.now)
    remember_written(run.store, {i: items[i].write for i in outcome.succeeded if i in items})
    result.done += len(done)
    for failure in outcome.failed:
        item = items.get(failure.id)
        if item is None:
            continue
        permanent = failure.error not in PASSING_ZENDESK
        why = f"{failure.error}: {failure.details}"
        mark_failed(run.store, [item.id], why, run.now, permanent=permanent)
        run.store.record_error(run.run_id, "apply", item.write.record, why, permanent=permanent)
        if permanent:
            result.permanent += 1
        else:
            result.failed += 1


# --- small helpers ---------------------------------------------------------------------------


def _lists_of(mappings: Mappings, targets: Targets, audience_id: str) -> list[CompiledList]:
    return [lst for lst in mappings.lists if targets.audience_of(lst) == audience_id]


def _status(report: RunReport) -> str:
    withheld = not report.plan.dry_run and any(
        w.kind == "blast_radius" for w in report.plan.warnings
    )
    return "partial" if report.failed_records or withheld else "succeeded"


def _counts(report: RunReport) -> dict[str, int]:
    from jobs.render import run_counts

    return run_counts(report)
