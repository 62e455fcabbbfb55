"""One answer to "who is asking": the address the trusted proxies saw, never a header a client
can write."""

import pytest
from django.urls import reverse

from accounts.client_ip import client_ip
from accounts.models import AuditEntry, Role
from cases.confidential import intake


def test_without_trusted_proxies_forwarded_headers_are_ignored(rf, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    request = rf.get("/", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert client_ip(request) == "198.51.100.7"


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        # One proxy appends the address it saw; what the client wrote before it is ignored.
        (1, "10.9.9.9, 203.0.113.5", "203.0.113.5"),
        (1, "203.0.113.5", "203.0.113.5"),
        # Two proxies: the outer one's entry is the client, the inner one's is the outer proxy.
        (2, "10.9.9.9, 203.0.113.5, 172.16.0.2", "203.0.113.5"),
        (1, "2001:db8::7", "2001:db8::7"),
        # Fewer entries than proxies (a request that skipped the outer proxy): the oldest entry.
        (3, "203.0.113.5, 172.16.0.2", "203.0.113.5"),
    ],
)
def test_trusted_proxies_give_the_address_they_saw(rf, settings, count, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = count
    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


@pytest.mark.parametrize("forwarded", ["", "not-an-address", "203.0.113.5, ", "1.2.3.4:80"])
def test_missing_or_malformed_forwarded_header_falls_back_to_the_peer(rf, settings, forwarded):
    settings.TRUSTED_PROXY_COUNT = 1
    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == "127.0.0.1"


def test_audit_trail_records_the_client_behind_the_proxy(cast, client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    client.force_login(cast.sysadmin)
    response = client.post(
        reverse("admin:accounts_membership_add"),
        {"user": cast.outsider.pk, "org_unit": cast.units.rj.pk, "role": Role.STUDENT},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="10.6.6.6, 203.0.113.44",
    )
    assert response.status_code == 302
    assert AuditEntry.objects.get(action="membership.create").ip == "203.0.113.44"


def test_intake_counts_clients_behind_the_proxy_apart(rf, settings):
    settings.TRUSTED_PROXY_COUNT = 1

    def key(forwarded):
        return intake.client_key(
            rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
        )

    assert key("203.0.113.1") != key("203.0.113.2")
    # A client cannot become someone else by writing the header itself.
    assert key("10.1.1.1, 203.0.113.1") == key("10.2.2.2, 203.0.113.1")


def test_intake_ignores_a_forged_header_without_proxies(rf, settings):
    settings.TRUSTED_PROXY_COUNT = 0

    def key(forwarded):
        return intake.client_key(
            rf.get("/", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR=forwarded)
        )

    assert key("10.1.1.1") == key("10.2.2.2")
