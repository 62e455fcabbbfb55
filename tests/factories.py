import factory
from django.contrib.auth.hashers import make_password

from accounts.models import Membership, OrgUnit, User

PASSWORD = "Cast-pass-2026"
PASSWORD_HASH = make_password(PASSWORD, hasher="md5")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n:04d}")
    full_name = factory.Faker("name", locale="zh_CN")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.edu.cn")
    password = PASSWORD_HASH


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)


def unit(code, name, kind, parent=None) -> OrgUnit:
    if parent is None:
        return OrgUnit.objects.add_root(create_kwargs={"code": code, "name": name, "kind": kind})
    parent = OrgUnit.objects.get(pk=parent.pk)
    return OrgUnit.objects.add_child(
        parent, create_kwargs={"code": code, "name": name, "kind": kind}
    )
