"""Admin functions (spec endpoints.md §2 paths, with its Required notes: validated bodies,
super-admin only, audited)."""

from knative.spec import AuditSpec, FunctionSpec

S = "shared.admin.schemas"
A = "shared.audit_state"
ACCEPTED = "shared.outbox.reply:CommandAccepted"


def _command(name: str, path: str, summary: str, model: str | None = None, *,
             audit: AuditSpec) -> FunctionSpec:
    return FunctionSpec(
        name=name, service="admin", kind="http", method="POST", path=path, summary=summary,
        auth="super_admin", command=True, request_model=f"{S}:{model}" if model else None,
        response_model=ACCEPTED, response_status=202, tags=("admin",), audit=audit,
    )


def _query(name: str, path: str, summary: str, model: str) -> FunctionSpec:
    return FunctionSpec(
        name=name, service="admin", kind="http", method="GET", path=path, summary=summary,
        response_model=f"{S}:{model}", tags=("admin",),
    )


FUNCTIONS = [
    _command("bootstrap_system", "/api/v1/bootstrap", "Bootstrap the chain (once)",
             audit=AuditSpec(action="SYSTEM_BOOTSTRAP_REQUESTED", target_type="SYSTEM",
                             before=f"{A}:system")),
    _command("initialize_countries", "/api/v1/countries/initialize",
             "Initialise per-country genesis quotas", "InitializeCountriesIn",
             audit=AuditSpec(action="COUNTRIES_INITIALIZE_REQUESTED", target_type="SYSTEM",
                             before=f"{A}:countries")),
    _command("update_parameter", "/api/v1/parameters", "Change a system parameter",
             "UpdateParameterIn",
             audit=AuditSpec(action="PARAMETER_UPDATE_REQUESTED", target_type="PARAMETER",
                             target="body:paramId", before=f"{A}:parameter")),
    _command("pause_system", "/api/v1/system/pause", "Pause the system", "PauseIn",
             audit=AuditSpec(action="SYSTEM_PAUSE_REQUESTED", target_type="SYSTEM",
                             before=f"{A}:system")),
    _command("resume_system", "/api/v1/system/resume", "Resume the system",
             audit=AuditSpec(action="SYSTEM_RESUME_REQUESTED", target_type="SYSTEM",
                             before=f"{A}:system")),
    _command("appoint_admin", "/api/v1/admins", "Appoint an administrator", "AppointAdminIn",
             audit=AuditSpec(action="ADMIN_APPOINTED", target_type="USER",
                             target="body:newAdminId", before=f"{A}:profile")),
    _command("activate_treasury", "/api/v1/treasury/activate", "Activate a national treasury",
             "ActivateTreasuryIn",
             audit=AuditSpec(action="TREASURY_ACTIVATION_REQUESTED", target_type="TREASURY",
                             target="body:countryCode", before=f"{A}:treasury")),
    _query("get_system_status", "/api/v1/system/status", "System status", "SystemStatusReply"),
    _query("get_parameter", "/api/v1/parameters/{paramId}", "One system parameter",
           "ParameterReply"),
    _query("list_parameters", "/api/v1/parameters", "Every system parameter", "ParameterList"),
    _query("list_countries", "/api/v1/countries", "Countries and allocation shares",
           "CountryList"),
    _query("get_country_stats", "/api/v1/countries/{countryCode}/stats",
           "Statistics of one country", "CountryStatsReply"),
    _query("get_counters", "/api/v1/counters", "Global counters", "CountersReply"),
    FunctionSpec(
        name="list_users", service="admin", kind="http", method="GET", path="/api/v1/admin/users",
        summary="User profiles", auth="admin", query_model="shared.identity.schemas:UserQuery",
        response_model="shared.identity.schemas:UserPage", tags=("admin",),
    ),
]
