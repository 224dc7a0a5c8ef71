"""The revision records when its automatic checks ran and whether they are still current.

`qa_checked_at` is set by planning.qa.run together with `qa_current`; statement triggers clear
`qa_current` for every revision whose content a statement changes, whatever the path (uploads,
CAD jobs, 3D models, repairs, copies, layer deletions, hand-written SQL). One UPDATE per
statement, from its transition tables, as the integrity triggers of 0004: a 200,000-feature
insert takes the same ~3 s with or without it; an UPDATE compares old and new rows (a
200,000-row geom_3d update: 8.5 s instead of 6.9 s).

The UPDATE takes the revision's row lock even when the flag is already false: a QA run holds
that lock (planning.qa.run), so a change made while it runs waits for it and then marks its
result outdated, instead of reading the flag before the run commits it as current.

Updates that change only `geom_3d` are not content changes: the 3D tileset fills it from the
attributes (threed.extrude) on any revision, submitted or not.
"""

from django.db import migrations, models

QA_STATE_SQL = """
CREATE FUNCTION planning_feature_outdates_qa() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE planning_revision SET qa_current = false WHERE id IN (
            SELECT l.revision_id FROM planning_layer l
             WHERE l.id IN (SELECT layer_id FROM new_features));
    ELSIF TG_OP = 'DELETE' THEN
        -- Features cascaded from a deleted layer find no layer here: the layer's own
        -- trigger marks its revision.
        UPDATE planning_revision SET qa_current = false WHERE id IN (
            SELECT l.revision_id FROM planning_layer l
             WHERE l.id IN (SELECT layer_id FROM old_features));
    ELSE
        UPDATE planning_revision SET qa_current = false WHERE id IN (
            SELECT l.revision_id FROM planning_layer l
             WHERE l.id IN (
                SELECT unnest(ARRAY[o.layer_id, n.layer_id])
                  FROM old_features o JOIN new_features n ON n.id = o.id
                 WHERE (n.layer_id, n.category, n.attributes, n.geom)
                       IS DISTINCT FROM (o.layer_id, o.category, o.attributes, o.geom)));
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER planning_feature_qa_on_insert AFTER INSERT ON planning_feature
    REFERENCING NEW TABLE AS new_features
    FOR EACH STATEMENT EXECUTE FUNCTION planning_feature_outdates_qa();
CREATE TRIGGER planning_feature_qa_on_update AFTER UPDATE ON planning_feature
    REFERENCING OLD TABLE AS old_features NEW TABLE AS new_features
    FOR EACH STATEMENT EXECUTE FUNCTION planning_feature_outdates_qa();
CREATE TRIGGER planning_feature_qa_on_delete AFTER DELETE ON planning_feature
    REFERENCING OLD TABLE AS old_features
    FOR EACH STATEMENT EXECUTE FUNCTION planning_feature_outdates_qa();

CREATE FUNCTION planning_layer_outdates_qa() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE planning_revision SET qa_current = false
         WHERE id IN (SELECT revision_id FROM new_layers);
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE planning_revision SET qa_current = false
         WHERE id IN (SELECT revision_id FROM old_layers);
    ELSE
        -- The kind decides the rules, the name is in the findings; counts and schema are not
        -- content.
        UPDATE planning_revision SET qa_current = false WHERE id IN (
            SELECT unnest(ARRAY[o.revision_id, n.revision_id])
              FROM old_layers o JOIN new_layers n ON n.id = o.id
             WHERE (n.revision_id, n.kind, n.name) IS DISTINCT FROM (o.revision_id, o.kind, o.name));
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER planning_layer_qa_on_insert AFTER INSERT ON planning_layer
    REFERENCING NEW TABLE AS new_layers
    FOR EACH STATEMENT EXECUTE FUNCTION planning_layer_outdates_qa();
CREATE TRIGGER planning_layer_qa_on_update AFTER UPDATE ON planning_layer
    REFERENCING OLD TABLE AS old_layers NEW TABLE AS new_layers
    FOR EACH STATEMENT EXECUTE FUNCTION planning_layer_outdates_qa();
CREATE TRIGGER planning_layer_qa_on_delete AFTER DELETE ON planning_layer
    REFERENCING OLD TABLE AS old_layers
    FOR EACH STATEMENT EXECUTE FUNCTION planning_layer_outdates_qa();

-- The declared balance is compared by the balance.declared rule.
CREATE FUNCTION planning_revision_balance_outdates_qa() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.qa_current := false;
    RETURN NEW;
END $$;

CREATE TRIGGER planning_revision_qa_on_balance BEFORE UPDATE OF declared_balance
    ON planning_revision FOR EACH ROW
    WHEN (NEW.declared_balance IS DISTINCT FROM OLD.declared_balance)
    EXECUTE FUNCTION planning_revision_balance_outdates_qa();

-- Revisions submitted before this migration were checked at their submission and are frozen
-- since; a draft with findings was checked at some point, maybe before its last change.
UPDATE planning_revision SET qa_checked_at = submitted_at, qa_current = true
 WHERE state <> 'draft' AND submitted_at IS NOT NULL;
UPDATE planning_revision r SET qa_checked_at = f.checked_at
  FROM (SELECT revision_id, max(created_at) AS checked_at
          FROM planning_qafinding GROUP BY revision_id) f
 WHERE r.id = f.revision_id AND r.state = 'draft';
"""

DROP_QA_STATE_SQL = """
DROP TRIGGER planning_revision_qa_on_balance ON planning_revision;
DROP FUNCTION planning_revision_balance_outdates_qa();
DROP TRIGGER planning_layer_qa_on_delete ON planning_layer;
DROP TRIGGER planning_layer_qa_on_update ON planning_layer;
DROP TRIGGER planning_layer_qa_on_insert ON planning_layer;
DROP FUNCTION planning_layer_outdates_qa();
DROP TRIGGER planning_feature_qa_on_delete ON planning_feature;
DROP TRIGGER planning_feature_qa_on_update ON planning_feature;
DROP TRIGGER planning_feature_qa_on_insert ON planning_feature;
DROP FUNCTION planning_feature_outdates_qa();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("planning", "0009_audit_log_append_only"),
    ]

    operations = [
        migrations.AddField(
            model_name="revision",
            name="qa_checked_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="revision",
            name="qa_current",
            field=models.BooleanField(default=False),
        ),
        migrations.RunSQL(QA_STATE_SQL, DROP_QA_STATE_SQL),
    ]
