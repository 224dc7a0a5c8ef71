"""The audit log becomes append-only in the database, not only by convention.

A row trigger refuses UPDATE and DELETE on planning_auditevent, whoever issues them (a bug,
a shell, a hand-written SQL fix), with two exceptions: the actor's account being deleted
(Django sets actor_id to NULL and nothing else changes), and a transaction that declared a
purge with `SET LOCAL planning.audit_purge = 'on'` (planning.audit.audit_purge: removing a
project for good, benchmark data). TRUNCATE, DDL and the database owner remain out of its
reach: this guards the application's path, not against the database superuser.
"""

from django.db import migrations

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION planning_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.actor_id IS NOT NULL AND NEW.actor_id IS NULL
           AND (NEW.id, NEW.at, NEW.action, NEW.project_id, NEW.revision_id, NEW.detail,
                NEW.remote_addr)
               IS NOT DISTINCT FROM
               (OLD.id, OLD.at, OLD.action, OLD.project_id, OLD.revision_id, OLD.detail,
                OLD.remote_addr) THEN
            RETURN NEW;  -- the actor's account was deleted (ON DELETE SET NULL)
        END IF;
    ELSIF current_setting('planning.audit_purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'The audit log is append-only: % of audit event % refused.', TG_OP, OLD.id
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER planning_auditevent_append_only
    BEFORE UPDATE OR DELETE ON planning_auditevent
    FOR EACH ROW EXECUTE FUNCTION planning_audit_append_only();
"""

REMOVE = """
DROP TRIGGER IF EXISTS planning_auditevent_append_only ON planning_auditevent;
DROP FUNCTION IF EXISTS planning_audit_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("planning", "0008_jobs_and_mapping_presets")]

    operations = [migrations.RunSQL(APPEND_ONLY, REMOVE)]
