"""Feature-to-layer integrity held by the database's statement triggers."""

import pytest
from django.db import IntegrityError, connection, transaction

from planning.models import Feature, Layer

pytestmark = pytest.mark.django_db


def test_feature_of_a_missing_layer_is_refused(draft_plan):
    with pytest.raises(IntegrityError, match="layer that does not exist"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO planning_feature (layer_id, geom, attributes, category, source_ref)"
                " VALUES (%s, 'POINT(561714 1821449)', '{}', '', '')",
                [10**12],
            )


def test_moving_a_feature_to_a_missing_layer_is_refused(draft_plan):
    feature = Feature.objects.filter(layer__revision=draft_plan).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Feature.objects.filter(pk=feature.pk).update(layer_id=10**12)


def test_deleting_a_layer_in_sql_deletes_its_features(draft_plan):
    layer = Layer.objects.get(revision=draft_plan)
    assert Feature.objects.filter(layer=layer).count() == 1
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM planning_layer WHERE id = %s", [layer.pk])
    assert Feature.objects.filter(layer_id=layer.pk).count() == 0
