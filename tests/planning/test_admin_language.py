"""The administration site speaks the reader's language: a QA walk found the Vietnamese
admin naming the catalogue, presets, memberships and audit events in English ("Land-use
categories", "Mapping presets", "Memberships", "Audit events") and heading their columns
"code", "colour", "role". Model, field and app names are now translatable; and the
migrations Django keeps of those options are up to date."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db.models import Model
from django.test import Client
from django.utils import translation
from django.utils.text import capfirst
from rest_framework.authtoken.models import Token

from planning.admin import STAFF_HELP
from planning.apps import PlanningConfig
from planning.audit import audit
from planning.models import AuditEvent, LandUseCategory, MappingPreset, Membership, Project

pytestmark = pytest.mark.django_db

# Each changelist with the columns its list_display shows (planning/admin.py).
COLUMNS: dict[type[Model], list[str]] = {
    LandUseCategory: ["code", "system", "name_vi", "name_en", "colour", "sort_order"],
    MappingPreset: ["name", "encoding", "crs", "created_by", "updated"],
    Membership: ["project", "user", "role"],
    AuditEvent: ["at", "action", "actor", "project", "revision", "remote_addr"],
}


@pytest.fixture
def rows(admin_user_t: User, catalogue) -> None:
    """A row in each changelist: an empty one shows no column headings."""
    project = Project.objects.create(
        code="qh-lang", name="Thử", level="detailed", scale=500, created_by=admin_user_t
    )
    Membership.objects.create(project=project, user=admin_user_t, role="approver")
    MappingPreset.objects.create(name="preset", created_by=admin_user_t)
    audit(admin_user_t, "project.update", project=project, remote_addr="127.0.0.1")


@pytest.fixture
def vietnamese_admin(admin_user_t: User, rows) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="vi")  # as the site's other page tests ask for it
    client.force_login(admin_user_t)
    return client


def vietnamese(text) -> str:
    """`text` (lazily translated) as a Vietnamese reader sees it, refused if still English."""
    # str() inside each override: capfirst of a lazy string is itself lazy.
    with translation.override("en"):
        english = capfirst(str(text))
    with translation.override("vi"):
        shown = capfirst(str(text))
    assert shown != english, f"no Vietnamese translation of {english!r} (locale/vi)"
    return shown


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def test_the_index_names_the_app_and_its_models_in_vietnamese(vietnamese_admin):
    html = page(vietnamese_admin, "/admin/")
    assert vietnamese(PlanningConfig.verbose_name) in html
    for model in COLUMNS:
        plural = model._meta.verbose_name_plural
        assert vietnamese(plural) in html, plural
    assert "Land-use categories" not in html
    assert "Audit events" not in html


@pytest.mark.parametrize("model", list(COLUMNS), ids=lambda model: model.__name__)
def test_a_changelist_heads_its_columns_in_vietnamese(vietnamese_admin, model):
    html = page(vietnamese_admin, f"/admin/planning/{model._meta.model_name}/")
    for name in COLUMNS[model]:
        label = model._meta.get_field(name).verbose_name
        assert f">{vietnamese(label)}<" in html, (model.__name__, name)


def test_the_models_migrations_are_up_to_date():
    """Verbose names live in the migration state too: a change without its migration
    leaves `makemigrations --check` (and every deployment's `migrate`) complaining."""
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit:
        pytest.fail(f"models changed without a migration:\n{out.getvalue()}")


def test_the_staff_box_says_what_staff_may_do(vietnamese_admin, admin_user_t):
    """QA walk: Django's help text ("may log into this admin site") hid that staff see every
    draft and may approve in every project."""
    page = vietnamese_admin.get(f"/admin/auth/user/{admin_user_t.pk}/change/").content.decode()
    assert vietnamese(STAFF_HELP) in page
    assert "Designates whether the user can log into this admin site" not in page


def test_a_membership_is_named_in_the_readers_language(admin_user_t, rows):
    membership = Membership.objects.get(project__code="qh-lang")
    with translation.override("vi"):
        named = str(membership)
    assert (
        named
        == f"{admin_user_t.username}: {vietnamese(Membership.Role.APPROVER.label)} của qh-lang"
    )


def test_api_token_keys_stay_out_of_the_admin(vietnamese_admin, admin_user_t):
    """QA walk: the token list and a user's delete page showed keys in clear (DRF's Token
    text is its key), and the admin's action log would keep them."""
    holder = User.objects.create_user("holder_t", password="pw-holder-test")
    key = Token.objects.create(user=holder).key
    for url in ("/admin/authtoken/tokenproxy/", f"/admin/auth/user/{holder.pk}/delete/"):
        page = vietnamese_admin.get(url)
        assert page.status_code == 200, url
        assert key not in page.content.decode(), url
        assert key[:4] in page.content.decode(), url


@pytest.mark.parametrize(
    ("url", "term"),
    [
        ("/admin/auth/user/", "nguyen van"),
        ("/admin/auth/user/", '"VAN_A"'),
        ("/admin/planning/project/", "dat o hue"),
    ],
)
def test_admin_search_ignores_diacritics(vietnamese_admin, admin_user_t, url, term):
    """QA walk: office staff type without diacritics; "nguyen" found no "nguyễn_văn_a"."""
    User.objects.create_user("nguyễn_văn_a", password="pw-nguyen-test")
    User.objects.create_user("nguyen_other", password="pw-other-test")
    Project.objects.create(
        code="qh-dat-o", name="Đất ở Huế", level="detailed", scale=500, created_by=admin_user_t
    )
    page = vietnamese_admin.get(url, {"q": term}).content.decode()
    assert ("nguyễn_văn_a" in page) == (url == "/admin/auth/user/")
    assert "nguyen_other" not in page
    assert ("qh-dat-o" in page) == (url == "/admin/planning/project/")
    assert "qh-lang" not in page
