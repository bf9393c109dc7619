from enum import StrEnum


class AuditAction(StrEnum):
    """The one registry of audited actions, named `<target type>.<verb>`: the part before the dot is the target type
    every entry of the action carries (docs/audit.md lists what each one records)."""

    # access
    api_key_created = "api_key.created"
    api_key_revoked = "api_key.revoked"
    api_key_replaced = "api_key.replaced"  # revoked by `cxloop api-key create --replace`
    auth_failed = "auth.failed"  # an unknown or revoked API key; sampled (audit/sampling.py)
    sign_in_failed = "sign_in.failed"  # a wrong email or password at the web app's sign-in; sampled per address
    user_created = "user.created"
    user_updated = "user.updated"
    user_role_changed = "user.role_changed"
    # surveys
    survey_created = "survey.created"
    survey_updated = "survey.updated"
    survey_published = "survey.published"  # status became live
    survey_closed = "survey.closed"  # status became closed (archived)
    survey_deleted = "survey.deleted"
    # journeys and triggers
    journey_created = "journey.created"
    journey_updated = "journey.updated"
    journey_deleted = "journey.deleted"
    stage_created = "stage.created"
    stage_updated = "stage.updated"
    stage_deleted = "stage.deleted"
    touchpoint_created = "touchpoint.created"
    touchpoint_updated = "touchpoint.updated"
    touchpoint_deleted = "touchpoint.deleted"
    trigger_rule_created = "trigger_rule.created"
    trigger_rule_updated = "trigger_rule.updated"
    trigger_rule_deleted = "trigger_rule.deleted"
    # governance and settings
    segment_created = "segment.created"
    segment_updated = "segment.updated"
    segment_deleted = "segment.deleted"
    widget_site_created = "widget_site.created"
    widget_site_updated = "widget_site.updated"  # e.g. its allowed origins
    widget_site_deleted = "widget_site.deleted"
    channel_settings_changed = "channel_settings.changed"  # stored over the environment's, or cleared; no secret
    contact_policy_changed = "contact_policy.changed"
    consent_changed = "consent.changed"  # recorded by staff, not by the customer's own unsubscribe
    # data leaving the system
    data_exported = "data.exported"
    # privacy requests (the privacy domain records these)
    privacy_requested = "privacy.requested"
    privacy_exported = "privacy.exported"
    privacy_erased = "privacy.erased"
    retention_policy_changed = "retention_policy.changed"  # set or removed
    retention_run = "retention.run"  # applied by hand (the worker's hourly runs are not recorded)
    branding_changed = "branding.changed"
    webhook_created = "webhook.created"  # a destination data is sent to
    webhook_removed = "webhook.removed"
    webhook_resumed = "webhook.resumed"
    user_digest_changed = "user.digest_changed"  # whether a user gets the weekly team digest
    team_created = "team.created"
    team_updated = "team.updated"  # its fields or its members (whose cases an agent sees)
    alert_rule_created = "alert_rule.created"
    alert_rule_updated = "alert_rule.updated"  # its definition (a new version) or its enabled flag
    alert_rule_deleted = "alert_rule.deleted"
    metric_target_created = "metric_target.created"
    metric_target_deleted = "metric_target.deleted"
    experiment_created = "experiment.created"
    experiment_stopped = "experiment.stopped"  # ended by hand before (or without) its end date
    sla_policies_replaced = "sla_policies.replaced"  # every SLA policy (targets, escalation, verification, holdout)
    routing_rules_replaced = "routing_rules.replaced"  # the ordered case routing rules
    case_bulk_finished = "case_bulk.finished"  # an inbox action on every case of a filter, run by the worker: counts
    follow_up_template_created = "follow_up_template.created"
    follow_up_template_updated = "follow_up_template.updated"  # its wording, translations or active flag
    improvement_created = "improvement.created"
    improvement_announced = "improvement.announced"  # messages to customers queued; the counts are recorded
    theme_created = "theme.created"  # a rule theme (keywords and phrases)
    theme_updated = "theme.updated"  # renamed, pinned or unpinned, hidden or shown
    theme_merged = "theme.merged"  # themes merged into this one
    theme_split = "theme.split"  # new rule themes took some of this one's items
    theme_discovered = "theme.discovered"  # a discovery run rewrote the discovered themes and the items' themes
    dashboard_created = "dashboard.created"
    dashboard_updated = "dashboard.updated"  # renamed, or a card added, changed, moved or removed
    dashboard_deleted = "dashboard.deleted"
    # retention: the only way entries are deleted
    audit_purged = "audit.purged"

    @property
    def target_type(self) -> str:
        return self.value.partition(".")[0]


class ActorKind(StrEnum):
    """Who acted: an API key, a person at the command line, nobody known (a failed sign-in), or cxloop itself."""

    api_key = "api_key"
    user = "user"  # a person signed in to the web app
    cli = "cli"
    anonymous = "anonymous"
    system = "system"
