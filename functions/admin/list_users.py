"""GET /api/v1/admin/users?status=&role=&limit=&cursor=: user profiles, oldest first. Admins."""

import functions_framework

from shared.admin import service
from shared.http import Call, Reply, endpoint
from shared.identity.schemas import Profile, UserPage, UserQuery


@functions_framework.http
@endpoint
def list_users(call: Call) -> Reply:
    q = call.query(UserQuery)
    rows, cursor = service.list_users(q.status, q.role, q.limit, q.cursor)
    return UserPage(items=[Profile.from_row(r) for r in rows], next_cursor=cursor)
