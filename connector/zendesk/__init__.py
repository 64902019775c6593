"""The Zendesk connector: incremental exports, lists, settings and bulk updates as plain records.

zenpy 2.0.57 is the client, but only to sign the caller's `requests.Session` in: the pages are
read as raw JSON through that session, because zenpy's object model costs about 150 µs a user.
Measured against the sandbox, 30,000 users through `users.incremental` + `to_dict()` took 8.9 s,
against 4.4 s for the same pages read as raw JSON through zenpy's session, most of which is the
sandbox itself (bare `requests` on the same pages takes as long as the connector). On a loaded
2-core machine the same pull measured 10.0 s against 4.3 s (140-210 µs a user over several runs).
`python -m bench.zendesk_object_model` reproduces the figures.

Every call goes through `connector.http.JsonApi`, under the shared retry policy, the account's
throttle and, for the incremental exports, their own 10-a-minute throttle. zenpy's own 429
handling (sleeping `Retry-After` with no bound) is therefore never in the path. URLs are built
from the caller's base URL, so zenpy's `ZENPY_FORCE_*` variables are not needed to point the
connector at the sandbox; the server's absolute `after_url` / `links.next` are followed as
given (with `per_page` put back where Zendesk leaves it out), once they are known to point at the
same account.

    connector = ZendeskConnector(ZendeskAccount("acme", "admin@acme.com", token), session)

    def store(page: ExportPage) -> None:  # the page first, then the cursor that follows it
        db.save_users(page.records)
        db.save_cursor(page.after_cursor)

    connector.users_since(store, cursor=db.cursor())  # start_time=... on the very first run
"""

from connector.zendesk.bulk import ChunkHandler
from connector.zendesk.changes import Change, InvalidChanges
from connector.zendesk.client import RATING_SCORES, ZendeskConnector
from connector.zendesk.export import ExportEnd, ExportPage, PageHandler
from connector.zendesk.jobs import BulkOutcome, ItemFailure
from connector.zendesk.records import DeletedUser, FieldOption, Group, UserField
from connector.zendesk.settings import (
    PLAN_REQUESTS_PER_MINUTE,
    JobPolling,
    ZendeskAccount,
    ZendeskLimits,
)
from connector.zendesk.shapes import UnexpectedResponse

__all__ = [
    "PLAN_REQUESTS_PER_MINUTE",
    "RATING_SCORES",
    "BulkOutcome",
    "Change",
    "ChunkHandler",
    "DeletedUser",
    "ExportEnd",
    "ExportPage",
    "FieldOption",
    "Group",
    "InvalidChanges",
    "ItemFailure",
    "JobPolling",
    "PageHandler",
    "UnexpectedResponse",
    "UserField",
    "ZendeskAccount",
    "ZendeskConnector",
    "ZendeskLimits",
]
