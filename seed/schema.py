"""The shared database schema (SQLAlchemy Core).

Alembic migrations in ``seed/migrations`` are the only way this schema reaches a database; this module is
what the migrations were generated from and what the query layer builds its statements on.

Conventions
- Every fact table records when a thing happened (``*_on`` / ``*_at``) and when it was recorded
  (``recorded_at``): figures "as of" a cut-off only count rows recorded by then.
- Fact tables that are filtered by region and industry carry the enterprise's ``city_adcode``,
  ``county_adcode``, ``industry_code`` and ``sector_code`` (copied at insert time), so a scope filter never
  needs a join and every scope column can be indexed.
- Warning and risk levels are integers 1..4: 1 = 重大 (red), 2 = 较大 (orange), 3 = 一般 (yellow),
  4 = 低 (blue).
"""
from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)


def _scope_columns(with_industry: bool = True) -> list[Column]:
    cols = [
        Column("city_adcode", Integer, nullable=False),
        Column("county_adcode", Integer, nullable=False),
    ]
    if with_industry:
        cols += [
            Column("industry_code", String(8), nullable=False),
            Column("sector_code", String(16), nullable=False),
        ]
    return cols


def _recorded() -> Column:
    return Column("recorded_at", DateTime, nullable=False)


def _provenance() -> list[Column]:
    """Where an imported row came from: ``import_batches.id`` (file, importer, time) and the file's row number.

    Null for rows the platform itself collected (or the demo generator wrote). An update by a later import
    moves the row's provenance to that import; an import that changes nothing leaves it alone.
    """
    return [Column("import_id", Integer, nullable=True), Column("import_row", Integer, nullable=True)]


def _scope_indexes(table: str, date_col: str, with_industry: bool = True) -> list[Index]:
    ix = [
        Index(f"ix_{table}_city_{date_col}", "city_adcode", date_col),
        Index(f"ix_{table}_county_{date_col}", "county_adcode", date_col),
    ]
    if with_industry:
        ix.append(Index(f"ix_{table}_sector_{date_col}", "sector_code", date_col))
    return ix


# --- reference data -----------------------------------------------------------------------------------

divisions = Table(
    "divisions", metadata,
    Column("adcode", Integer, primary_key=True, autoincrement=False),
    Column("name", String(32), nullable=False),
    Column("short_name", String(16), nullable=False),
    Column("level", String(8), nullable=False),  # province | city | county
    Column("parent_adcode", Integer, ForeignKey("divisions.adcode"), nullable=True),
    Column("city_adcode", Integer, nullable=True),  # the city a county belongs to (itself for a city)
    Column("label_lon", Float, nullable=False),
    Column("label_lat", Float, nullable=False),
    CheckConstraint("level in ('province','city','county')", name="level"),
)

industries = Table(
    "industries", metadata,
    Column("code", String(16), primary_key=True),
    Column("name", String(64), nullable=False),
    # section (GB/T 4754 门类, one letter) | division (大类, letter + 2 digits) | sector (regulatory sector)
    Column("kind", String(10), nullable=False),
    Column("parent_code", String(16), nullable=True),
    Column("high_risk", Boolean, nullable=False, default=False),
    Column("risk_report_scope", Boolean, nullable=False, default=False),
    Column("sort_order", Integer, nullable=False, default=0),
    CheckConstraint("kind in ('section','division','sector')", name="kind"),
)

grids = Table(
    "grids", metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("kind", String(10), nullable=False),  # zongzhi 综治 | yingji 应急 | anquan 安全生产监管
    Column("name", String(64), nullable=False),
    *_scope_columns(with_industry=False),
    # the grid registry's count of enterprises filed in this grid (实有企业建档), as the registry reports it
    Column("enterprises_filed", Integer, nullable=False, default=0),
    Column("established_on", Date, nullable=False),
    _recorded(),
    *_provenance(),
    CheckConstraint("kind in ('zongzhi','yingji','anquan')", name="kind"),
    CheckConstraint("enterprises_filed >= 0", name="filed"),
    Index("ix_grids_city_kind", "city_adcode", "kind"),
    Index("ix_grids_county_kind", "county_adcode", "kind"),
)

enterprises = Table(
    "enterprises", metadata,
    Column("id", Integer, primary_key=True),
    Column("uscc", String(18), nullable=False, unique=True),  # 统一社会信用代码, GB 32100
    Column("name", String(128), nullable=False),
    *_scope_columns(),
    Column("above_scale", Boolean, nullable=False),  # 规模以上
    Column("is_key", Boolean, nullable=False),  # 重点企业 whose supervision data the platform collects
    Column("lon", Float, nullable=False),  # WGS84
    Column("lat", Float, nullable=False),
    Column("grid_id", Integer, ForeignKey("grids.id"), nullable=True),
    Column("established_on", Date, nullable=False),
    _recorded(),
    Index("ix_enterprises_city_sector", "city_adcode", "sector_code"),
    Index("ix_enterprises_county_sector", "county_adcode", "sector_code"),
    Index("ix_enterprises_name", "name"),
    Index("ix_enterprises_recorded_at", "recorded_at"),  # (as-of lookups: may the register's cells serve)
)

data_sources = Table(
    "data_sources", metadata,  # 安委会成员单位 feeding the platform
    Column("id", Integer, primary_key=True),
    Column("city_adcode", Integer, nullable=False),
    Column("name", String(64), nullable=False),
    Column("connected_on", Date, nullable=False),
    _recorded(),
    UniqueConstraint("city_adcode", "name", name="uq_data_sources_city_name"),
)

# --- major hazard sources and online monitoring ---------------------------------------------------------

hazard_sources = Table(
    "hazard_sources", metadata,
    Column("id", Integer, primary_key=True),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=False),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(64), nullable=False),
    Column("level", Integer, nullable=False),  # GB 18218-2018 一级..四级
    Column("r_value", Float, nullable=False),
    *_scope_columns(),
    Column("online_since", Date, nullable=True),  # null: not connected to online monitoring
    _recorded(),
    CheckConstraint("level between 1 and 4", name="level"),
    Index("ix_hazard_sources_enterprise", "enterprise_id"),
    Index("ix_hazard_sources_city", "city_adcode"),
    Index("ix_hazard_sources_county", "county_adcode"),
)

monitoring_points = Table(
    "monitoring_points", metadata,
    Column("id", Integer, primary_key=True),
    Column("hazard_source_id", Integer, ForeignKey("hazard_sources.id"), nullable=False),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=False),
    Column("code", String(40), nullable=False, unique=True),
    Column("name", String(64), nullable=False),
    # temperature | pressure | level | flow | gas_flammable | gas_toxic
    Column("kind", String(16), nullable=False),
    Column("unit", String(12), nullable=False),
    Column("normal_value", Float, nullable=False),
    Column("low_alarm", Float, nullable=True),
    Column("high_alarm", Float, nullable=True),
    Column("high_high_alarm", Float, nullable=True),
    *_scope_columns(),
    _recorded(),
    Index("ix_monitoring_points_hazard_source", "hazard_source_id"),
    Index("ix_monitoring_points_enterprise", "enterprise_id"),
    Index("ix_monitoring_points_city", "city_adcode"),
    Index("ix_monitoring_points_county", "county_adcode"),
)

point_state = Table(
    "point_state", metadata,  # the latest state of each point, maintained on ingest
    Column("point_id", Integer, ForeignKey("monitoring_points.id"), primary_key=True, autoincrement=False),
    Column("value", Float, nullable=True),
    Column("status", String(8), nullable=False),  # normal | alarm | offline
    Column("reading_at", DateTime, nullable=True),
    Column("updated_at", DateTime, nullable=False),
    CheckConstraint("status in ('normal','alarm','offline')", name="status"),
)

point_counts = Table(
    # the monitoring points' states counted by county, sector and industry at a moment (queries.ingest
    # .record_point_counts: at seeding and every hour the feed or the gateway runs): what 报警, 离线 and 在线率 were at
    # a past time, which point_state (the latest state only) cannot tell
    "point_counts", metadata,
    Column("taken_at", DateTime, primary_key=True),
    Column("county_adcode", Integer, primary_key=True, autoincrement=False),
    Column("sector_code", String(16), primary_key=True),
    Column("industry_code", String(8), primary_key=True),
    Column("city_adcode", Integer, nullable=False),
    Column("points", Integer, nullable=False),
    Column("alarm", Integer, nullable=False),
    Column("offline", Integer, nullable=False),
)

readings = Table(
    "readings", metadata,
    Column("point_id", Integer, primary_key=True, autoincrement=False),
    Column("ts", DateTime, primary_key=True),
    Column("value", Float, nullable=False),
    Column("recorded_at", DateTime, nullable=False),
)

warnings = Table(
    "warnings", metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("point_id", Integer, ForeignKey("monitoring_points.id"), nullable=True),
    Column("hazard_source_id", Integer, ForeignKey("hazard_sources.id"), nullable=True),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=False),
    Column("level", Integer, nullable=False),  # 1 重大/红 .. 4 低/蓝
    # over_limit 超限 | gas_leak 泄漏 | offline 离线 | equipment 设备故障
    Column("type", String(16), nullable=False),
    Column("title", String(128), nullable=False),
    Column("peak_value", Float, nullable=True),
    Column("repeat_count", Integer, nullable=False, default=1),
    Column("raised_at", DateTime, nullable=False),
    Column("last_seen_at", DateTime, nullable=False),
    Column("pushed_at", DateTime, nullable=True),
    Column("acknowledged_at", DateTime, nullable=True),
    Column("verified_at", DateTime, nullable=True),
    Column("closed_at", DateTime, nullable=True),
    *_scope_columns(),
    _recorded(),
    # handling by people (queries.handling, migration 0005). acknowledged_at / verified_at / closed_at stay the
    # figures' source whoever took the step; version grows by one with every step (the optimistic check of a
    # step: a page submits the version it drew); touched_at is when a person first took a step — the simulator
    # of ``oversight feed`` never moves such a warning again
    Column("version", Integer, nullable=False, default=0, server_default="0"),
    Column("handled_at", DateTime, nullable=True),  # 处置 recorded
    Column("verify_result", String(16), nullable=True),  # confirmed 属实 | false_alarm 误报 | device_fault 设备故障
    Column("close_reason", Text, nullable=True),  # 消警 reason
    Column("escalated_at", DateTime, nullable=True),  # first 督办 by the provincial duty room
    Column("touched_at", DateTime, nullable=True),
    CheckConstraint("level between 1 and 4", name="level"),
    Index("ix_warnings_city_raised", "city_adcode", "raised_at"),
    Index("ix_warnings_county_raised", "county_adcode", "raised_at"),
    Index("ix_warnings_raised", "raised_at"),
    Index("ix_warnings_open", "closed_at", "level"),
    Index("ix_warnings_point", "point_id", "closed_at"),
)

sms_pushes = Table(
    "sms_pushes", metadata,
    Column("id", Integer, primary_key=True),
    Column("warning_id", Integer, ForeignKey("warnings.id"), nullable=False),
    Column("recipient_kind", String(12), nullable=False),  # enterprise | regulator
    Column("recipient", String(64), nullable=False),
    Column("phone", String(16), nullable=False),  # masked
    Column("sent_at", DateTime, nullable=False),
    Column("status", String(12), nullable=False),  # delivered | failed
    _recorded(),
    Index("ix_sms_pushes_warning", "warning_id"),
)

warning_steps = Table(
    "warning_steps", metadata,  # every handling step of a warning: who, when, what (queries.handling)
    Column("id", Integer, primary_key=True),
    Column("warning_id", Integer, ForeignKey("warnings.id"), nullable=False),
    # ack 签收 | verify 核查 | handle 处置 | close 消警 | escalate 督办
    Column("step", String(10), nullable=False),
    Column("result", String(16), nullable=True),  # verify only: confirmed | false_alarm | device_fault
    Column("note", Text, nullable=False, default="", server_default=""),  # at most 2,000 characters
    Column("actor", String(32), nullable=False),  # the username ("system": the simulator or the demo history)
    Column("actor_role", String(10), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("version", Integer, nullable=False),  # the warning's version this step produced
    _recorded(),
    CheckConstraint("step in ('ack','verify','handle','close','escalate')", name="step"),
    CheckConstraint("result is null or result in ('confirmed','false_alarm','device_fault')", name="result"),
    CheckConstraint("length(note) <= 2000", name="note"),
    UniqueConstraint("warning_id", "version", name="uq_warning_steps_warning_version"),
    Index("ix_warning_steps_warning", "warning_id", "at"),
)

handling_deadlines = Table(
    "handling_deadlines", metadata,  # 处置时限 by warning level, minutes from the warning's raising (admin edits)
    Column("level", Integer, primary_key=True, autoincrement=False),
    Column("ack_minutes", Integer, nullable=False),
    Column("verify_minutes", Integer, nullable=False),
    Column("close_minutes", Integer, nullable=False),
    Column("version", Integer, nullable=False, default=0, server_default="0"),
    Column("updated_by", String(32), nullable=True),
    Column("updated_at", DateTime, nullable=False),
    CheckConstraint("level between 1 and 4", name="level"),
    CheckConstraint("ack_minutes > 0 and ack_minutes <= verify_minutes and verify_minutes <= close_minutes",
                    name="order"),
)

# --- enforcement -------------------------------------------------------------------------------------

campaigns = Table(
    "campaigns", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False),
    Column("city_adcode", Integer, nullable=True),  # null: a province-wide campaign
    Column("start_on", Date, nullable=False),
    Column("end_on", Date, nullable=False),
    Column("target_inspections", Integer, nullable=False),
    _recorded(),
)

campaign_industries = Table(  # key industries the campaign analysed (剖析研判重点行业)
    "campaign_industries", metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", Integer, ForeignKey("campaigns.id"), nullable=False),
    Column("name", String(64), nullable=False),
    Column("sector_code", String(16), nullable=True),
    _recorded(),
)

campaign_departments = Table(
    "campaign_departments", metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", Integer, ForeignKey("campaigns.id"), nullable=False),
    Column("name", String(64), nullable=False),
    _recorded(),
)

checklist_items = Table(
    "checklist_items", metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", Integer, ForeignKey("campaigns.id"), nullable=False),
    Column("kind", String(12), nullable=False),  # common 共性问题 | individual 个性重点事项
    Column("sector_code", String(16), nullable=True),
    Column("text", String(200), nullable=False),
    _recorded(),
    CheckConstraint("kind in ('common','individual')", name="kind"),
)

inspections = Table(
    "inspections", metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", Integer, ForeignKey("campaigns.id"), nullable=True),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=False),
    Column("department", String(32), nullable=False),
    Column("inspected_on", Date, nullable=False),
    Column("online", Boolean, nullable=False, default=True),
    *_scope_columns(),
    _recorded(),
    Column("record_no", String(40), nullable=True),  # 检查记录编号 of a city's system (imported records)
    *_provenance(),
    # derived (seed.derived, kept by triggers): the enterprise's previous inspection (in (inspected_on, id)
    # order) overall and by the same department, and whether this is its first inspection in the campaign —
    # "enterprises inspected" in a period become plain counts instead of COUNT(DISTINCT)
    Column("prev_on", Date, nullable=True),
    Column("prev_dept_on", Date, nullable=True),
    Column("first_in_campaign", Boolean, nullable=False, server_default=false()),
    *_scope_indexes("inspections", "inspected_on"),
    Index("uq_inspections_record_no", "record_no", unique=True),
    Index("ix_inspections_inspected_on", "inspected_on"),
    Index("ix_inspections_enterprise", "enterprise_id", "inspected_on"),
    Index("ix_inspections_recorded_at", "recorded_at"),
    # the campaigns' progress (inspections and enterprises by campaign up to a day) from this index alone where the
    # campaigns' cells cannot serve (as of a past time, without the derived columns)
    Index("ix_inspections_campaign", "campaign_id", "inspected_on", "first_in_campaign"),
)

hidden_hazards = Table(
    "hidden_hazards", metadata,
    Column("id", Integer, primary_key=True),
    Column("inspection_id", Integer, ForeignKey("inspections.id"), nullable=False),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=False),
    Column("checklist_item_id", Integer, ForeignKey("checklist_items.id"), nullable=True),
    Column("major", Boolean, nullable=False),  # 重大事故隐患
    Column("found_on", Date, nullable=False),
    Column("rectify_deadline", Date, nullable=False),
    Column("rectified_on", Date, nullable=True),
    *_scope_columns(),
    _recorded(),
    *_provenance(),
    *_scope_indexes("hidden_hazards", "found_on"),
    Index("ix_hidden_hazards_found_on", "found_on"),
    # the as-of figures' newest-row lookups (max(recorded_at) and the like) read an index's last entry, not the table
    Index("ix_hidden_hazards_recorded_at", "recorded_at"),
    Index("ix_hidden_hazards_rectified_on", "rectified_on"),
)

cases = Table(
    "cases", metadata,
    Column("id", Integer, primary_key=True),
    Column("case_no", String(40), nullable=False, unique=True),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=False),
    Column("inspection_id", Integer, ForeignKey("inspections.id"), nullable=True),
    Column("filed_on", Date, nullable=False),  # 立案
    # 立案 filed → 调查取证 investigating → 告知 notified → 决定 decided → 执行 executing → 结案 closed
    Column("stage", String(14), nullable=False),
    Column("decided_on", Date, nullable=True),
    Column("closed_on", Date, nullable=True),
    Column("fine_yuan", Numeric(14, 2), nullable=False, default=0),
    Column("online", Boolean, nullable=False),  # handled fully online (全流程线上流转)
    Column("transferred_judicial", Boolean, nullable=False, default=False),
    *_scope_columns(),
    _recorded(),
    *_provenance(),
    *_scope_indexes("cases", "filed_on"),
    Index("ix_cases_filed_on", "filed_on"),
    Index("ix_cases_recorded_at", "recorded_at"),  # (as-of lookups)
    CheckConstraint(
        "stage in ('filed','investigating','notified','decided','executing','closed')", name="stage"),
)

suspension_orders = Table(
    "suspension_orders", metadata,  # 责令停产停业整顿
    Column("id", Integer, primary_key=True),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=False),
    Column("inspection_id", Integer, ForeignKey("inspections.id"), nullable=True),
    Column("ordered_on", Date, nullable=False),
    Column("lifted_on", Date, nullable=True),
    *_scope_columns(),
    _recorded(),
    *_provenance(),
    *_scope_indexes("suspension_orders", "ordered_on"),
    Index("ix_suspension_orders_recorded_at", "recorded_at"),  # (as-of lookups)
)

joint_actions = Table(
    "joint_actions", metadata,  # 联合执法 / 联动执法
    Column("id", Integer, primary_key=True),
    Column("campaign_id", Integer, ForeignKey("campaigns.id"), nullable=True),
    Column("name", String(64), nullable=False),
    Column("departments", String(200), nullable=False),
    Column("action_on", Date, nullable=False),
    Column("enterprises_checked", Integer, nullable=False),
    *_scope_columns(with_industry=False),
    _recorded(),
    *_scope_indexes("joint_actions", "action_on", with_industry=False),
)

exposures = Table(
    "exposures", metadata,  # 曝光
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=True),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("exposed_on", Date, nullable=False),
    *_scope_columns(),
    _recorded(),
    *_scope_indexes("exposures", "exposed_on"),
)

joint_punishments = Table(
    "joint_punishments", metadata,  # 联合惩戒
    Column("id", Integer, primary_key=True),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=False),
    Column("measures", String(200), nullable=False),
    Column("decided_on", Date, nullable=False),
    *_scope_columns(),
    _recorded(),
    *_scope_indexes("joint_punishments", "decided_on"),
)

blacklist_entries = Table(
    "blacklist_entries", metadata,  # 黑名单 / 严重失信主体名单
    Column("id", Integer, primary_key=True),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=False),
    Column("reason", String(200), nullable=False),
    Column("listed_on", Date, nullable=False),
    Column("removed_on", Date, nullable=True),
    *_scope_columns(),
    _recorded(),
    *_scope_indexes("blacklist_entries", "listed_on"),
)

watchlist_entries = Table(
    "watchlist_entries", metadata,  # “不放心”企业名单, pushed to other departments
    Column("id", Integer, primary_key=True),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=False),
    Column("reason", String(200), nullable=False),
    Column("pushed_to", String(200), nullable=False),
    Column("listed_on", Date, nullable=False),
    *_scope_columns(),
    _recorded(),
    *_scope_indexes("watchlist_entries", "listed_on"),
)

work_orders = Table(
    "work_orders", metadata,  # 数字监督: reminder / supervision work orders
    Column("id", Integer, primary_key=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("kind", String(12), nullable=False),  # reminder 提醒 | supervision 监督
    Column("subject", String(200), nullable=False),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=True),
    Column("created_on", Date, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("closed_on", Date, nullable=True),
    *_scope_columns(with_industry=False),
    _recorded(),
    *_scope_indexes("work_orders", "created_on", with_industry=False),
    CheckConstraint("kind in ('reminder','supervision')", name="kind"),
)

# --- 督办: supervision orders (queries.supervision, migration 0006) ------------------------------------------

supervision_orders = Table(
    "supervision_orders", metadata,  # 督办单: a leader's order to a city or a county, with a deadline
    Column("id", Integer, primary_key=True),
    Column("code", String(20), nullable=False, unique=True),  # DB-<year>-<number in the year>, e.g. DB-2021-0001
    Column("issuer", String(32), nullable=False),  # username
    Column("issuer_role", String(10), nullable=False),
    Column("issuer_region", Integer, nullable=True),  # the issuer's binding (null: the province)
    Column("region_adcode", Integer, nullable=False),  # the addressee: a city or a county
    Column("city_adcode", Integer, nullable=False),
    Column("county_adcode", Integer, nullable=True),  # null: addressed to the city itself
    # view (a page with its scope and as-of) | campaign | enterprise | warning | text
    Column("subject_kind", String(12), nullable=False),
    Column("subject_ref", String(500), nullable=False, default="", server_default=""),  # an id or the view's link
    Column("subject_title", String(200), nullable=False),
    Column("instruction", Text, nullable=False),  # 批示, at most 2,000 characters
    Column("deadline", DateTime, nullable=False),
    Column("state", String(10), nullable=False),  # open 在办 | answered 已反馈 | closed 办结
    Column("version", Integer, nullable=False, default=1, server_default="1"),
    Column("created_at", DateTime, nullable=False),
    Column("answered_at", DateTime, nullable=True),  # the latest reply (cleared when the issuer returns it)
    Column("closed_at", DateTime, nullable=True),
    Column("returned_count", Integer, nullable=False, default=0, server_default="0"),
    _recorded(),
    CheckConstraint("subject_kind in ('view','campaign','enterprise','warning','text')", name="subject_kind"),
    CheckConstraint("state in ('open','answered','closed')", name="state"),
    CheckConstraint("length(instruction) <= 2000", name="instruction"),
    Index("ix_supervision_orders_city_inbox", "city_adcode", "state", "deadline"),
    Index("ix_supervision_orders_county_inbox", "county_adcode", "state", "deadline"),
    Index("ix_supervision_orders_issuer", "issuer", "created_at"),
)

supervision_events = Table(
    "supervision_events", metadata,  # every send, reply, return and close of an order: who, when, what
    Column("id", Integer, primary_key=True),
    Column("order_id", Integer, ForeignKey("supervision_orders.id"), nullable=False),
    Column("kind", String(10), nullable=False),  # send | reply | return | close
    Column("text", Text, nullable=False, default="", server_default=""),  # at most 5,000 characters
    Column("actor", String(32), nullable=False),
    Column("actor_role", String(10), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("version", Integer, nullable=False),  # the order's version this event produced
    _recorded(),
    CheckConstraint("kind in ('send','reply','return','close')", name="kind"),
    CheckConstraint("length(text) <= 5000", name="text"),
    UniqueConstraint("order_id", "version", name="uq_supervision_events_order_version"),
    Index("ix_supervision_events_order", "order_id", "at"),
)

list_checks = Table(
    "list_checks", metadata,  # the work on a list entry: on-site verification, rectification notice, follow-up
    Column("id", Integer, primary_key=True),
    # key_control: a risk report on the key-control list (risk_reports.id); watchlist: a “不放心” entry
    Column("list_kind", String(12), nullable=False),
    Column("entry_id", Integer, nullable=False),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=False),
    Column("city_adcode", Integer, nullable=False),
    Column("county_adcode", Integer, nullable=False),
    Column("finding", String(14), nullable=False),  # substantiated 属实 | unfounded 不属实
    Column("verified_on", Date, nullable=False),
    Column("verified_by", String(32), nullable=False),
    Column("verify_note", Text, nullable=False, default="", server_default=""),
    Column("notice_no", String(40), nullable=True),  # 整改通知书 number (属实 only)
    Column("notice_deadline", Date, nullable=True),
    Column("noticed_by", String(32), nullable=True),
    Column("rectified_on", Date, nullable=True),  # 整改完成 confirmed by the follow-up check
    Column("followed_by", String(32), nullable=True),
    Column("version", Integer, nullable=False, default=1, server_default="1"),
    Column("updated_at", DateTime, nullable=False),
    _recorded(),
    CheckConstraint("list_kind in ('key_control','watchlist')", name="list_kind"),
    CheckConstraint("finding in ('substantiated','unfounded')", name="finding"),
    CheckConstraint("length(verify_note) <= 2000", name="verify_note"),
    UniqueConstraint("list_kind", "entry_id", name="uq_list_checks_entry"),
    Index("ix_list_checks_city", "city_adcode", "list_kind"),
    Index("ix_list_checks_county", "county_adcode", "list_kind"),
)

# --- risk reports (江苏省工业企业安全生产风险报告规定) ---------------------------------------------------

risk_obligations = Table(
    "risk_obligations", metadata,  # an enterprise required to report, and by when
    Column("id", Integer, primary_key=True),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=False),
    Column("kind", String(10), nullable=False),  # initial 首次 | annual 年度
    Column("year", Integer, nullable=False),
    Column("above_scale", Boolean, nullable=False),
    Column("due_on", Date, nullable=False),
    *_scope_columns(),
    _recorded(),
    *_provenance(),
    UniqueConstraint("enterprise_id", "kind", "year", name="uq_risk_obligations_natural"),
    # a region's obligations, in order of their due date: its earliest deadline is the first matching entry (every
    # initial obligation carries the rule's one deadline, so a walk of the due-date index alone would pass most of
    # the province before reaching a late city's first row)
    Index("ix_risk_obligations_city_due", "city_adcode", "due_on"),
    Index("ix_risk_obligations_county_due", "county_adcode", "due_on"),
    Index("ix_risk_obligations_due_on", "due_on"),
    Index("ix_risk_obligations_recorded_at", "recorded_at"),  # (as-of lookups)
)

risk_reports = Table(
    "risk_reports", metadata,
    Column("id", Integer, primary_key=True),
    Column("obligation_id", Integer, ForeignKey("risk_obligations.id"), nullable=False),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=False),
    Column("kind", String(10), nullable=False),  # initial | annual | change
    Column("submitted_at", DateTime, nullable=False),
    Column("zero_risk", Boolean, nullable=False),
    Column("key_control", Boolean, nullable=False, default=False),  # 纳入重点管控清单
    # null: not checked | confirmed 属实 | under_reported 瞒报漏报 → rectification notice
    Column("verification", String(16), nullable=True),
    Column("verified_on", Date, nullable=True),
    Column("rectify_deadline", Date, nullable=True),
    *_scope_columns(),
    _recorded(),
    Column("report_no", String(40), nullable=True),  # 报告编号 of the risk-report system (imported reports)
    *_provenance(),
    # derived (seed.derived, kept by triggers): the obligation's first report (in (submitted_at, id) order),
    # and the report's risk items: all, 较大 or above (level ≤ 2), 重大 (level 1)
    Column("first_for_obligation", Boolean, nullable=False, server_default=false()),
    Column("first_for_required", Boolean, nullable=False, server_default=false()),
    Column("items_total", Integer, nullable=False, server_default="0"),
    Column("items_major_or_above", Integer, nullable=False, server_default="0"),
    Column("items_major", Integer, nullable=False, server_default="0"),
    Index("ix_risk_reports_city_submitted", "city_adcode", "submitted_at"),
    Index("uq_risk_reports_report_no", "report_no", unique=True),
    Index("ix_risk_reports_county_submitted", "county_adcode", "submitted_at"),
    Index("ix_risk_reports_obligation", "obligation_id"),
    Index("ix_risk_reports_recorded_at", "recorded_at"),
    Index("ix_risk_reports_verified_on", "verified_on"),  # (as-of lookups)
    Index("ix_risk_reports_submitted", "submitted_at"),  # (the first report: the risk topic's first day)
    # the key-control list (a few per cent of the reports), read live on every page run: its rates and entries
    Index("ix_risk_reports_key_control", "submitted_at",
          postgresql_where=text("key_control IS true"), sqlite_where=text("key_control IS 1")),
)

risk_items = Table(
    "risk_items", metadata,
    Column("id", Integer, primary_key=True),
    Column("report_id", Integer, ForeignKey("risk_reports.id"), nullable=False),
    Column("name", String(128), nullable=False),
    Column("place", String(64), nullable=False),
    Column("level", Integer, nullable=False),  # 1 重大 .. 4 低
    Column("accident_type", String(32), nullable=False),
    Column("controls", String(200), nullable=False),
    Column("catalogue_code", String(16), nullable=True),  # 较大以上安全生产风险目录
    _recorded(),
    CheckConstraint("level between 1 and 4", name="level"),
    Index("ix_risk_items_report", "report_id"),
    # 较大以上 risks by catalogue entry (``queries.risk.major_risks``): a quarter of the items, read from the index
    # alone instead of every wide item row
    Index("ix_risk_items_major", "report_id", "level", "catalogue_code", "name",
          postgresql_where=text("level <= 2"), sqlite_where=text("level <= 2")),
)

# --- credit and training --------------------------------------------------------------------------------

credit_ratings = Table(
    "credit_ratings", metadata,  # 安全信用脸谱
    Column("id", Integer, primary_key=True),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=False),
    Column("colour", String(8), nullable=False),  # green (best) | blue | yellow | red (worst)
    Column("score", Float, nullable=False),
    Column("rated_on", Date, nullable=False),
    *_scope_columns(),
    _recorded(),
    *_provenance(),
    # derived (seed.derived, kept by triggers): when the enterprise's next rating took over (null: none yet),
    # so "the latest rating at a date" is a plain filter instead of a window over every rating
    Column("superseded_on", Date, nullable=True),
    CheckConstraint("colour in ('green','blue','yellow','red')", name="colour"),
    Index("ix_credit_ratings_enterprise", "enterprise_id", "rated_on"),
    Index("ix_credit_ratings_recorded_at", "recorded_at"),
    Index("ix_credit_ratings_city", "city_adcode", "rated_on"),
    Index("ix_credit_ratings_county", "county_adcode", "rated_on"),
    # the maintained aggregates' partial month (seed.cells: ratings given / superseded since the month began) and the
    # newest rating date of a province-wide scope
    Index("ix_credit_ratings_rated_on", "rated_on"),
    Index("ix_credit_ratings_superseded_on", "superseded_on"),
    # the worst-rated enterprises, one colour at a time, lowest score first (queries.credit.enterprises)
    Index("ix_credit_ratings_colour_score", "colour", "score", "enterprise_id"),
)

# Maintained aggregates of the period facts (seed.cells keeps them exact; queries.cells reads them): per fact, per
# month of its date and per county × sector × industry, the rows and up to two counted conditions and an amount.
_CELL_KEY = ("fact", "month", "city_adcode", "county_adcode", "sector_code", "industry_code")


def _cell_columns(count_type, *extra_key: Column) -> list:
    return [Column("fact", String(16), nullable=False),
            Column("month", Date, nullable=False),  # the first day of the month
            Column("city_adcode", Integer, nullable=False),
            Column("county_adcode", Integer, nullable=False),
            Column("sector_code", String(16), nullable=False),
            Column("industry_code", String(8), nullable=False),
            *extra_key,
            *(Column(c, count_type, nullable=False) for c in ("n", "a", "b", "amount_fen")),
            # the city too: a cell never changes its city, whatever a write does to a row's region columns
            PrimaryKeyConstraint(*_CELL_KEY, *(c.name for c in extra_key))]


period_cells = Table(
    "period_cells", metadata,
    *_cell_columns(BigInteger),
    Index("ix_period_cells_city", "fact", "city_adcode", "month"),
)

# the same per enterprise, for the facts of seed.cells ``ENTERPRISE`` (hidden hazards: the enterprises with the most);
# integers, not bigints: one enterprise's month never nears 2^31, and PostgreSQL sums integers into a bigint but
# bigints into a numeric (the top list sums ~200 k cells into ~170 k groups: ~250 against ~200 ms)
enterprise_cells = Table(
    "enterprise_cells", metadata,
    *_cell_columns(Integer, Column("enterprise_id", Integer, nullable=False)),
    Index("ix_enterprise_cells_city", "fact", "city_adcode", "month"),
    Index("ix_enterprise_cells_county", "fact", "county_adcode", "month"),  # (a county's few among the province's)
    Index("ix_enterprise_cells_enterprise", "fact", "enterprise_id", "month"),  # (the top list's few candidates)
)

# for seed.cells ``ENTERPRISE_YEAR``: hidden hazards per enterprise and calendar year (``month``: 1 January), in any
# region or industry; read by their count, highest first (the bound of the top list)
enterprise_year_cells = Table(
    "enterprise_year_cells", metadata,
    Column("fact", String(16), nullable=False),
    Column("month", Date, nullable=False),
    Column("enterprise_id", Integer, nullable=False),
    *(Column(c, Integer, nullable=False) for c in ("n", "a", "b", "amount_fen")),
    PrimaryKeyConstraint("fact", "month", "enterprise_id"),
    Index("ix_enterprise_year_cells_n", "fact", "month", "n"),
)

# the same per campaign, for seed.cells ``CAMPAIGN`` (a campaign's inspections and enterprises inspected by a cut-off)
campaign_cells = Table(
    "campaign_cells", metadata,
    *_cell_columns(Integer, Column("campaign_id", Integer, nullable=False)),
    Index("ix_campaign_cells_city", "fact", "city_adcode", "month"),
)

# and per inspecting department, for seed.cells ``DEPARTMENT`` (the period's inspections and enterprises by department)
department_cells = Table(
    "department_cells", metadata,
    *_cell_columns(Integer, Column("department", String(32), nullable=False)),
    Index("ix_department_cells_city", "fact", "city_adcode", "month"),
)

def _plain_cells(name: str, *extra_key: Column) -> Table:
    """A table of cells keyed by month (or day) and county alone, for the stores of seed.cells that leave out the
    sector and the industry (their cells serve only scopes of every industry)."""
    return Table(
        name, metadata,
        Column("fact", String(16), nullable=False),
        Column("month", Date, nullable=False),  # the first day of the month, or the day (a store of days)
        Column("city_adcode", Integer, nullable=False),
        Column("county_adcode", Integer, nullable=False),
        *extra_key,
        *(Column(c, Integer, nullable=False) for c in ("n", "a", "b", "amount_fen")),
        PrimaryKeyConstraint("fact", "month", "city_adcode", "county_adcode", *(c.name for c in extra_key)),
        Index(f"ix_{name}_city", "fact", "city_adcode", "month"),
    )


# for seed.cells ``FIRST_REPORTS``: the obliged enterprises' first risk reports per day and county (the completion
# curve by day)
report_day_cells = _plain_cells("report_day_cells")
# for seed.cells ``CATALOGUE``: the 较大以上 risk items per month of their report, county, catalogue entry (none: ''),
# name and level (the risks by catalogue entry)
catalogue_cells = _plain_cells("catalogue_cells", Column("catalogue_code", String(16), nullable=False),
                               Column("name", String(128), nullable=False), Column("level", Integer, nullable=False))


training_sessions = Table(
    "training_sessions", metadata,
    Column("id", Integer, primary_key=True),
    Column("title", String(128), nullable=False),
    Column("topic", String(32), nullable=False),  # risk_report | general
    Column("held_on", Date, nullable=False),
    Column("participants", Integer, nullable=False),
    Column("enterprises", Integer, nullable=False),
    *_scope_columns(with_industry=False),
    _recorded(),
    *_scope_indexes("training_sessions", "held_on", with_industry=False),
)

# --- accounts and audit -----------------------------------------------------------------------------------

users = Table(
    "users", metadata,
    Column("username", String(32), primary_key=True),
    Column("display_name", String(64), nullable=False),
    Column("password_hash", String(100), nullable=False),
    # leader | city | officer | duty | writer | admin
    Column("role", String(10), nullable=False),
    # binding: null = whole province; a city for city, a city or a county for officer
    Column("region_adcode", Integer, nullable=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("demo", Boolean, nullable=False, default=False),
    Column("created_at", DateTime, nullable=False),
    # sign-in state (queries.accounts, migration 0004): attempts reserved since the last success and the lock the
    # MAX_FAILURES-th one set; the dashboards' PostgreSQL role can neither write these nor read password_hash
    Column("failed_logins", Integer, nullable=False, default=0, server_default="0"),
    Column("locked_until", DateTime, nullable=True),
    # carried in the sign-in cookie and compared on every page run: sign-out increments it, and a trigger
    # increments it whenever password_hash, role, region_adcode or active change (every session of the user ends)
    Column("session_version", Integer, nullable=False, default=0, server_default="0"),
    CheckConstraint("role in ('leader','city','officer','duty','writer','admin')", name="role"),
)

audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime, nullable=False),
    Column("username", String(32), nullable=True),
    Column("event", String(16), nullable=False),  # login | logout | login_failed | lockout | page_view | export | …
    Column("detail", Text, nullable=False, default=""),
    Index("ix_audit_log_at", "at"),
)

seed_runs = Table(
    "seed_runs", metadata,  # how and when the demo data were built ("now" of the live parts)
    Column("id", Integer, primary_key=True),
    Column("scale", String(12), nullable=False),
    Column("seed", Integer, nullable=False),
    Column("started_at", DateTime, nullable=False),
    Column("anchor_at", DateTime, nullable=False),  # the wall-clock time live data are relative to
    Column("seconds", Float, nullable=False),
    Column("rows", Integer, nullable=False),
)

# --- spreadsheet intake (oversight import) ----------------------------------------------------------------

import_batches = Table(
    "import_batches", metadata,  # one accepted file: every imported row points here (import_id)
    Column("id", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),  # enforcement | campaign-stats | risk-reports | credit | grids
    Column("file_name", String(255), nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("importer", String(64), nullable=False),
    Column("imported_at", DateTime, nullable=False),
    Column("rows", Integer, nullable=False),
    Column("inserted", Integer, nullable=False),
    Column("updated", Integer, nullable=False),
    Column("unchanged", Integer, nullable=False),
    Index("ix_import_batches_at", "imported_at"),
)

campaign_stats = Table(
    "campaign_stats", metadata,  # a county's monthly campaign statistics as the city bureau reports them (月报)
    Column("id", Integer, primary_key=True),
    Column("campaign_id", Integer, ForeignKey("campaigns.id"), nullable=False),
    Column("month", Date, nullable=False),  # first day of the month reported
    *_scope_columns(with_industry=False),
    Column("enterprises_checked", Integer, nullable=False),
    Column("inspections", Integer, nullable=False),
    Column("hidden_hazards", Integer, nullable=False),
    Column("major_hazards", Integer, nullable=False),
    Column("rectified", Integer, nullable=False),
    Column("suspensions", Integer, nullable=False),
    Column("cases", Integer, nullable=False),
    Column("fines_yuan", Numeric(14, 2), nullable=False),
    _recorded(),
    *_provenance(),
    UniqueConstraint("campaign_id", "county_adcode", "month", name="uq_campaign_stats_natural"),
    Index("ix_campaign_stats_city_month", "city_adcode", "month"),
)

PROVENANCE_TABLES = [t for t in metadata.sorted_tables if "import_id" in t.c]

FACT_TABLES_WITH_SCOPE = [
    t for t in metadata.sorted_tables
    if "city_adcode" in t.c and "county_adcode" in t.c and t.name not in {"divisions"}
]
